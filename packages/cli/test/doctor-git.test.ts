// aac doctor warns when git tracks a creds.json holding real tokens (the repository ships one with
// placeholders), with the fix; not for the placeholders, not for an untracked file, not without git.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { aac, aacInProcess, useCloud } from './helpers.ts'

const env = useCloud()
const git = (cwd: string, ...args: string[]) => promisify(execFile)('git', args, { cwd })

/** A git repository whose root is a config folder with a fresh pair; creds.json added to the index if `track`. */
async function repository(track: boolean): Promise<string> {
  const dir = await env.configDir()
  await git(dir, 'init', '--quiet')
  if (track) await git(dir, 'add', 'creds.json')
  return dir
}

const gitLine = (stdout: string) => stdout.split('\n').find((line) => line.includes('creds.json and git'))

describe('aac doctor: creds.json tracked by git', () => {
  it('warns, with git rm --cached, the .gitignore line and what to do if it was pushed', async () => {
    const dir = await repository(true)
    const result = await aacInProcess(['doctor', '--offline'], { env: { AAC_CONFIG_DIR: dir } })
    expect(result.code).toBe(0)
    expect(gitLine(result.stdout)).toMatch(
      /! creds\.json and git +git tracks creds\.json, which holds real tokens/,
    )
    expect(result.stdout).toContain(`In ${dir}: git rm --cached creds.json (the file stays)`)
    expect(result.stdout).toContain('echo creds.json >> .gitignore')
    expect(result.stdout).toContain('If a commit with your tokens was ever pushed, revoke the pair')
    const json = JSON.parse(
      (await aacInProcess(['doctor', '--offline', '--json'], { env: { AAC_CONFIG_DIR: dir } })).stdout,
    )
    expect(json.steps).toContainEqual(expect.objectContaining({ name: 'creds.json and git', status: 'warn' }))
  })

  it('passes when the file is not tracked (ignored or never added)', async () => {
    const dir = await repository(false)
    const result = await aacInProcess(['doctor', '--offline'], { env: { AAC_CONFIG_DIR: dir } })
    expect(gitLine(result.stdout)).toMatch(/✔ creds\.json and git +not tracked by git/)
  })

  it('says nothing for the placeholders (what the repository ships), outside a repository, or without git', async () => {
    const placeholders = await repository(false)
    await writeFile(
      join(placeholders, 'creds.json'),
      '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}\n',
    )
    await git(placeholders, 'add', 'creds.json')
    const shipped = await aacInProcess(['doctor', '--offline'], { env: { AAC_CONFIG_DIR: placeholders } })
    expect(gitLine(shipped.stdout)).toBeUndefined()

    const plain = await env.configDir()
    const outside = await aacInProcess(['doctor', '--offline'], { env: { AAC_CONFIG_DIR: plain } })
    expect(gitLine(outside.stdout)).toBeUndefined()

    // The real command with no git on its PATH (node itself is called by its full path).
    const tracked = await repository(true)
    const noGit = await aac(['doctor', '--offline'], {
      env: { AAC_CONFIG_DIR: tracked, PATH: '/nonexistent' },
    })
    expect(noGit.code).toBe(0)
    expect(gitLine(noGit.stdout)).toBeUndefined()
  })
})
