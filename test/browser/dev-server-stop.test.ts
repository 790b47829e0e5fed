// The browser example's dev server stopped while a token request it forwarded for the page is in flight: the
// answer holds the only copy of the new pair, so server.close() waits for it (bounded) and saves it, to
// creds.json under the page's lease, else to a recovery file. In-process, against a fake cloud.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { createLogger, createServer, type Plugin, type ViteDevServer } from 'vite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type AacBridgeOptions, aacBridge } from '../../examples/browser/server/plugin.ts'
import { pageOf } from '../../scripts/browser.ts'
import { type Cloud, refreshThroughBridge, repoRoot, startCloud } from './harness.ts'

interface Started {
  server: ViteDevServer
  url: string
  key: string
  /** What the dev server said on its terminal (warnings and errors). */
  said: string[]
  close(): Promise<void>
}

let cloud: Cloud
let started: Started | undefined

beforeEach(async () => {
  cloud = await startCloud()
})
afterEach(async () => {
  await started?.close()
  started = undefined
  await cloud.stop()
})

/**
 * The example's own vite.config.ts (as `npm run browser` loads it), or, given options, its plugin alone on the
 * example's root: on a free port, with the terminal's lines captured.
 */
async function start(options?: AacBridgeOptions): Promise<Started> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'aac-vite-cache-'))
  const said: string[] = []
  const logger = createLogger('warn')
  const { warn, error } = logger
  logger.warn = (msg, opts) => {
    said.push(msg)
    warn(msg, opts)
  }
  logger.error = (msg, opts) => {
    said.push(msg)
    error(msg, opts)
  }
  const own: { plugins: Plugin[] } | undefined = options && { plugins: [aacBridge(options)] }
  const server = await createServer({
    ...(own
      ? { configFile: false, root: join(repoRoot, 'examples/browser'), appType: 'mpa', ...own }
      : { configFile: join(repoRoot, 'examples/browser/vite.config.ts'), configLoader: 'runner' }),
    cacheDir,
    customLogger: logger,
    server: { host: 'localhost', port: 0, strictPort: false, open: false, watch: null },
  })
  await server.listen()
  const { url, key } = pageOf(server)
  expect(key).not.toBe('')
  let closed: Promise<void> | undefined
  started = {
    server,
    url,
    key,
    said,
    close: () => {
      closed ??= server.close().finally(() => rm(cacheDir, { recursive: true, force: true }))
      return closed
    },
  }
  return started
}

function bridge(dev: Started, path: string, body?: unknown): Promise<Response> {
  return fetch(new URL(`/__aac${path}`, dev.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-aac-bridge': dev.key },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
}

async function acquire(dev: Started): Promise<string> {
  const response = await bridge(dev, '/lock/acquire')
  expect(response.status).toBe(200)
  return ((await response.json()) as { lockId: string }).lockId
}

/** The page's token request, through the dev server's proxy (its answer is awaited by the caller, or not). */
function refresh(dev: Started, refreshToken: string, lockId?: string): Promise<Response> {
  return refreshThroughBridge({
    devUrl: dev.url,
    key: dev.key,
    cloud,
    refreshToken,
    lockId,
  })
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 20) {
    if (waited > 15_000) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function recoveryFiles(): Promise<string[]> {
  return (await readdir(cloud.dir)).filter((name) => name.startsWith('creds.json.recovered-'))
}

async function creds(): Promise<{ access_token: string; refresh_token: string; aac?: unknown }> {
  return JSON.parse(await readFile(cloud.creds, 'utf8'))
}

/** Sends the page's refresh, held `ms` by the token service after it rotated, and waits until it has it. */
async function refreshHeld(dev: Started, ms: number, refreshToken: string, lockId?: string) {
  cloud.fake.inject({ kind: 'late-after-rotate', ms })
  const answer = refresh(dev, refreshToken, lockId).catch((error: unknown) => error)
  await until(() => cloud.fake.stats().tokenRequests === 1, 'the token service has the request')
  // Wrapped, or awaiting this would wait for the answer.
  return { answer }
}

describe('browser example dev server: close() during a token refresh', () => {
  it("waits for the answer and saves the rotated pair to creds.json under the page's lease", async () => {
    const dev = await start()
    const lockId = await acquire(dev)
    const { answer } = await refreshHeld(dev, 1500, cloud.initial.refreshToken, lockId)
    const began = Date.now()
    await dev.close()
    const waited = Date.now() - began

    // The answer came after close() began, so close() waited for it: the pair is saved when close() returns.
    const stored = await creds()
    expect(stored.refresh_token).not.toBe(cloud.initial.refreshToken)
    expect(cloud.fake.isRefreshTokenValid(stored.refresh_token)).toBe(true)
    expect(cloud.fake.stats().refreshes).toBe(1)
    expect(waited).toBeGreaterThan(500)
    expect(await recoveryFiles()).toEqual([])
    // The lease ended with it: no program waits for a dev server that is gone.
    expect(await readdir(cloud.dir)).not.toContain('creds.json.lock')
    expect(dev.said.join('\n')).toMatch(/finishing a token refresh already sent/)
    expect(dev.said.join('\n')).toMatch(/saved the new pair to .*creds\.json/)
    expect(dev.said.join('\n')).not.toContain(stored.refresh_token)
    // The page's connection was cut: it learns nothing, and the pair is where the next program looks.
    expect(await answer).toBeInstanceOf(Error)
  })

  it('without a lease (standalone mode) the rotated pair goes to a recovery file', async () => {
    const dev = await start()
    const own = cloud.fake.issueTokens({ expired: true })
    await refreshHeld(dev, 1000, own.refreshToken)
    await dev.close()
    const [name, ...more] = await recoveryFiles()
    expect(more).toEqual([])
    const kept = JSON.parse(await readFile(join(cloud.dir, name ?? ''), 'utf8'))
    expect(cloud.fake.isRefreshTokenValid(kept.refresh_token)).toBe(true)
    expect((await creds()).refresh_token).toBe(cloud.initial.refreshToken)
  })

  it('saves a pair the page was handed but had not saved yet', async () => {
    const dev = await start()
    const lockId = await acquire(dev)
    const answer = await refresh(dev, cloud.initial.refreshToken, lockId)
    expect(answer.status).toBe(200)
    const { refresh_token: handed } = (await answer.json()) as { refresh_token: string }
    // The page stops here (closed, crashed, its write lost), and so does the dev server.
    await dev.close()
    expect((await creds()).refresh_token).toBe(handed)
    expect(cloud.fake.isRefreshTokenValid(handed)).toBe(true)
    expect(await recoveryFiles()).toEqual([])
  })

  it('does not write again what the page saved', async () => {
    const dev = await start()
    const lockId = await acquire(dev)
    const answer = (await (await refresh(dev, cloud.initial.refreshToken, lockId)).json()) as {
      access_token: string
      refresh_token: string
    }
    const tokens = { accessToken: answer.access_token, refreshToken: answer.refresh_token }
    const meta = { clockOffsetMs: 90_000 }
    expect((await bridge(dev, '/storage/write', { tokens: { ...tokens, meta }, lockId })).status).toBe(200)
    expect((await bridge(dev, '/lock/release', { lockId })).status).toBe(200)
    const saved = await readFile(cloud.creds, 'utf8')
    await dev.close()
    // Byte for byte: the page's meta is still there.
    expect(await readFile(cloud.creds, 'utf8')).toBe(saved)
    expect(JSON.parse(saved).aac).toEqual({ clock_offset_ms: 90_000 })
  })
})

describe('browser example dev server: a page that never saves', () => {
  it('when its lease runs out, the pair it was handed is saved under the lock', async () => {
    const dev = await start({ leaseMs: 600, handleSignals: false })
    const lockId = await acquire(dev)
    const answer = (await (await refresh(dev, cloud.initial.refreshToken, lockId)).json()) as {
      refresh_token: string
    }
    await until(async () => (await creds()).refresh_token === answer.refresh_token, 'creds.json holds it')
    await until(async () => !(await readdir(cloud.dir)).includes('creds.json.lock'), 'the lock is released')
    expect(dev.said.join('\n')).toMatch(/did not save the pair of its token refresh/)
  })

  it('a page that found the answer unusable decides: its record of a spent token stays', async () => {
    const dev = await start({ handleSignals: false })
    const lockId = await acquire(dev)
    await (await refresh(dev, cloud.initial.refreshToken, lockId)).json()
    const record = {
      at: new Date().toISOString(),
      program: 'a web page',
      state: 'spent',
      tokenId: 'ab'.repeat(8),
    }
    const tokens = { ...cloud.initial, meta: { refresh: record } }
    expect((await bridge(dev, '/storage/write', { tokens, lockId })).status).toBe(200)
    const written = await readFile(cloud.creds, 'utf8')
    await bridge(dev, '/lock/release', { lockId })
    await dev.close()
    expect(await readFile(cloud.creds, 'utf8')).toBe(written)
  })
})

describe('browser example dev server: a restart inside Vite (`r`, an edited config)', () => {
  it('keeps the key: the open page, which reloads itself, still uses the bridge', async () => {
    const dev = await start()
    await dev.server.restart()
    expect(pageOf(dev.server).key).toBe(dev.key)
    const lockId = await acquire(dev)
    expect((await bridge(dev, '/lock/release', { lockId })).status).toBe(200)
    // Any other key is still refused.
    const refused = await fetch(new URL('/__aac/lock/acquire', dev.url), {
      method: 'POST',
      headers: { 'x-aac-bridge': `${dev.key.slice(0, -1)}x` },
    })
    expect(refused.status).toBe(403)
  })
})

describe('browser example dev server: how long close() waits', () => {
  it('at most stopWaitMs, then says what is lost and where the record is', async () => {
    const dev = await start({ stopWaitMs: 400, handleSignals: false })
    const lockId = await acquire(dev)
    await refreshHeld(dev, 4000, cloud.initial.refreshToken, lockId)
    const began = Date.now()
    await dev.close()
    expect(Date.now() - began).toBeLessThan(3000)
    expect(dev.said.join('\n')).toMatch(/Stopped waiting for a token refresh/)
    expect(await readdir(cloud.dir)).not.toContain('creds.json.lock')
  })

  it('not for a page waiting for the lock: it never gets it', async () => {
    const dev = await start()
    // Another program holds creds.json.lock (this test process: alive, so never stale).
    const lockPath = `${cloud.creds}.lock`
    const other = { pid: process.pid, host: hostname(), token: 'another-program', time: Date.now() }
    await writeFile(lockPath, JSON.stringify(other))
    const waiting = bridge(dev, '/lock/acquire').catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const began = Date.now()
    await dev.close()
    expect(Date.now() - began).toBeLessThan(2000)
    expect(await waiting).toBeInstanceOf(Error)
    expect(JSON.parse(await readFile(lockPath, 'utf8')).token).toBe('another-program')
  })

  it('not at all when nothing is in flight', async () => {
    const dev = await start()
    await acquire(dev)
    const began = Date.now()
    await dev.close()
    expect(Date.now() - began).toBeLessThan(2000)
    expect(dev.said).toEqual([])
    expect(await readdir(cloud.dir)).not.toContain('creds.json.lock')
  })
})
