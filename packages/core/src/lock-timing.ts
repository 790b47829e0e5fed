/**
 * The three durations that decide whether programs sharing a store wait for each other or collide, derived
 * from one another in this one place. Every store's lock (file, browser, keychain, Redis, PostgreSQL) must
 * respect the rule written in `TokenStorage`'s doc comment:
 *
 *   lock wait  ≥ refresh budget + margin   (a waiter outlasts a holder that uses its whole budget)
 *   stale age  > refresh budget + margin   (a live holder is never taken over)
 *
 * Measured failure with the old values (wait 30 s < budget 40 s): with a 35 s token endpoint, 31 of 32
 * waiting programs gave up with LOCK_TIMEOUT while the holder was still rotating for them.
 */

/** Longest time the token requests of one rotation may take, retries included. */
export const DEFAULT_REFRESH_BUDGET_MS = 40_000

/** Room for the I/O around the token request (re-read, save, fsync, release) and for scheduling delays. */
export const LOCK_MARGIN_MS = 10_000

export interface LockTiming {
  /** The refresh budget these were derived from. */
  readonly refreshBudgetMs: number
  /** How long a program waits for the lock before giving up. */
  readonly waitMs: number
  /** After how long a lock whose owner may still be alive is taken over. */
  readonly staleMs: number
}

/**
 * The lock wait and stale age that fit a refresh budget.
 *
 * @example
 * lockTiming() // { refreshBudgetMs: 40000, waitMs: 50000, staleMs: 60000 }
 */
export function lockTiming(refreshBudgetMs: number = DEFAULT_REFRESH_BUDGET_MS): LockTiming {
  if (!(refreshBudgetMs > 0 && Number.isFinite(refreshBudgetMs))) {
    throw new RangeError(`the refresh budget must be a finite number of ms > 0, got ${refreshBudgetMs}`)
  }
  return {
    refreshBudgetMs,
    waitMs: refreshBudgetMs + LOCK_MARGIN_MS,
    staleMs: refreshBudgetMs + 2 * LOCK_MARGIN_MS,
  }
}

/** The defaults every store uses unless told otherwise. */
export const LOCK_TIMING: LockTiming = lockTiming()
