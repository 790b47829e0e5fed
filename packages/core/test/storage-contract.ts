/**
 * The promises every TokenStorage keeps (see src/storage/types.ts), written once and run by thin per-runtime
 * entries: vitest here, `deno test` and `bun test` later. Only `node:assert/strict`, which all three provide.
 */
import assert from 'node:assert/strict'
import type { PairMeta, RefreshRecord, StoredTokens, TokenStorage } from '../src/storage/types.ts'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** The one thing the suite needs from a test runner. */
export interface ContractHarness {
  test(name: string, fn: () => Promise<void>): void
}

export interface ContractOptions {
  /** The store `make` returns holds no pair yet, so `read()` resolves undefined. Default true. */
  startsEmpty?: boolean
  /** Concurrent `withLock` callers in the exclusion case. Default 50. */
  concurrency?: number
  /** `withLock(fn, { signal })` stops waiting when the signal aborts (optional for adapters). Default false. */
  abortsLockWait?: boolean
}

export interface ContractSubject {
  storage: TokenStorage
  cleanup(): Promise<void>
}

const PAIR_A: StoredTokens = { accessToken: 'access-a', refreshToken: 'refresh-a' }
const PAIR_B: StoredTokens = { accessToken: 'access-b', refreshToken: 'refresh-b' }
/** Every field a refresh record can carry, as the token manager writes it just before it sends a refresh. */
const SENT: RefreshRecord = {
  at: '2025-01-31T12:00:00.000Z',
  program: 'aac token',
  pid: 4242,
  host: 'build-box',
  state: 'uncertain',
  detail: 'connection reset after sending',
  tokenId: 'a1b2c3d4',
}
const WITH_META: StoredTokens = { ...PAIR_A, meta: { clockOffsetMs: -600_000, refresh: SENT } }

/**
 * Registers the contract cases for one adapter. `make` must return a fresh, isolated store each time.
 *
 * @example
 * storageContract({ test: (name, fn) => it(name, fn) }, 'memoryStorage', async () => ({
 *   storage: memoryStorage(),
 *   cleanup: async () => {},
 * }))
 */
export function storageContract(
  t: ContractHarness,
  name: string,
  make: () => Promise<ContractSubject>,
  options: ContractOptions = {},
): void {
  const { startsEmpty = true, concurrency = 50, abortsLockWait = false } = options

  const test = (title: string, body: (storage: TokenStorage) => Promise<void>) =>
    t.test(`${name}: ${title}`, async () => {
      const subject = await make()
      try {
        await body(subject.storage)
      } finally {
        await subject.cleanup()
      }
    })

  test('names its location', async (storage) => {
    assert.equal(typeof storage.location, 'string')
    assert.ok(storage.location.length > 0)
  })

  if (startsEmpty) {
    test('an empty store reads undefined', async (storage) => {
      assert.equal(await storage.read(), undefined)
    })
  }

  test('write then read round-trips the pair', async (storage) => {
    await storage.write(PAIR_A)
    assert.deepEqual(await storage.read(), PAIR_A)
  })

  test('write replaces the previous pair', async (storage) => {
    await storage.write(PAIR_A)
    await storage.write(PAIR_B)
    assert.deepEqual(await storage.read(), PAIR_B)
  })

  test('write then read round-trips the pair with its meta', async (storage) => {
    await storage.write(WITH_META)
    assert.deepEqual(await storage.read(), WITH_META)
    // A record without its optional fields, and a clock offset alone.
    const bare: RefreshRecord = { at: SENT.at, program: 'deno', state: 'sent', tokenId: 'ffff0000' }
    await storage.write({ ...PAIR_B, meta: { refresh: bare } })
    assert.deepEqual(await storage.read(), { ...PAIR_B, meta: { refresh: bare } })
    await storage.write({ ...PAIR_B, meta: { clockOffsetMs: 1500 } })
    assert.deepEqual(await storage.read(), { ...PAIR_B, meta: { clockOffsetMs: 1500 } })
  })

  test('a write without meta (or with an empty one) drops the stored meta', async (storage) => {
    await storage.write(WITH_META)
    await storage.write(PAIR_B)
    const read = await storage.read()
    assert.deepEqual(read, PAIR_B)
    assert.equal(read !== undefined && 'meta' in read, false, 'read() returned a meta key')
    await storage.write(WITH_META)
    await storage.write({ ...PAIR_B, meta: {} })
    assert.deepEqual(await storage.read(), PAIR_B)
  })

  test('read returns plain values, not a live view of what was written', async (storage) => {
    const pair = { accessToken: 'access-c', refreshToken: 'refresh-c' }
    await storage.write(pair)
    pair.accessToken = 'changed after write'
    assert.deepEqual(await storage.read(), { accessToken: 'access-c', refreshToken: 'refresh-c' })
    const refresh: Mutable<RefreshRecord> = { ...SENT }
    const meta: Mutable<PairMeta> = { clockOffsetMs: 5, refresh }
    await storage.write({ ...PAIR_A, meta })
    meta.clockOffsetMs = 6
    refresh.state = 'spent'
    const expected = { ...PAIR_A, meta: { clockOffsetMs: 5, refresh: SENT } }
    const read = await storage.read()
    assert.deepEqual(read, expected)
    // Nor is it a live view of the store: changing what read() returned changes nothing stored.
    ;(read?.meta?.refresh as Mutable<RefreshRecord>).state = 'spent'
    assert.deepEqual(await storage.read(), expected)
  })

  test(`withLock is exclusive: ${concurrency} concurrent read-increment-writes`, async (storage) => {
    await storage.write(counterPair(0))
    let inside = 0
    let overlaps = 0
    await Promise.all(
      Array.from({ length: concurrency }, () =>
        storage.withLock(async () => {
          inside++
          if (inside > 1) overlaps++
          try {
            const current = readCounter(await storage.read())
            // Yield between read and write, so a lock that does not exclude loses updates.
            await new Promise((resolve) => setTimeout(resolve, 0))
            await storage.write(counterPair(current + 1))
          } finally {
            inside--
          }
        }),
      ),
    )
    assert.equal(overlaps, 0, 'two withLock bodies ran at the same time')
    assert.equal(readCounter(await storage.read()), concurrency)
  })

  test('withLock returns the value of fn', async (storage) => {
    assert.equal(await storage.withLock(async () => 42), 42)
    const object = { ok: true }
    assert.equal(await storage.withLock(async () => object), object)
  })

  test('withLock rejects with the error of fn and releases the lock', async (storage) => {
    const failure = new Error('fn failed')
    await assert.rejects(
      storage.withLock(async () => {
        throw failure
      }),
      (error) => error === failure,
    )
    // A lock kept after a failure would make this wait until the adapter's timeout.
    assert.equal(await storage.withLock(async () => 'next'), 'next')
  })

  if (abortsLockWait) {
    test('withLock with an aborted signal rejects with its reason and never runs fn', async (storage) => {
      const reason = new Error('stopped')
      let ran = false
      await assert.rejects(
        storage.withLock(
          async () => {
            ran = true
          },
          { signal: AbortSignal.abort(reason) },
        ),
        (error) => error === reason,
      )
      assert.equal(ran, false)
    })

    test('a caller waiting for the lock stops when its signal aborts; fn never runs', async (storage) => {
      let letGo!: () => void
      const holding = new Promise<void>((resolve) => {
        letGo = resolve
      })
      let entered!: () => void
      const inside = new Promise<void>((resolve) => {
        entered = resolve
      })
      const holder = storage.withLock(async () => {
        entered()
        await holding
        return 'held'
      })
      await inside
      const controller = new AbortController()
      let ran = false
      const waiter = storage.withLock(
        async () => {
          ran = true
        },
        { signal: controller.signal },
      )
      controller.abort()
      // Rejects while the holder still holds the lock: the wait was cut short, not served.
      await assert.rejects(waiter, (error) => (error as { code?: unknown }).code === 'ABORTED')
      letGo()
      assert.equal(await holder, 'held')
      assert.equal(await storage.withLock(async () => 'next'), 'next')
      assert.equal(ran, false)
    })
  }
}

function counterPair(n: number): StoredTokens {
  return { accessToken: `count-${n}`, refreshToken: `refresh-${n}` }
}

function readCounter(pair: StoredTokens | undefined): number {
  assert.ok(pair, 'the counter pair disappeared')
  const match = /^count-(\d+)$/.exec(pair.accessToken)
  assert.ok(match?.[1], `unexpected access token ${pair.accessToken}`)
  return Number(match[1])
}
