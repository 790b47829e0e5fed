// webStorage with an injected async key-value area and Web Locks double (storage-web-doubles.ts). Its storage
// contract runs with every other store's in storage-stores.test.ts; the real browser (IndexedDB, Web Locks) runs
// it in test/browser/standalone.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { StorageError } from '../src/errors.ts'
import { indexedDbArea, webStorage } from '../src/storage/web.ts'
import { createTokenManager } from '../src/token-manager.ts'
import type { FetchLike } from '../src/types.ts'
import { fakeArea, fakeLocks } from './storage-web-doubles.ts'
import { expiredJwt, makeJwt } from './tokens.ts'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('webStorage', () => {
  it('stores the pair as creds.json does, under the key it names', async () => {
    const area = fakeArea()
    const storage = webStorage({ key: 'my.app', area, locks: fakeLocks() })
    await storage.write({ accessToken: 'a1', refreshToken: 'r1' })
    expect(JSON.parse(area.items.get('my.app') ?? '')).toEqual({ access_token: 'a1', refresh_token: 'r1' })
    expect(storage.location).toBe('key "my.app" of the area given to webStorage()')
  })

  it('names the IndexedDB database, store and key by default', () => {
    vi.stubGlobal('indexedDB', {} as IDBFactory)
    expect(webStorage({ locks: fakeLocks() }).location).toBe('IndexedDB "aac" › tokens › "aac.tokens"')
    const area = indexedDbArea({ database: 'my-app', store: 'pairs', indexedDB: {} as IDBFactory })
    expect(webStorage({ key: 'k', area, locks: fakeLocks() }).location).toBe(
      'IndexedDB "my-app" › pairs › "k"',
    )
  })

  it('write resolves only once the area has stored the pair', async () => {
    const area = fakeArea()
    let store!: () => void
    area.set = (key, value) =>
      new Promise<void>((resolve) => {
        store = () => {
          area.items.set(key, value)
          resolve()
        }
      })
    const storage = webStorage({ area, locks: fakeLocks() })
    let written = false
    const writing = storage.write({ accessToken: 'a', refreshToken: 'r' }).then(() => {
      written = true
    })
    await new Promise((resolve) => setTimeout(resolve, 0))
    // Released now, the lock would let another tab read the old pair and spend its dead refresh token.
    expect(written).toBe(false)
    store()
    await writing
    expect(written).toBe(true)
    expect(area.items.get('aac.tokens')).toBe('{"access_token":"a","refresh_token":"r"}')
  })

  it('read asks the area every time: a pair another tab wrote is seen at once', async () => {
    const area = fakeArea()
    const storage = webStorage({ area, locks: fakeLocks() })
    await storage.write({ accessToken: 'a1', refreshToken: 'r1' })
    expect(await storage.read()).toEqual({ accessToken: 'a1', refreshToken: 'r1' })
    area.items.set('aac.tokens', '{"access_token":"a2","refresh_token":"r2"}')
    expect(await storage.read()).toEqual({ accessToken: 'a2', refreshToken: 'r2' })
    expect(area.gets).toBe(2)
  })

  it('two tabs with an expired token refresh once between them', async () => {
    const area = fakeArea()
    const locks = fakeLocks()
    let refreshes = 0
    const fetch: FetchLike = async () => {
      refreshes++
      // Slow enough that the second tab asks while the first one is still refreshing.
      await new Promise((resolve) => setTimeout(resolve, 20))
      return Response.json({
        access_token: makeJwt(),
        refresh_token: `rt-${refreshes}`,
        token_type: 'Bearer',
      })
    }
    const seed = webStorage({ area, locks })
    await seed.write({ accessToken: expiredJwt(), refreshToken: 'rt-0' })
    const tabs = [1, 2].map(() => createTokenManager({ storage: webStorage({ area, locks }), fetch }))
    const [first, second] = await Promise.all(tabs.map((tab) => tab.getAccessToken()))
    expect(refreshes).toBe(1)
    expect(second).toBe(first)
    expect(await seed.read()).toEqual({ accessToken: first, refreshToken: 'rt-1' })
  })

  it('refuses to run without Web Locks instead of letting tabs race', () => {
    vi.stubGlobal('navigator', {})
    expect(() => webStorage({ area: fakeArea() })).toThrow(StorageError)
    expect(() => webStorage({ area: fakeArea() })).toThrow(/navigator\.locks.*secure contexts/s)
  })

  it('says so when the runtime has no IndexedDB', () => {
    vi.stubGlobal('indexedDB', undefined)
    expect(() => webStorage({ locks: fakeLocks() })).toThrow(
      /no IndexedDB.*webStorage\(\{ area \}\).*memoryStorage/,
    )
  })

  it('reports a corrupt value by its key and leaves it alone', async () => {
    const area = fakeArea()
    area.items.set('aac.tokens', '{"access_token": "a"')
    const storage = webStorage({ area, locks: fakeLocks() })
    await expect(storage.read()).rejects.toThrow(/key "aac.tokens" .* does not hold valid JSON/)
    area.items.set('aac.tokens', '{"access_token": "a"}')
    await expect(storage.read()).rejects.toMatchObject({ code: 'STORAGE_ERROR' })
    expect(area.items.get('aac.tokens')).toBe('{"access_token": "a"}')
  })

  it('never stores an empty token', async () => {
    const area = fakeArea()
    const storage = webStorage({ area, locks: fakeLocks() })
    await storage.write({ accessToken: 'a', refreshToken: 'r' })
    await expect(storage.write({ accessToken: '', refreshToken: 'r2' })).rejects.toThrow(/empty/)
    expect(await storage.read()).toEqual({ accessToken: 'a', refreshToken: 'r' })
  })

  it('turns a full storage into a StorageError that names where the pair is and what to do', async () => {
    const area = fakeArea()
    area.set = async () => {
      throw new DOMException('quota', 'QuotaExceededError')
    }
    const storage = webStorage({
      area: Object.assign(area, { describe: (key: string) => `db › "${key}"` }),
      locks: fakeLocks(),
    })
    const error = await storage
      .write({ accessToken: 'a', refreshToken: 'r' })
      .catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(StorageError)
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', location: 'db › "aac.tokens"' })
    expect((error as Error).message).toMatch(
      /^Could not save the tokens to db › "aac.tokens" \(QuotaExceededError\): .*full.*clear other data/,
    )
  })

  it('says what to do when the browser refuses IndexedDB (private mode, blocked site data)', async () => {
    const area = fakeArea()
    area.get = async () => {
      throw new DOMException('denied', 'InvalidStateError')
    }
    const storage = webStorage({ area, locks: fakeLocks() })
    await expect(storage.read()).rejects.toThrow(
      /^Could not read the tokens from .* \(InvalidStateError\): .*private browsing.*Allow site data/,
    )
  })

  it('says which tabs to close when an old connection blocks the database', async () => {
    const area = fakeArea()
    area.get = async () => {
      throw new DOMException('blocked', 'BlockedError')
    }
    const storage = webStorage({ area, locks: fakeLocks() })
    await expect(storage.read()).rejects.toThrow(/\(BlockedError\): .*close the other tabs of this site/)
  })

  it('gives up waiting for a lock another tab holds with LOCK_TIMEOUT', async () => {
    const area = fakeArea()
    const locks = fakeLocks()
    let unblock!: () => void
    const held = webStorage({ area, locks }).withLock(
      () =>
        new Promise<void>((resolve) => {
          unblock = resolve
        }),
    )
    const waiting = webStorage({ area, locks, lockTimeoutMs: 50 }).withLock(async () => 'never')
    await expect(waiting).rejects.toMatchObject({ name: 'StorageError', code: 'LOCK_TIMEOUT' })
    unblock()
    await held
    // The timed-out waiter must not block later callers.
    expect(await webStorage({ area, locks }).withLock(async () => 'next')).toBe('next')
  })

  it("reports a timeout thrown by the caller's work as that error, not as a lock wait", async () => {
    const storage = webStorage({ area: fakeArea(), locks: fakeLocks(), lockTimeoutMs: 20 })
    // The lock is granted at once; the work outlives lockTimeoutMs, then fails with a TimeoutError of its own.
    const work = async () => {
      await new Promise((resolve) => setTimeout(resolve, 60))
      throw new DOMException('the refresh took too long', 'TimeoutError')
    }
    const error = await storage.withLock(work).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(DOMException)
    expect(error).toMatchObject({ name: 'TimeoutError', message: 'the refresh took too long' })
  })
})
