/**
 * Whether git tracks a creds.json that holds real tokens: the repository ships one with placeholders, and once a
 * user pastes a pair into it, a commit (and a push) would publish it. Asked of git itself, from the file's
 * folder; without git, or outside a repository, there is nothing to say.
 */

import { execFile } from 'node:child_process'
import { basename, dirname } from 'node:path'
import { apiTokensPage } from '@aac/core'
import { CREDS_FILE } from '@aac/core/fs'
import { type Check, usesCredsFile } from './check.ts'

const NAME = 'creds.json and git'

/** git's answer for `path`: tracked, not tracked (in a repository), or no answer (no git, no repository). */
export function gitTracks(path: string, timeoutMs = 5_000): Promise<'tracked' | 'untracked' | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['ls-files', '--error-unmatch', '--', basename(path)],
      { cwd: dirname(path), timeout: timeoutMs, windowsHide: true },
      (error) => {
        if (!error) return resolve('tracked')
        // 1: not tracked; 128: not a repository (or another fatal error); ENOENT: no git.
        resolve((error as { code?: unknown }).code === 1 ? 'untracked' : undefined)
      },
    )
  })
}

export const credsInGit: Check = async ({ credsPath, found }) => {
  // Only real tokens matter: the placeholders are meant to be committed (and fail the creds.json check). With
  // another store in force, creds.json holds real ones only as a second copy (copies.ts).
  const real = usesCredsFile(found) ? found.tokens !== undefined : found.credsCopy === true
  if (!real) return { steps: [] }
  const answer = await gitTracks(credsPath)
  if (answer === undefined) return { steps: [] }
  if (answer === 'untracked') return { steps: [{ name: NAME, status: 'pass', detail: 'not tracked by git' }] }
  const folder = dirname(credsPath)
  return {
    steps: [
      {
        name: NAME,
        status: 'warn',
        detail: `git tracks ${CREDS_FILE}, which holds real tokens: a commit and push would publish them`,
        fix: `In ${folder}: git rm --cached ${CREDS_FILE} (the file stays), then add the line ${CREDS_FILE} to .gitignore (echo ${CREDS_FILE} >> .gitignore) and commit both. If a commit with your tokens was ever pushed, revoke the pair at ${apiTokensPage(found.url?.region)} and generate a new one (aac init --force).`,
      },
    ],
  }
}
