/**
 * What may be sent again, and after how long: one place for the API client and the token refresh.
 *
 * Two rules, because the two kinds of request differ in what a second send costs:
 * - an idempotent API request ({@link API_REQUESTS}) may be sent again after any transient failure: 429, 5xx,
 *   no connection, a timeout. Sending a GET twice is harmless.
 * - a refresh grant ({@link REFRESH_GRANTS}) spends its single-use refresh token the moment it reaches the
 *   server, so it is sent again only when it provably never did: 429 and 503 (not processed), or no connection
 *   at all (refused, DNS, TLS handshake; see `refresh-grant.ts`). A reset after sending, a timeout, a 500, 502
 *   or 504 may follow a rotation on the server: sending again then is the reuse that revokes the token family.
 */

import { backoffDelay } from './internal/abort.ts'

/** A rule: which answers and which failures allow another send. */
export interface RetryRule {
  /** Statuses that may be answered by sending again. */
  readonly statuses: ReadonlySet<number>
  /** Failures without an answer (as classified by the caller) that may be answered by sending again. */
  readonly failures: ReadonlySet<RetryableFailure>
}

/**
 * `not-sent`: no connection was made (refused, DNS, TLS handshake); `network`: a transport failure after the
 * request may have left; `timeout`: no answer in time.
 */
export type RetryableFailure = 'not-sent' | 'network' | 'timeout'

/** Idempotent API requests: any transient failure. */
export const API_REQUESTS: RetryRule = {
  statuses: new Set([429, 500, 502, 503, 504]),
  failures: new Set(['not-sent', 'network', 'timeout']),
}

/** Refresh grants: only what provably never reached the token service. */
export const REFRESH_GRANTS: RetryRule = {
  statuses: new Set([429, 503]),
  failures: new Set(['not-sent']),
}

/** How many sends and how long between them. */
export interface Backoff {
  /** Sends after the first. */
  readonly retries: number
  /** First backoff step (full jitter, doubling). */
  readonly baseDelayMs: number
  /** Largest backoff step. */
  readonly maxDelayMs: number
  /** Largest wait a server's Retry-After may ask for; longer hints are cut to it. */
  readonly maxRetryAfterMs: number
}

/**
 * Whether the send numbered `retried` (0 for the first retry) may happen after `outcome` under `rule`.
 *
 * @example
 * mayRetry(REFRESH_GRANTS, { status: 502 }, 0, backoff) // false: a gateway may answer 502 after a rotation
 */
export function mayRetry(
  rule: RetryRule,
  outcome: { status: number } | { failure: RetryableFailure },
  retried: number,
  backoff: Pick<Backoff, 'retries'>,
): boolean {
  if (retried >= backoff.retries) return false
  return 'status' in outcome ? rule.statuses.has(outcome.status) : rule.failures.has(outcome.failure)
}

/**
 * How long to wait before the next send: the server's `x-retry-after` / `Retry-After` when it gave one (capped),
 * else exponential backoff with full jitter.
 *
 * @example
 * retryDelay(2, new Headers({ 'x-retry-after': '3' }), backoff) // 3000
 */
export function retryDelay(retried: number, headers: Headers | undefined, backoff: Backoff): number {
  const hinted = headers ? parseRetryAfter(headers) : undefined
  if (hinted !== undefined) return Math.min(hinted, backoff.maxRetryAfterMs)
  return backoffDelay(retried, backoff.baseDelayMs, backoff.maxDelayMs)
}

/**
 * Lets go of an answer that will not be read, so it does not hold its connection. Not awaited: a cancel may
 * never settle (msw's mocked bodies do not), and nothing depends on it.
 */
export function discardBody(response: Response): void {
  void response.body?.cancel().catch(() => undefined)
}

/**
 * How long the server asks us to wait, in ms: Alteryx's `x-retry-after` (seconds) first, else the standard
 * `Retry-After` (seconds or an HTTP date). Undefined when neither is usable.
 *
 * @example
 * parseRetryAfter(new Headers({ 'x-retry-after': '2' })) // 2000
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const alteryx = headers.get('x-retry-after')?.trim()
  if (alteryx && /^\d+(\.\d+)?$/.test(alteryx)) return Math.round(Number(alteryx) * 1000)
  const standard = headers.get('retry-after')?.trim()
  if (!standard) return undefined
  if (/^\d+(\.\d+)?$/.test(standard)) return Math.round(Number(standard) * 1000)
  const date = Date.parse(standard)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
