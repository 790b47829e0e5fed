// examples/node/get_workspace.ts run as a user runs it (tsx, a real process), against the fake cloud.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findConfigDir } from '@aac/core/fs'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeExample } from '../../scripts/runtimes.ts'
import { expectOneSafeRotation, fakeWorkspace, ROOT, run, snapshot, type Workspace } from '../helpers.ts'

let ws: Workspace | undefined
afterEach(async () => {
  await ws?.close()
  ws = undefined
})

function runExample(dir: string, extraEnv: NodeJS.ProcessEnv = {}, cwd = ROOT) {
  const { command, args } = nodeExample(ROOT)
  return run(command, args, { env: { AAC_CONFIG_DIR: dir, ...extraEnv }, cwd })
}

describe('examples/node/get_workspace.ts', () => {
  it('prints the workspace with a fresh token, without refreshing', async () => {
    ws = await fakeWorkspace({ expired: false })
    const before = await ws.readCreds()
    const result = await runExample(ws.dir)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 31429, name: 'Fake Workspace' })
    expect(ws.cloud.stats()).toMatchObject({ requests: 1, refreshes: 0 })
    expect(await ws.readCreds()).toBe(before)
  })

  it('8 processes at once on one creds.json with an expired token: 8 workspaces, exactly one refresh', async () => {
    ws = await fakeWorkspace()
    const dir = ws.dir
    const results = await Promise.all(Array.from({ length: 8 }, () => runExample(dir)))
    for (const result of results) {
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toMatchObject({ id: 31429 })
    }
    await expectOneSafeRotation(ws, 8)
  })

  it('finds the config in an ancestor of the working directory when AAC_CONFIG_DIR is unset', async () => {
    ws = await fakeWorkspace({ expired: false })
    const nested = join(ws.dir, 'projects', 'reports')
    await mkdir(nested, { recursive: true })
    // As a user runs it from a subfolder: the tsx binary, the script by path.
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx')
    const result = await run(tsx, [join(ROOT, 'examples', 'node', 'get_workspace.ts')], {
      cwd: nested,
      env: { AAC_CONFIG_DIR: '' },
    })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 31429 })
  })

  it('from inside examples/, finds the repo root files (without running: they may hold real tokens)', async () => {
    // Running the example here would call the real Alteryx Cloud with a user's real pair: only resolve.
    expect(await findConfigDir(join(ROOT, 'examples'), {})).toBe(ROOT.replace(/\/$/, ''))
    expect(await findConfigDir(join(ROOT, 'examples', 'node'), {})).toBe(ROOT.replace(/\/$/, ''))
  })

  it('invalid_grant: one clear line on stderr, exit 1, creds.json byte-identical', async () => {
    ws = await fakeWorkspace()
    // Another program spends the refresh token without taking the lock (as Alteryx's own scripts do).
    const spent = await ws.spendRefreshToken()
    const before = await snapshot(ws.dir)
    const result = await runExample(ws.dir)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(
      /^error \[REAUTH_REQUIRED\]: The refresh token in .*creds\.json is no longer valid/,
    )
    expect(result.stderr).toContain('/cloud-portal/preferences/oauth2-api-tokens')
    expect(result.stderr).not.toContain(spent)
    expect(await snapshot(ws.dir)).toEqual(before)
  })

  it('prints a stack trace only with AAC_DEBUG', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aac-test-'))
    try {
      const quiet = await runExample(dir)
      expect(quiet.stderr).toMatch(/^error \[CONFIG_MISSING\]: .*aac_url\.txt/)
      expect(quiet.stderr).not.toMatch(/\n\s+at /)
      const debug = await runExample(dir, { AAC_DEBUG: '1' })
      expect(debug.code).toBe(1)
      expect(debug.stderr).toMatch(/\n\s+at /)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it.each([
    [
      'placeholders',
      'creds.json',
      '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}',
      /still holds the placeholder tokens/,
    ],
    [
      'the web app URL',
      'aac_url.txt',
      'https://us1.alteryxcloud.com\n',
      /write https:\/\/api\.us1\.alteryxcloud\.com/,
    ],
    ['an empty client id', 'client_id.txt', '\n', /client_id\.txt is empty/],
  ])(
    'bad config (%s): the fix on stderr, exit 1, files unchanged, no request',
    async (_name, file, content, message) => {
      ws = await fakeWorkspace()
      await writeFile(join(ws.dir, file), content)
      const before = await snapshot(ws.dir)
      const result = await runExample(ws.dir)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(message)
      expect(result.stderr).toContain(join(ws.dir, file))
      expect(await snapshot(ws.dir)).toEqual(before)
      expect(ws.cloud.stats().requests).toBe(0)
    },
  )
})
