// openSession hands the token manager a store whose first lock-free read is the pair loadConfig just read
// (session.ts, firstReadFrom): every other read, and any read under the lock, must still read the store.
import { memoryStorage, type StoredTokens, type TokenStorage } from '@aac/core'
import { describe, expect, it } from 'vitest'
import { firstReadFrom } from '../src/session.ts'

const loaded: StoredTokens = { accessToken: 'loaded-access', refreshToken: 'loaded-refresh' }
const stored: StoredTokens = { accessToken: 'stored-access', refreshToken: 'stored-refresh' }

/** A memory store that counts its reads. */
async function countingStore(): Promise<{ store: TokenStorage; reads: () => number }> {
  const inner = memoryStorage()
  await inner.write(stored)
  let reads = 0
  const store: TokenStorage = {
    ...inner,
    read: () => {
      reads++
      return inner.read()
    },
  }
  return { store, reads: () => reads }
}

describe('firstReadFrom', () => {
  it('the first read is the loaded pair, without reading the store; later reads read it', async () => {
    const { store, reads } = await countingStore()
    const seeded = firstReadFrom(store, loaded)
    expect(await seeded.read()).toEqual(loaded)
    expect(reads()).toBe(0)
    expect(await seeded.read()).toEqual(stored)
    expect(reads()).toBe(1)
    expect(seeded.location).toBe(store.location)
  })

  it('under the lock the store is read, even when nothing was read before', async () => {
    const { store, reads } = await countingStore()
    const seeded = firstReadFrom(store, loaded)
    expect(await seeded.withLock(() => seeded.read())).toEqual(stored)
    expect(reads()).toBe(1)
    // And after it: the loaded pair may be older than what the lock's holder saved.
    expect(await seeded.read()).toEqual(stored)
  })

  it('writes go to the store', async () => {
    const { store } = await countingStore()
    const seeded = firstReadFrom(store, loaded)
    const next = { accessToken: 'next-access', refreshToken: 'next-refresh' }
    await seeded.withLock(() => seeded.write(next))
    expect(await store.read()).toEqual(next)
  })
})
