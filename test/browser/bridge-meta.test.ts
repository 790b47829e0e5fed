// The pair's meta over the dev server's bridge: the page's bridgeStorage (examples/browser/src/bridge.ts, run
// here in Node with the page's key) writes and reads it, and the dev server keeps only a well-formed, token-free
// meta in creds.json's "aac" key (examples/browser/server/meta.ts).
import { readFile } from 'node:fs/promises'
import type { StoredTokens } from '@aac/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pairMetaOf } from '../../examples/browser/server/meta.ts'
import { type BridgeStorage, bridgeStorage } from '../../examples/browser/src/bridge.ts'
import { type Cloud, type DevServer, startCloud, startDevServer } from './harness.ts'

let server: DevServer
let cloud: Cloud
let key: string

const record = {
  at: '2025-01-31T12:00:00.000Z',
  program: 'a web page',
  state: 'sent',
  tokenId: '0123456789abcdef',
} as const
/** `record` as creds.json holds it. */
const recordJson = { at: record.at, program: record.program, state: record.state, token_id: record.tokenId }

beforeAll(async () => {
  server = await startDevServer()
  key = server.key
  expect(key).not.toBe('')
  // What the page's script finds: the address it was opened at, whose fragment it drops from the address bar.
  const { hash, pathname, search } = new URL(server.url)
  Object.assign(globalThis, {
    location: { hash, pathname, search },
    history: { state: null, replaceState: () => undefined },
  })
})
afterAll(async () => {
  Reflect.deleteProperty(globalThis, 'location')
  Reflect.deleteProperty(globalThis, 'history')
  await server?.close()
})
beforeEach(async () => {
  cloud = await startCloud()
})
afterEach(async () => {
  await cloud.stop()
})

function pageStorage(): BridgeStorage {
  return bridgeStorage({ location: cloud.creds, baseUrl: new URL('/__aac', server.url).href })
}

async function stored(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(cloud.creds, 'utf8'))
}

/** The pair with `meta` given as the page's token manager would, through the page's storage, under its lock. */
async function pageWrite(meta: unknown, tokens: StoredTokens = cloud.initial): Promise<void> {
  const storage = pageStorage()
  await storage.withLock(() => storage.write({ ...tokens, meta } as StoredTokens))
}

describe('browser example bridge: the pair meta', () => {
  it("a page's refresh record lands in creds.json's aac key, a read returns it, a write without removes it", async () => {
    await pageWrite({ clockOffsetMs: -600_000, refresh: { ...record, pid: 4242, detail: 'HTTP 502' } })
    const file = await stored()
    expect(file['refresh_token']).toBe(cloud.initial.refreshToken)
    expect(file['aac']).toEqual({
      clock_offset_ms: -600_000,
      refresh: { ...recordJson, pid: 4242, detail: 'HTTP 502' },
    })

    const read = await pageStorage().read()
    expect(read).toEqual({
      ...cloud.initial,
      meta: { clockOffsetMs: -600_000, refresh: { ...record, pid: 4242, detail: 'HTTP 502' } },
    })

    const storage = pageStorage()
    await storage.withLock(() => storage.write(cloud.initial))
    expect(await stored()).toEqual({
      access_token: cloud.initial.accessToken,
      refresh_token: cloud.initial.refreshToken,
    })
    expect(await pageStorage().read()).toEqual(cloud.initial)
  })

  it('drops a malformed meta, or its malformed parts, and still writes the pair', async () => {
    await pageWrite('garbage')
    expect(await stored()).not.toHaveProperty('aac')

    await pageWrite({ clockOffsetMs: 'soon', refresh: { ...record, state: 'lost' } })
    expect(await stored()).not.toHaveProperty('aac')

    // A bad optional field goes alone; the record stays.
    await pageWrite({
      clockOffsetMs: Number.POSITIVE_INFINITY,
      refresh: { ...record, pid: -1, host: 42, detail: 'x'.repeat(5000), extra: 'y' },
    })
    expect((await stored())['aac']).toEqual({ refresh: recordJson })
  })

  it('never stores a token, or a large value, in the meta', async () => {
    const { accessToken, refreshToken } = cloud.initial
    const leaks = [
      { refresh: { ...record, detail: `answer was ${refreshToken}` } },
      { refresh: { ...record, host: accessToken } },
      { refresh: { ...record, detail: `starts ${refreshToken.slice(0, 14)}` } },
      { refresh: { ...record, detail: 'kNTtZ9s4n2Ok3VQiXwWc6tHfGkb0gPx1' } },
      { refresh: { ...record, program: accessToken } },
      { refresh: { ...record, tokenId: refreshToken } },
      { refresh: { ...record, at: `${record.at}${'0'.repeat(100_000)}` } },
    ]
    for (const meta of leaks) {
      await pageWrite(meta)
      const text = await readFile(cloud.creds, 'utf8')
      expect(text.split(refreshToken).length, JSON.stringify(meta).slice(0, 80)).toBe(2)
      expect(text.split(accessToken).length).toBe(2)
      expect(text).not.toContain('kNTtZ9s4n2Ok3VQiXwWc6tHfGkb0gPx1')
      expect(text.length).toBeLessThan(accessToken.length + refreshToken.length + 600)
    }
  })

  it('refuses a bridge call too large to be one, leaving creds.json as it was', async () => {
    const before = await readFile(cloud.creds, 'utf8')
    const response = await fetch(new URL('/__aac/storage/write', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-aac-bridge': key },
      body: JSON.stringify({ tokens: { ...cloud.initial, meta: { pad: 'x'.repeat(1024 * 1024) } } }),
    })
    expect(response.status).toBe(413)
    expect(await readFile(cloud.creds, 'utf8')).toBe(before)
  })
})

describe('browser example dev server: which meta it accepts', () => {
  it('keeps what the token manager writes', () => {
    const meta = {
      clockOffsetMs: 1500,
      refresh: { ...record, pid: 7, host: 'laptop.local', detail: 'HTTP 504' },
    }
    expect(pairMetaOf(meta, ['a'.repeat(40)])).toEqual(meta)
    expect(pairMetaOf({ refresh: { ...record, state: 'uncertain' } })).toEqual({
      refresh: { ...record, state: 'uncertain' },
    })
  })

  it('drops the wrong types, shapes and sizes', () => {
    expect(pairMetaOf(undefined)).toBeUndefined()
    expect(pairMetaOf([1])).toBeUndefined()
    expect(pairMetaOf({ clockOffsetMs: 10 * 366 * 24 * 3600 * 1000 })).toBeUndefined()
    expect(pairMetaOf({ refresh: { ...record, at: 'yesterday' } })).toBeUndefined()
    expect(pairMetaOf({ refresh: { ...record, program: '' } })).toBeUndefined()
    expect(pairMetaOf({ refresh: { ...record, program: 'a\nb' } })).toBeUndefined()
    expect(pairMetaOf({ refresh: { ...record, tokenId: 'ABCDEF0123456789' } })).toBeUndefined()
    expect(pairMetaOf({ refresh: { ...record, detail: 'y'.repeat(301) } })).toEqual({ refresh: record })
  })
})
