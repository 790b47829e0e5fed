/**
 * One refresh grant, sent again only when it provably never reached the token service (the REFRESH_GRANTS rule
 * of retry-policy.ts), and its answer sorted into what the rotation protocol acts on.
 */

import { isAacError } from '../errors.ts'
import { describeFetchFailure } from '../http/fetch-failure.ts'
import { sleep } from '../internal/abort.ts'
import { isPermissionDenial } from '../internal/permission-hint.ts'
import { type Backoff, discardBody, mayRetry, REFRESH_GRANTS, retryDelay } from '../retry-policy.ts'
import { tokenEndpoint } from '../token-endpoint.ts'
import type { LoadedPair, RotationContext } from './context.ts'
import {
  notSentError,
  redirectError,
  refusedError,
  seconds,
  transportDetail,
  unavailableError,
} from './messages.ts'
import {
  fetchFailureDelivery,
  type GrantedTokens,
  processRefreshGrantResponse,
  refreshGrantRequest,
  statusVerdict,
  type UnusableAnswer,
} from './refresh-grant.ts'

/** What became of the grant. */
export type Exchange =
  | { kind: 'tokens'; tokens: GrantedTokens }
  | { kind: 'invalid_grant' }
  | { kind: 'not-sent'; error: Error }
  | { kind: 'uncertain'; detail: string }
  | { kind: 'unusable'; why: UnusableAnswer }

/** Waits at most this long for a Retry-After: the whole rotation must fit in its deadline, holding the lock. */
const MAX_REFRESH_RETRY_AFTER_MS = 10_000

export async function exchange(
  ctx: RotationContext,
  endpoint: string,
  from: LoadedPair,
  deadline: AbortSignal,
): Promise<Exchange> {
  const { settings } = ctx
  const origin = new URL(endpoint).origin
  const backoff: Backoff = {
    retries: settings.refreshRetries,
    baseDelayMs: settings.retryBaseDelayMs,
    maxDelayMs: 5_000,
    maxRetryAfterMs: MAX_REFRESH_RETRY_AFTER_MS,
  }
  for (let retried = 0; ; retried++) {
    let response: Response
    try {
      // No per-attempt timeout: an answer that comes late still carries the only copy of the new pair.
      response = await refreshGrantRequest({
        endpoint,
        refreshToken: from.tokens.refreshToken,
        clientId: from.claims.client_id,
        userAgent: settings.userAgent,
        signal: deadline,
        fetch: settings.fetch,
      })
    } catch (error) {
      const failed = sendFailure(ctx, error, endpoint, deadline)
      if (failed.kind !== 'not-sent') return failed
      // A TLS problem or a sandbox refusal (Deno without --allow-net) will not go away by waiting.
      const code = (failed.error as { code?: string }).code
      const lasting = isAacError(error) || code === 'TLS_ERROR' || isPermissionDenial(error)
      if (lasting || !mayRetry(REFRESH_GRANTS, { failure: 'not-sent' }, retried, backoff)) return failed
      if (!(await pause(ctx, retryDelay(retried, undefined, backoff), deadline, origin, failed.error)))
        return failed
      continue
    }
    const verdict = statusVerdict(response)
    if (verdict.kind !== 'answer') discardBody(response)
    if (verdict.kind === 'redirect')
      return { kind: 'not-sent', error: redirectError(origin, verdict.location) }
    if (verdict.kind === 'uncertain') {
      return { kind: 'uncertain', detail: `the token endpoint answered ${verdict.detail}` }
    }
    if (verdict.kind === 'retry') {
      const unavailable = {
        kind: 'not-sent',
        error: unavailableError(origin, response.status, retried + 1),
      } as const
      if (!mayRetry(REFRESH_GRANTS, { status: response.status }, retried, backoff)) return unavailable
      const waited = await pause(
        ctx,
        retryDelay(retried, response.headers, backoff),
        deadline,
        origin,
        response.status,
      )
      if (!waited) return unavailable
      continue
    }
    const answer = await processRefreshGrantResponse(response, {
      now: settings.now,
      assertTrustedIssuer: (issuer) => tokenEndpoint(issuer, settings.trustedTokenHosts),
    })
    if (answer.kind === 'refused') {
      return { kind: 'not-sent', error: refusedError(ctx, origin, answer.status, answer.error, from) }
    }
    return answer
  }
}

/** A rejected send: uncertain unless it provably never reached the token service. */
function sendFailure(
  ctx: RotationContext,
  error: unknown,
  endpoint: string,
  deadline: AbortSignal,
): Extract<Exchange, { kind: 'uncertain' | 'not-sent' }> {
  if (fetchFailureDelivery(error, deadline.aborted) === 'uncertain') {
    return {
      kind: 'uncertain',
      detail: deadline.aborted
        ? `no answer within ${seconds(ctx.settings.refreshTimeoutMs)}`
        : `the connection failed after the request was sent: ${transportDetail(error, endpoint)}`,
    }
  }
  // An injected fetch (the browser example's bridge) says it best in its own typed error.
  if (isAacError(error)) return { kind: 'not-sent', error }
  return { kind: 'not-sent', error: notSentError(describeFetchFailure(error, endpoint)) }
}

/** Waits before a resend. False when the rotation's deadline would pass first (then nothing more is sent). */
async function pause(
  ctx: RotationContext,
  delayMs: number,
  deadline: AbortSignal,
  origin: string,
  why: Error | number,
): Promise<boolean> {
  const reason = typeof why === 'number' ? String(why) : ((why as { code?: string }).code ?? why.name)
  ctx.log('token: resending a refresh that never reached the token endpoint', {
    endpoint: origin,
    why: reason,
    waitMs: delayMs,
  })
  try {
    await sleep(delayMs, deadline)
    return true
  } catch {
    return false
  }
}
