// The Deno and Bun examples, run by their real runtimes against the fake cloud, exactly as the demo starts them
// (scripts/runtimes.ts). The Node example has the same cases in test/integration/node-example.test.ts.
import { access, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bunExample, denoExample, type ExampleRun } from '../../scripts/runtimes.ts'
import { fakeWorkspace, ROOT, run, snapshot, type Workspace } from '../helpers.ts'

const FILES = ['aac_url.txt', 'client_id.txt', 'creds.json']

let ws: Workspace | undefined
afterEach(async () => {
  await ws?.close()
  ws = undefined
})

// Deno treats a folder with a package.json as a Node project: it must neither rewrite the repo's package.json
// nor leave a deno.lock, since examples/deno/deno.json says "nodeModulesDir": "none" and "lock": false (its one
// npm: import, the optional keychain binding, is fetched only when used).
let rootPackageJson: string
beforeAll(async () => {
  rootPackageJson = await readFile(join(ROOT, 'package.json'), 'utf8')
})
afterAll(async () => {
  expect(await readFile(join(ROOT, 'package.json'), 'utf8')).toBe(rootPackageJson)
  for (const dir of ['.', 'examples/deno', 'test/behaviour']) {
    await expect(access(join(ROOT, dir, 'deno.lock'))).rejects.toMatchObject({ code: 'ENOENT' })
  }
})

function start(example: ExampleRun, dir: string) {
  return run(example.command, example.args, { env: { AAC_CONFIG_DIR: dir, NO_COLOR: '1' } })
}

const runtimes: Array<[string, (dir: string) => ExampleRun]> = [
  ['deno', (dir) => denoExample(ROOT, { configDir: dir })],
  ['bun', () => bunExample(ROOT)],
]

describe.each(runtimes)('the %s example', (_name, example) => {
  it('a fresh token: prints the workspace with one API request, no refresh, files untouched', async () => {
    ws = await fakeWorkspace({ expired: false })
    const before = await snapshot(ws.dir)
    const result = await start(example(ws.dir), ws.dir)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 31429, name: 'Fake Workspace' })
    expect(ws.cloud.stats()).toMatchObject({ requests: 1, apiRequests: 1, refreshes: 0 })
    expect(await snapshot(ws.dir)).toEqual(before)
  })

  it('an expired token: one refresh, the rotated pair saved in creds.json, no lock left behind', async () => {
    ws = await fakeWorkspace({ expired: true })
    const old = JSON.parse(await ws.readCreds()) as { access_token: string; refresh_token: string }
    const result = await start(example(ws.dir), ws.dir)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 31429 })
    expect(ws.cloud.stats()).toMatchObject({
      refreshes: 1,
      apiRequests: 1,
      reuseDetected: 0,
      invalidGrants: 0,
    })
    const saved = JSON.parse(await ws.readCreds()) as { access_token: string; refresh_token: string }
    expect(saved.refresh_token).not.toBe(old.refresh_token)
    expect(saved.access_token).not.toBe(old.access_token)
    expect(ws.cloud.isRefreshTokenValid(saved.refresh_token)).toBe(true)
    expect((await readdir(ws.dir)).sort()).toEqual(FILES)
  })

  it('bad config: one line naming the file, exit 1, no request, every file byte-identical', async () => {
    ws = await fakeWorkspace({ expired: true })
    // The web app's address instead of the API's: the mistake the README's troubleshooting table names.
    await writeFile(join(ws.dir, 'aac_url.txt'), 'https://us1.alteryxcloud.com\n')
    const before = await snapshot(ws.dir)
    const result = await start(example(ws.dir), ws.dir)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(join(ws.dir, 'aac_url.txt'))
    expect(result.stderr).toMatch(/^error \[CONFIG_INVALID\]: .*api\.us1\.alteryxcloud\.com/)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    const creds = JSON.parse(before['creds.json']!) as { access_token: string; refresh_token: string }
    expect(result.stderr).not.toContain(creds.refresh_token)
    expect(ws.cloud.stats().requests).toBe(0)
    expect(await snapshot(ws.dir)).toEqual(before)
    expect((await readdir(ws.dir)).sort()).toEqual(FILES)
  })
})

describe('the deno example without a permission it needs', () => {
  it.each([
    ['read', (dir: string) => `--allow-read=${dir}`],
    ['write', (dir: string) => `--allow-write=${dir}`],
    ['net', () => '--allow-net=127.0.0.1'],
    ['env', () => '--allow-env=AAC_DEBUG'],
  ] as const)(
    'without %s: one line with the exact flag to add, exit 1, files untouched',
    async (kind, flag) => {
      ws = await fakeWorkspace({ expired: true })
      const before = await snapshot(ws.dir)
      const result = await start(denoExample(ROOT, { configDir: ws.dir, omit: [kind] }), ws.dir)
      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      // Our message, not Deno's prompt, its "Uncaught" report or a stack trace.
      expect(result.stderr).toMatch(new RegExp(`^error: Deno denied ${kind} access`))
      expect(result.stderr).toContain(`run again with ${flag(ws.dir)} added`)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(ws.cloud.stats().refreshes).toBe(0)
      expect(await snapshot(ws.dir)).toEqual(before)
      // A denial while holding the lock (net) still releases it.
      expect((await readdir(ws.dir)).sort()).toEqual(FILES)
    },
  )
})
