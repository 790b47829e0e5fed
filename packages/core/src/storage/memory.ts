import { createMutex } from '../internal/mutex.ts'
import type { StoredTokens, TokenStorage } from './types.ts'

/**
 * Keeps the pair in memory: for tests, short-lived jobs that get their tokens from elsewhere, and servers that
 * persist tokens themselves. The lock is an in-process mutex: share one memoryStorage between clients, not
 * between programs.
 *
 * @example
 * const storage = memoryStorage({ accessToken, refreshToken })
 */
export function memoryStorage(initial?: StoredTokens): TokenStorage {
  let current = initial
  const mutex = createMutex()
  return {
    location: 'memory',
    async read() {
      return current
    },
    async write(tokens) {
      current = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }
    },
    withLock: (fn) => mutex.run(fn),
  }
}
