// The pieces of `aac creds` that no real store can be made to exercise on demand: a write that reads back wrong
// is undone, and the refresh-record id agrees with the core's.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryStorage, type StoredTokens, type TokenStorage } from '@aac/core'
import { fileStorage } from '@aac/core/fs'
import { describe, expect, it } from 'vitest'
import { tokenId } from '../../core/src/internal/program.ts'
import { refreshTokenId } from '../src/creds/pair-facts.ts'
import { takeSnapshot, writeVerified } from '../src/creds/snapshot.ts'

const pair = (n: number): StoredTokens => ({ accessToken: `a.${n}.c`, refreshToken: `refresh-${n}` })

/** A store that keeps `kept` whatever it is told: a write that does not land, read back wrong. */
function forgetful(
  kept: StoredTokens | undefined,
): TokenStorage & { remove(): Promise<boolean>; removed: number } {
  const inner = memoryStorage(kept)
  let removed = 0
  return {
    location: 'a forgetful store',
    read: () => inner.read(),
    write: async () => undefined,
    withLock: (fn) => inner.withLock(fn),
    async remove() {
      removed++
      return true
    },
    get removed() {
      return removed
    },
  }
}

describe('writeVerified', () => {
  it('a write that reads back as another pair: an error saying so, and the store put back (the pair it held)', async () => {
    const held = pair(1)
    const written: StoredTokens[] = []
    const inner = memoryStorage(held)
    const store: TokenStorage = {
      location: 'a store that reads back another pair',
      read: () => inner.read(),
      async write(tokens) {
        written.push(tokens)
        // The first write lands as something else; the restore lands.
        await inner.write(written.length === 1 ? pair(99) : tokens)
      },
      withLock: (fn) => inner.withLock(fn),
    }
    const before = await takeSnapshot(store, { credsPath: '', isFile: false })
    const error = await writeVerified(store, pair(2), before).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ name: 'StorageError', code: 'STORAGE_ERROR' })
    expect((error as Error).message).toBe(
      'a store that reads back another pair did not give back the pair just written to it (another program may be writing there). Undone: a store that reads back another pair holds the pair it held before.',
    )
    expect(await inner.read()).toEqual(held)
  })

  it('an empty store whose write did not land: the entry deleted again', async () => {
    const store = forgetful(undefined)
    const before = await takeSnapshot(store, { credsPath: '', isFile: false })
    await expect(writeVerified(store, pair(3), before)).rejects.toThrow(
      /did not give back the pair.*Undone: what was written to a forgetful store was deleted\./,
    )
    expect(store.removed).toBe(1)
  })

  it('creds.json that reads back wrong: its exact bytes put back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aac-creds-undo-'))
    try {
      const path = join(dir, 'creds.json')
      const original =
        '{ "access_token": "Your access token here",\n  "refresh_token": "Your refresh token here", "x": 1 }'
      await writeFile(path, original)
      const real = fileStorage({ path })
      // The file store, but its read-back returns another pair.
      const store: TokenStorage = { ...real, read: async () => pair(7), withLock: real.withLock }
      const before = await takeSnapshot(store, { credsPath: path, isFile: true })
      await expect(writeVerified(store, pair(4), before)).rejects.toThrow(/holds exactly what it held before/)
      expect(await readFile(path, 'utf8')).toBe(original)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

it('the refresh-record id is the one the core writes', async () => {
  for (const token of ['refresh-1', 'ünïcode-token', 'x'.repeat(500)]) {
    expect(await refreshTokenId(token)).toBe(await tokenId(token))
  }
})
