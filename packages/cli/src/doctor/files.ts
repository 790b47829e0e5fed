/**
 * The config folder and the three files, read and judged by the same functions as loadConfig, so the two never
 * disagree; for creds.json, also whether a refresh could save its new pair there.
 */

import { constants } from 'node:fs'
import { access, lstat, stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { StoredTokens } from '@aac/core'
import {
  CLIENT_ID_FILES,
  CREDS_FILE,
  checkCredsFile,
  credsLockPath,
  loadApiUrl,
  loadCreds,
  loadProjectId,
  URL_FILE,
} from '@aac/core/fs'
import { EXIT } from '../exit-codes.ts'
import type { CliIo } from '../io.ts'
import { configDir } from '../session.ts'
import { type Check, usesCredsFile } from './check.ts'
import { failed, type Step } from './steps.ts'

/** The first check, which the others need: where the three files are. */
export async function findFolder(io: CliIo): Promise<{ step: Step; dir?: string }> {
  const name = 'config folder'
  try {
    const { dir, reason } = await configDir(io)
    return { dir, step: { name, status: 'pass', detail: `${dir} (${reason})` } }
  } catch (error) {
    return { step: failed(name, error, 'not found') }
  }
}

export const urlFile: Check = async ({ dir }) => {
  try {
    const { url } = await loadApiUrl(dir)
    const region = url.region ? `region ${url.region}` : 'no region in the host name'
    const detail = `${url.apiUrl} (${region}; /v4 calls go to ${url.directUrl})`
    return { steps: [{ name: URL_FILE, status: 'pass', detail }], found: { url } }
  } catch (error) {
    return { steps: [failed(URL_FILE, error)] }
  }
}

/** Named after the usual file; api_project_id.txt is read too. */
export const PROJECT_ID_FILE = CLIENT_ID_FILES[0]

export const projectIdFile: Check = async ({ dir, found }) => {
  try {
    const { path, projectId } = await loadProjectId(dir, found.url?.region)
    const file = basename(path)
    return {
      steps: [{ name: PROJECT_ID_FILE, status: 'pass', detail: `${file}: ${mask(projectId)}` }],
      found: { projectId, projectIdFile: file },
    }
  } catch (error) {
    return { steps: [failed(PROJECT_ID_FILE, error)] }
  }
}

/** creds.json, when it is the store in force (store.ts checks the others; copies.ts a copy left in creds.json). */
export const credsFile: Check = async ({ credsPath, found }) => {
  if (!usesCredsFile(found)) return { steps: [] }
  let tokens: StoredTokens
  try {
    tokens = await loadCreds(credsPath, found.url?.region)
  } catch (error) {
    return { steps: [failed(CREDS_FILE, error)] }
  }
  try {
    const step = await credsFileStep(credsPath)
    // If a refresh could not save its new pair, --refresh must not spend the refresh token.
    return { steps: [step], found: { tokens, credsWritable: step.status !== 'fail' } }
  } catch (error) {
    return { steps: [failed(CREDS_FILE, error)], found: { tokens } }
  }
}

/**
 * The files are valid; also check that the refresh can write (atomically, beside the file creds.json really is:
 * a link's target) and who can read.
 */
async function credsFileStep(credsPath: string): Promise<Step> {
  const name = CREDS_FILE
  // The same verdict as the storage's, which refuses the write before a refresh: a file with several names, one
  // mounted on its own, a FIFO or a folder, a link in a loop.
  const blocking = (await checkCredsFile(credsPath)).filter((problem) => problem.blocksWrite)
  if (blocking.length > 0) {
    const kinds: Record<string, string> = {
      'hard-linked': 'hard-linked (several names)',
      'mount-point': 'mounted on its own (a bind mount of the file)',
      'not-regular': 'not a regular file',
      'symlink-loop': 'a symbolic link loop',
      'dangling-symlink': 'a symbolic link to nowhere',
    }
    return {
      name,
      status: 'fail',
      detail: `${blocking.map((problem) => kinds[problem.kind] ?? problem.kind).join(', ')}: a refresh could not save the new pair`,
      fix: blocking.map((problem) => problem.message).join(' '),
      exit: EXIT.STORAGE,
    }
  }
  const target = (await credsLockPath(credsPath)).slice(0, -'.lock'.length)
  const dir = dirname(target)
  const linked = (await lstat(credsPath)).isSymbolicLink()
    ? ` (a link to ${target}: a refresh writes there)`
    : ''
  try {
    await access(dir, constants.W_OK)
  } catch {
    return {
      name,
      status: 'fail',
      detail: `${dir} is not writable`,
      fix: `A refresh writes the new pair to a temporary file in ${dir} and renames it over ${target}; make that folder writable for this user.`,
      exit: EXIT.STORAGE,
    }
  }
  const mode = (await stat(credsPath)).mode
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    return {
      name,
      status: 'warn',
      detail: `both tokens present${linked}, but readable by other users (mode ${(mode & 0o777).toString(8)})`,
      fix: `chmod 600 ${target} (the toolkit writes it so after its next refresh).`,
    }
  }
  return { name, status: 'pass', detail: `both tokens present${linked}` }
}

/** The project id is not a secret like a token, but there is no need to print all of it. */
function mask(value: string): string {
  return value.length > 10 ? `${value.slice(0, 6)}…${value.slice(-2)}` : value
}
