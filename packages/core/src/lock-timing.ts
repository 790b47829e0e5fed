/**
 * The three durations that decide whether programs sharing a store wait for each other or collide, derived
 * from one another in this one place. Every store's lock (file, browser, keychain, Redis, PostgreSQL) must
 * respect the rule written in `TokenStorage`'s doc comment:
 *
 *   lock wait  ≥ refresh budget + margin   (a waiter outlasts a holder that uses its whole budget)
 *   stale age  > refresh budget + margin   (a live holder is never taken over)
 *
 * and here the wait also outlasts the stale age by a little: a holder that was killed, and whose death cannot
 * be checked (on another computer; Deno without --allow-run), frees its lock only by turning stale, and a waiter
 * must still be there to take it over rather than give up just before.
 *
 * Measured failures: with wait 30 s < budget 40 s and a 35 s token endpoint, 31 of 32 waiting programs gave up
 * with LOCK_TIMEOUT while the holder was still rotating for them; with wait 50 s < stale 60 s, the program
 * after a `kill -9`-ed Deno example gave up after 50 s on a lock it could have taken over at 60 s.
 */

/** Longest time the token requests of one rotation may take, retries included. */
export const DEFAULT_REFRESH_BUDGET_MS = 40_000

/** Room for the I/O around the token request (re-read, save, fsync, release) and for scheduling delays. */
export const LOCK_MARGIN_MS = 10_000

/** How long past the stale age a waiter still waits, to take over a lock that just turned stale. */
const TAKEOVER_GRACE_MS = 2_000

/** How long a program waits for the token lock and when a lock counts as stale, derived by {@link lockTiming}. */
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
 * lockTiming() // { refreshBudgetMs: 40000, waitMs: 62000, staleMs: 60000 }
 */
export function lockTiming(refreshBudgetMs: number = DEFAULT_REFRESH_BUDGET_MS): LockTiming {
  if (!(refreshBudgetMs > 0 && Number.isFinite(refreshBudgetMs))) {
    throw new RangeError(`the refresh budget must be a finite number of ms > 0, got ${refreshBudgetMs}`)
  }
  const staleMs = refreshBudgetMs + 2 * LOCK_MARGIN_MS
  return { refreshBudgetMs, waitMs: staleMs + TAKEOVER_GRACE_MS, staleMs }
}

/** The defaults every store uses unless told otherwise. */
export const LOCK_TIMING: LockTiming = lockTiming()
