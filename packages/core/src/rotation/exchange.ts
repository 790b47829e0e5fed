/**
 * One refresh grant, sent again only when it provably never reached the token service (the REFRESH_GRANTS rule
 * of retry-policy.ts), and its answer sorted into what the rotation protocol acts on.
 */

import { type AacError, isAacError } from '../errors.ts'
import { describeFetchFailure } from '../http/fetch-failure.ts'
import { sleep } from '../internal/abort.ts'
import { isPermissionDenial } from '../internal/permission-hint.ts'
import {
  type Backoff,
  discardBody,
  mayRetry,
  REFRESH_GRANTS,
  type RetryableFailure,
  retryDelay,
} from '../retry-policy.ts'
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

type RetryOutcome = { status: number } | { failure: RetryableFailure }

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
  /** Waits before a resend. False when the rule forbids it or the rotation's deadline would pass first. */
  const resend = async (
    outcome: RetryOutcome,
    retried: number,
    headers: Headers | undefined,
    why: string,
  ) => {
    if (!mayRetry(REFRESH_GRANTS, outcome, retried, backoff)) return false
    const waitMs = retryDelay(retried, headers, backoff)
    ctx.log('token: resending a refresh that never reached the token endpoint', {
      endpoint: origin,
      why,
      waitMs,
    })
    return sleep(waitMs, deadline).then(
      () => true,
      () => false,
    )
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
      if (failed.kind === 'uncertain') return failed
      // What an injected fetch refused, a TLS problem or a sandbox refusal (Deno without --allow-net) will not
      // go away by waiting.
      const lasting = isAacError(error) || failed.error.code === 'TLS_ERROR' || isPermissionDenial(error)
      if (lasting || !(await resend({ failure: 'not-sent' }, retried, undefined, failed.error.code)))
        return failed
      continue
    }
    const { status } = response
    const verdict = statusVerdict(response)
    if (verdict !== 'answer') discardBody(response)
    if (verdict === 'redirect') {
      return { kind: 'not-sent', error: redirectError(origin, response.headers.get('location') ?? undefined) }
    }
    if (verdict === 'uncertain')
      return { kind: 'uncertain', detail: `the token endpoint answered HTTP ${status}` }
    if (verdict === 'retry') {
      if (await resend({ status }, retried, response.headers, String(status))) continue
      return { kind: 'not-sent', error: unavailableError(origin, status, retried + 1) }
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
): { kind: 'uncertain'; detail: string } | { kind: 'not-sent'; error: AacError } {
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
