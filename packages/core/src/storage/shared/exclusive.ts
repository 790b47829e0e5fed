/**
 * The in-process half of a shared store's lock (and the whole of memoryStorage's): one holder per store object,
 * waiting callers in order; and for the Redis and PostgreSQL stores, their server lock held around `fn`.
 */

import { abortReason } from '../../internal/abort.ts'
import type { Mutex } from '../../internal/mutex.ts'

/**
 * Runs `fn` on `mutex`. An aborted `signal` rejects the wait with its reason and `fn` never runs; once `fn`
 * runs, it runs to the end.
 *
 * @example
 * await runExclusive(mutex, () => holdServerLock(fn), signal)
 */
export function runExclusive<T>(mutex: Mutex, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return mutex.run(fn)
  if (signal.aborted) return Promise.reject(abortReason(signal))
  return new Promise((resolve, reject) => {
    let started = false
    const onAbort = () => {
      if (!started) reject(abortReason(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    mutex
      .run(async () => {
        signal.removeEventListener('abort', onAbort)
        // Its caller gave up while queued: skip fn, and pass the mutex on at once.
        if (signal.aborted) throw abortReason(signal)
        started = true
        return fn()
      })
      .then(resolve, reject)
  })
}

/**
 * Runs `fn` on `mutex` holding the server lock `acquire` takes: `onHold` hears of the lock (the store's reads and
 * writes use it while `fn` runs) and of its end; the lock is released once `fn` settles, either way. An aborted
 * `signal` stops the wait for the mutex, as in {@link runExclusive}; `acquire` stops its own wait.
 *
 * @example
 * return runHoldingLock(mutex, () => acquireRedisLock(connection, lockOptions, signal), (lock) => { held = lock }, fn, signal)
 */
export function runHoldingLock<L extends { release(): Promise<void> }, T>(
  mutex: Mutex,
  acquire: () => Promise<L>,
  onHold: (lock: L | undefined) => void,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  return runExclusive(
    mutex,
    async () => {
      const lock = await acquire()
      onHold(lock)
      try {
        return await fn()
      } finally {
        onHold(undefined)
        await lock.release()
      }
    },
    signal,
  )
}
