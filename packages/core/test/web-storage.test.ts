// webStorage with an injected localStorage and Web Locks double. The real browser runs the same contract in
// test/browser/standalone.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { StorageError } from '../src/errors.ts'
import { type WebLocks, type WebStorageArea, webStorage } from '../src/storage/web.ts'
import { createTokenManager } from '../src/token-manager.ts'
import type { FetchLike } from '../src/types.ts'
import { type ContractHarness, storageContract } from './storage-contract.ts'
import { expiredJwt, makeJwt } from './tokens.ts'

const harness: ContractHarness = { test: (name, fn) => it(name, fn) }

/** A Map behind the Storage API, shared by the "tabs" of one test like localStorage is by an origin's tabs. */
function fakeArea(): WebStorageArea & { items: Map<string, string> } {
  const items = new Map<string, string>()
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      items.set(key, String(value))
    },
  }
}

/** Web Locks semantics that matter here: one holder per name, FIFO, and an abort signal that cuts the wait. */
function fakeLocks(): WebLocks {
  const tails = new Map<string, Promise<void>>()
  return {
    request(name, options, callback) {
      const { signal } = options
      if (signal?.aborted) return Promise.reject(signal.reason)
      const previous = tails.get(name) ?? Promise.resolve()
      let release!: () => void
      const done = new Promise<void>((resolve) => {
        release = resolve
      })
      tails.set(
        name,
        previous.then(() => done),
      )
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          reject(signal?.reason)
          release()
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        void previous.then(async () => {
          if (signal?.aborted) return
          signal?.removeEventListener('abort', onAbort)
          try {
            resolve(await callback({ name }))
          } catch (error) {
            reject(error)
          } finally {
            release()
          }
        })
      })
    },
  }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('webStorage contract', () => {
  storageContract(harness, 'webStorage', async () => ({
    storage: webStorage({ storage: fakeArea(), locks: fakeLocks() }),
    cleanup: async () => {},
  }))
})

describe('webStorage', () => {
  it('stores the pair as creds.json does, under the key it names', async () => {
    const area = fakeArea()
    const storage = webStorage({ key: 'my.app', storage: area, locks: fakeLocks() })
    await storage.write({ accessToken: 'a1', refreshToken: 'r1' })
    expect(JSON.parse(area.items.get('my.app') ?? '')).toEqual({ access_token: 'a1', refresh_token: 'r1' })
    expect(storage.location).toBe('localStorage key "my.app"')
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
    const seed = webStorage({ storage: area, locks })
    await seed.write({ accessToken: expiredJwt(), refreshToken: 'rt-0' })
    const tabs = [1, 2].map(() =>
      createTokenManager({ storage: webStorage({ storage: area, locks }), fetch }),
    )
    const [first, second] = await Promise.all(tabs.map((tab) => tab.getAccessToken()))
    expect(refreshes).toBe(1)
    expect(second).toBe(first)
    expect(await seed.read()).toEqual({ accessToken: first, refreshToken: 'rt-1' })
  })

  it('refuses to run without Web Locks instead of letting tabs race', () => {
    vi.stubGlobal('navigator', {})
    expect(() => webStorage({ storage: fakeArea() })).toThrow(StorageError)
    expect(() => webStorage({ storage: fakeArea() })).toThrow(/navigator\.locks.*secure contexts/s)
  })

  it('says so when the runtime has no localStorage', () => {
    vi.stubGlobal('localStorage', undefined)
    expect(() => webStorage({ locks: fakeLocks() })).toThrow(/no localStorage.*memoryStorage/)
  })

  it('reports a corrupt value by its key and leaves it alone', async () => {
    const area = fakeArea()
    area.items.set('aac.tokens', '{"access_token": "a"')
    const storage = webStorage({ storage: area, locks: fakeLocks() })
    await expect(storage.read()).rejects.toThrow(/localStorage key "aac.tokens" does not hold valid JSON/)
    area.items.set('aac.tokens', '{"access_token": "a"}')
    await expect(storage.read()).rejects.toMatchObject({ code: 'STORAGE_ERROR' })
    expect(area.items.get('aac.tokens')).toBe('{"access_token": "a"}')
  })

  it('never stores an empty token', async () => {
    const area = fakeArea()
    const storage = webStorage({ storage: area, locks: fakeLocks() })
    await storage.write({ accessToken: 'a', refreshToken: 'r' })
    await expect(storage.write({ accessToken: '', refreshToken: 'r2' })).rejects.toThrow(/empty/)
    expect(await storage.read()).toEqual({ accessToken: 'a', refreshToken: 'r' })
  })

  it('turns a full storage into a StorageError that names it', async () => {
    const area = fakeArea()
    area.setItem = () => {
      throw new DOMException('quota', 'QuotaExceededError')
    }
    const storage = webStorage({ storage: area, locks: fakeLocks() })
    await expect(storage.write({ accessToken: 'a', refreshToken: 'r' })).rejects.toThrow(
      /localStorage key "aac.tokens" \(QuotaExceededError\)/,
    )
  })

  it('gives up waiting for a lock another tab holds with LOCK_TIMEOUT', async () => {
    const area = fakeArea()
    const locks = fakeLocks()
    let unblock!: () => void
    const held = webStorage({ storage: area, locks }).withLock(
      () =>
        new Promise<void>((resolve) => {
          unblock = resolve
        }),
    )
    const waiting = webStorage({ storage: area, locks, lockTimeoutMs: 50 }).withLock(async () => 'never')
    await expect(waiting).rejects.toMatchObject({ name: 'StorageError', code: 'LOCK_TIMEOUT' })
    unblock()
    await held
    // The timed-out waiter must not block later callers.
    expect(await webStorage({ storage: area, locks }).withLock(async () => 'next')).toBe('next')
  })

  it("reports a timeout thrown by the caller's work as that error, not as a lock wait", async () => {
    const storage = webStorage({ storage: fakeArea(), locks: fakeLocks(), lockTimeoutMs: 20 })
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
