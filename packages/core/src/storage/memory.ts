import { createMutex } from '../internal/mutex.ts'
import { assertWritable, copyPair } from './pair-codec.ts'
import { runExclusive } from './shared/exclusive.ts'
import type { StoredTokens, TokenStorage } from './types.ts'

/**
 * Keeps the pair in memory: for tests, short-lived jobs that get their tokens from elsewhere, and servers that
 * persist tokens themselves. The lock is an in-process mutex: share one memoryStorage between clients, not
 * between programs. The pair's `meta` is kept as the other stores keep it (well-formed fields only).
 *
 * @example
 * const storage = memoryStorage({ accessToken, refreshToken })
 */
export function memoryStorage(initial?: StoredTokens): TokenStorage {
  let current = initial && copyPair(initial)
  const mutex = createMutex()
  return {
    location: 'memory',
    async read() {
      // A plain copy: what `read` returns is never a live view of what was written, nor of what was read before.
      return current && copyPair(current)
    },
    async write(tokens) {
      assertWritable(tokens, 'memory')
      current = copyPair(tokens)
    },
    withLock(fn, { signal } = {}) {
      return runExclusive(mutex, fn, signal)
    },
  }
}
