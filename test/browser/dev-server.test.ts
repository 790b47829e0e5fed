// The browser example's dev server seen by other programs on this machine, without a browser: what it serves,
// who may use its token bridge, and when creds.json's refresh token may be spent or the file written.
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { isFileLoadingAllowed, resolveConfig } from 'vite'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type Cloud,
  type DevServer,
  refreshThroughBridge,
  repoRoot,
  startCloud,
  startDevServer,
} from './harness.ts'

let server: DevServer
let cloud: Cloud
let key: string

beforeAll(async () => {
  server = await startDevServer()
  // The key is in the page's address (#key=…), where the page's script finds it.
  key = server.key
  expect(key).toMatch(/^[\w-]{40,}$/)
})
afterAll(async () => {
  await server?.close()
})
beforeEach(async () => {
  cloud = await startCloud()
})
afterEach(async () => {
  await cloud.stop()
})

const url = (path: string) => new URL(path, server.url)

/** A bridge call as the page makes it: the key, same origin (Node's fetch sends no Origin). */
function bridge(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  return fetch(url(`/__aac${path}`), {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', 'x-aac-bridge': key, ...init.headers },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  })
}

/** The token request the page's token manager makes, through the dev server's proxy. */
function refreshThroughProxy(
  refreshToken: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) {
  return refreshThroughBridge({
    devUrl: server.url,
    key,
    cloud,
    refreshToken,
    lockId: headers['x-aac-lock'],
    signal,
  })
}

async function acquire(): Promise<string> {
  const response = await bridge('/lock/acquire')
  expect(response.status).toBe(200)
  return ((await response.json()) as { lockId: string }).lockId
}

async function recoveryFiles(): Promise<string[]> {
  return (await readdir(cloud.dir)).filter((name) => name.startsWith('creds.json.recovered-'))
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 50) {
    if (waited > 15_000) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('browser example dev server: files', () => {
  it('serves no token file, to its own pages or to other localhost sites', async () => {
    const requests = [
      `/@fs${cloud.creds}`,
      `/@fs${join(repoRoot, 'creds.json')}`,
      `/@fs${join(repoRoot, 'client_id.txt')}`,
      '/creds.json',
      '/client_id.txt',
    ]
    for (const path of requests) {
      for (const origin of [undefined, 'http://localhost:3000']) {
        const response = await fetch(url(path), { headers: origin ? { origin } : {} })
        const body = await response.text()
        expect(response.status, path).toBeGreaterThanOrEqual(400)
        expect(body).not.toContain('refresh_token')
        expect(response.headers.get('access-control-allow-origin')).toBeNull()
      }
    }
    // What the page is made of is still served, to its own origin only.
    const page = await fetch(url('/src/main.ts'), { headers: { origin: 'http://localhost:3000' } })
    expect(page.status).toBe(200)
    expect(page.headers.get('access-control-allow-origin')).toBeNull()
    expect((await fetch(url(`/@fs${join(repoRoot, 'packages/core/src/index.ts')}`))).status).toBe(200)
  })

  it('would refuse token files even inside the folders it serves', async () => {
    const config = await resolveConfig(
      {
        configFile: join(repoRoot, 'examples/browser/vite.config.ts'),
        configLoader: 'runner',
        logLevel: 'silent',
      },
      'serve',
    )
    const allowed = (path: string) => isFileLoadingAllowed(config, join(repoRoot, path))
    for (const name of [
      'creds.json',
      'creds.json.lock',
      'creds.json.recovered-2025-01-31T120000.000Z',
      'creds.json.corrupt-2025-01-31T120000.000Z',
      '.creds.json.1234.tmp',
      'client_id.txt',
      'api_project_id.txt',
    ]) {
      expect({ name, allowed: allowed(`examples/browser/${name}`) }).toEqual({ name, allowed: false })
      expect({ name, allowed: allowed(`packages/core/src/${name}`) }).toEqual({ name, allowed: false })
    }
    expect(allowed('examples/browser/src/main.ts')).toBe(true)
    expect(allowed('packages/core/src/index.ts')).toBe(true)
    // The rest of the workspace is not the page's business.
    expect(allowed('package.json')).toBe(false)
    expect(allowed('packages/core/test/tokens.ts')).toBe(false)
  })
})

describe('browser example dev server: who may use the bridge', () => {
  it("gives the key to nobody who asks: it is in the page's address only, never in what the server serves", async () => {
    expect(server.url).toBe(`${server.origin}#key=${key}`)
    // A program (or another user of this machine) fetching the page and its scripts finds no key.
    for (const path of ['/', '/index.html', '/src/main.ts', '/src/bridge.ts', '/src/protocol.ts']) {
      const response = await fetch(url(path))
      expect(response.status, path).toBe(200)
      expect(await response.text(), path).not.toContain(key)
    }
  })

  it('answers only callers holding the key of this run', async () => {
    const wrongKeys = [undefined, '1', `${key.slice(0, -1)}x`, '']
    for (const value of wrongKeys) {
      const headers: Record<string, string> = value === undefined ? {} : { 'x-aac-bridge': value }
      const read = await fetch(url('/__aac/storage/read'), { method: 'POST', headers })
      expect(read.status).toBe(403)
      expect(await read.text()).not.toContain(cloud.initial.refreshToken)
      expect((await fetch(url('/__aac/config'), { headers })).status).toBe(403)
      const proxied = await fetch(
        url(`/__aac/proxy/${encodeURIComponent(new URL(cloud.fake.url).origin)}/iam/v1/workspaces/current`),
        { headers },
      )
      expect(proxied.status).toBe(403)
    }
    expect(cloud.fake.stats().requests).toBe(0)
    const read = await bridge('/storage/read')
    expect(read.status).toBe(200)
    expect(((await read.json()) as { tokens: { refreshToken: string } }).tokens.refreshToken).toBe(
      cloud.initial.refreshToken,
    )
  })

  it('forwards token requests only to the token endpoint of the issuer in creds.json', async () => {
    const refused = await fetch(
      url(`/__aac/proxy/${encodeURIComponent('https://evil.alteryxcloud.com')}/as/token`),
      { method: 'POST', headers: { 'x-aac-bridge': key } },
    )
    expect(refused.status).toBe(403)
    expect(refused.headers.get('x-aac-proxy-error')).toBe('HTTP_ERROR')
  })
})

describe('browser example dev server: the lock on creds.json', () => {
  it('writes creds.json only under a live lease, and keeps a refused pair in a recovery file', async () => {
    const before = await readFile(cloud.creds, 'utf8')
    const pair = { accessToken: 'new-access', refreshToken: 'new-refresh' }

    const unlocked = await bridge('/storage/write', { body: { tokens: pair } })
    expect(unlocked.status).toBe(409)
    const { recovered } = (await unlocked.json()) as { recovered: string }
    expect(await readFile(cloud.creds, 'utf8')).toBe(before)
    expect(JSON.parse(await readFile(recovered, 'utf8'))).toEqual({
      access_token: 'new-access',
      refresh_token: 'new-refresh',
    })
    expect((await stat(recovered)).mode & 0o777).toBe(0o600)

    // Another program takes the lock over while the page holds its lease (as after a stalled page).
    const lockId = await acquire()
    const lockPath = `${cloud.creds}.lock`
    const other = { pid: process.pid, host: hostname(), token: 'another-program', time: Date.now() }
    await writeFile(`${lockPath}.other`, JSON.stringify(other))
    await rename(`${lockPath}.other`, lockPath)
    const lost = await bridge('/storage/write', { body: { tokens: pair, lockId } })
    expect(lost.status).toBe(409)
    expect(((await lost.json()) as { error: { message: string } }).error.message).toMatch(/lost its lock/)
    const refresh = await refreshThroughProxy(cloud.initial.refreshToken, { 'x-aac-lock': lockId })
    expect(refresh.status).toBe(409)
    expect(refresh.headers.get('x-aac-proxy-error')).toBe('LOCK_LOST')
    expect(await readFile(cloud.creds, 'utf8')).toBe(before)
    expect(cloud.fake.stats().refreshes).toBe(0)
    await bridge('/lock/release', { body: { lockId } })
    expect(JSON.parse(await readFile(lockPath, 'utf8')).token).toBe('another-program')
  })

  it("spends creds.json's refresh token only under a live lease", async () => {
    const before = await readFile(cloud.creds, 'utf8')
    const unlocked = await refreshThroughProxy(cloud.initial.refreshToken)
    expect(unlocked.status).toBe(409)
    expect(unlocked.headers.get('x-aac-proxy-error')).toBe('LOCK_REQUIRED')
    const stale = await refreshThroughProxy(cloud.initial.refreshToken, { 'x-aac-lock': 'a-lease-long-gone' })
    expect(stale.status).toBe(409)
    expect(cloud.fake.stats().refreshes).toBe(0)
    expect(cloud.fake.isRefreshTokenValid(cloud.initial.refreshToken)).toBe(true)

    // A standalone page spends its own pair, kept in the browser: no lease needed.
    const own = cloud.fake.issueTokens({ expired: true })
    expect((await refreshThroughProxy(own.refreshToken)).status).toBe(200)

    // The page's way: lease, refresh, write, release.
    const lockId = await acquire()
    const refreshed = await refreshThroughProxy(cloud.initial.refreshToken, { 'x-aac-lock': lockId })
    expect(refreshed.status).toBe(200)
    const answer = (await refreshed.json()) as { access_token: string; refresh_token: string }
    const tokens = { accessToken: answer.access_token, refreshToken: answer.refresh_token }
    expect((await bridge('/storage/write', { body: { tokens, lockId } })).status).toBe(200)
    await bridge('/lock/release', { body: { lockId } })
    expect(await readFile(cloud.creds, 'utf8')).not.toBe(before)
    expect(JSON.parse(await readFile(cloud.creds, 'utf8')).refresh_token).toBe(answer.refresh_token)
    expect(await recoveryFiles()).toEqual([])
  })
})

describe('browser example dev server: a page that goes away mid-refresh', () => {
  /** Sends the refresh, and drops it once the token endpoint has it (its answer is still 600 ms away). */
  async function abandonRefresh(refreshToken: string, headers: Record<string, string> = {}): Promise<void> {
    cloud.fake.inject({ kind: 'delay', ms: 600, path: '/as/token' })
    const page = new AbortController()
    const sent = refreshThroughProxy(refreshToken, headers, page.signal).catch(() => undefined)
    await until(() => (cloud.fake.stats().byRoute['POST /as/token'] ?? 0) > 0, 'the token endpoint has it')
    page.abort()
    await sent
  }

  it('the dev server saves the rotated pair to creds.json while the lease holds', async () => {
    const lockId = await acquire()
    await abandonRefresh(cloud.initial.refreshToken, { 'x-aac-lock': lockId })
    // A page that gave up (its refresh timed out) releases its lease before the answer comes: the lease
    // stays until the token request is settled.
    expect((await bridge('/lock/release', { body: { lockId } })).status).toBe(200)
    await until(
      async () =>
        JSON.parse(await readFile(cloud.creds, 'utf8')).refresh_token !== cloud.initial.refreshToken,
      'creds.json holds the rotated pair',
    )
    const stored = JSON.parse(await readFile(cloud.creds, 'utf8'))
    expect(cloud.fake.stats().refreshes).toBe(1)
    expect(cloud.fake.isRefreshTokenValid(stored.refresh_token)).toBe(true)
    // The lease ended with it, so other programs do not wait for a page that is gone.
    await until(async () => !(await readdir(cloud.dir)).includes('creds.json.lock'), 'the lock is released')
    expect(await recoveryFiles()).toEqual([])
  })

  it('without a lease (standalone mode) the pair goes to a recovery file', async () => {
    const own = cloud.fake.issueTokens({ expired: true })
    await abandonRefresh(own.refreshToken)
    await until(async () => (await recoveryFiles()).length === 1, 'a recovery file appears')
    const [name = ''] = await recoveryFiles()
    const kept = JSON.parse(await readFile(join(cloud.dir, name), 'utf8'))
    expect(cloud.fake.isRefreshTokenValid(kept.refresh_token)).toBe(true)
    expect(JSON.parse(await readFile(cloud.creds, 'utf8')).refresh_token).toBe(cloud.initial.refreshToken)
  })
})
