/**
 * The OAuth refresh_token grant as two steps, request and answer (the shape of oauth4webapi's
 * `refreshTokenGrantRequest` / `processRefreshTokenResponse`), plus the one question that decides whether a
 * refresh token may be sent again: did the failed request provably never reach the token service?
 *
 * Refresh tokens are single-use. A request that reached the server may have spent the token even if its answer
 * never arrived; sending the same token again is then the reuse that makes servers of this kind revoke the whole
 * token family. So a failure is `not-sent` (safe to resend) only when it says so by itself: no connection
 * (refused, DNS, TLS handshake), or an answer saying the grant was not processed (429, 503). Everything else
 * after the request left (a reset, a timeout, 500/502/504, an unknown error) is `uncertain`.
 */

import { isStandardOAuthError } from '../creds-error-body.ts'
import { isAacError } from '../errors.ts'
import { chain, findTlsProblem } from '../http/fetch-failure.ts'
import { isPermissionDenial } from '../internal/permission-hint.ts'
import { parseUrl } from '../internal/url.ts'
import { type AccessTokenClaims, decodeAccessToken } from '../jwt.ts'
import { REFRESH_GRANTS } from '../retry-policy.ts'
import type { FetchLike } from '../types.ts'

export interface RefreshGrantRequest {
  endpoint: string
  refreshToken: string
  /** The access token's `client_id` claim: the OAuth client (no secret: a public client). */
  clientId: string
  userAgent?: string | undefined
  signal: AbortSignal
  fetch?: FetchLike | undefined
}

/**
 * Sends the grant. Never follows a redirect: a 3xx would carry the refresh token to a host nobody checked
 * (fetch's default `redirect: 'follow'` re-posts the body on 307/308).
 */
export function refreshGrantRequest(request: RefreshGrantRequest): Promise<Response> {
  // Looked up at call time, so msw and tests that patch the global see the request.
  return (request.fetch ?? globalThis.fetch)(request.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...(request.userAgent && { 'user-agent': request.userAgent }),
    },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: request.refreshToken,
      client_id: request.clientId,
    }),
    redirect: 'manual',
    signal: request.signal,
  })
}

/** Whether a failed grant may have reached the token service, and so may have spent the refresh token. */
export type Delivery = 'not-sent' | 'uncertain'

const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  // Bun
  'ConnectionRefused',
  'FailedToOpenSocket',
])

/**
 * Messages of runtimes that give no code. Deno says which phase failed: `client error (Connect)` before any
 * byte of the request was written, `client error (SendRequest)` after; and refuses some ports outright.
 */
const NOT_CONNECTED_MESSAGE =
  /client error \(Connect\)|dns error|failed to lookup address|connection refused|bad port|requests to port \d+ are blocked|getaddrinfo/i

/**
 * Classifies a rejection of `fetch` for the grant. `deadlineFired`: our own time limit aborted it, which says
 * nothing about whether the server got the request.
 *
 * @example
 * fetchFailureDelivery(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }), false) // 'not-sent'
 * fetchFailureDelivery(new TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } }), false) // 'uncertain'
 */
export function fetchFailureDelivery(error: unknown, deadlineFired: boolean): Delivery {
  if (deadlineFired) return 'uncertain'
  // An injected fetch (the browser example's bridge) reports in our own terms: only transport failures are
  // uncertain; a refusal of its own (no lease, a bad configuration) happened before anything was sent.
  if (isAacError(error)) {
    return error.code === 'NETWORK_ERROR' || error.code === 'TIMEOUT' ? 'uncertain' : 'not-sent'
  }
  // Deno without --allow-net refuses before connecting; a TLS handshake fails before the request is written.
  if (isPermissionDenial(error) || findTlsProblem(error)) return 'not-sent'
  for (const problem of chain(error)) {
    if (problem.code !== undefined && NOT_CONNECTED_CODES.has(problem.code)) return 'not-sent'
    if (NOT_CONNECTED_MESSAGE.test(problem.message)) return 'not-sent'
  }
  return 'uncertain'
}

/**
 * What an answer's status says about delivery, before its body is read: `retry` (not processed, so not
 * spent: may be sent again after a wait), `redirect` (never followed), `uncertain` (the token service may have
 * rotated), or `answer` (read the body).
 */
export type StatusVerdict = 'answer' | 'retry' | 'redirect' | 'uncertain'

/**
 * 429 and 503 say the grant was not processed (the REFRESH_GRANTS statuses). A redirect is never followed. Any
 * other 5xx may come from a gateway after the token service rotated: uncertain.
 *
 * @example
 * statusVerdict(new Response(null, { status: 502 })) // 'uncertain'
 */
export function statusVerdict(response: Response): StatusVerdict {
  const { status } = response
  // In browsers `redirect: 'manual'` yields an opaque answer with status 0 and no Location.
  if (response.type === 'opaqueredirect' || (status >= 300 && status < 400)) return 'redirect'
  if (REFRESH_GRANTS.statuses.has(status)) return 'retry'
  return status >= 500 || status < 200 ? 'uncertain' : 'answer'
}

/** A token response that may be stored. */
export interface GrantedTokens {
  accessToken: string
  /** Absent when the server keeps the refresh token (then the old one stays good). */
  refreshToken: string | undefined
  claims: AccessTokenClaims
  /**
   * The server's clock minus ours, in ms, from its `Date` header (else the token's `iat`); 0 when the
   * difference is within normal latency.
   */
  clockOffsetMs: number
}

/** Why a 2xx token response cannot be stored. The server has spent the refresh token all the same. */
export type UnusableAnswer =
  | { kind: 'no-access-token' }
  | { kind: 'expired'; expiredSecondsAgo: number }
  | { kind: 'untrusted-issuer'; issuerOrigin: string }

export type GrantAnswer =
  | { kind: 'tokens'; tokens: GrantedTokens }
  | { kind: 'invalid_grant' }
  | { kind: 'refused'; status: number; error: string | undefined }
  | { kind: 'unusable'; why: UnusableAnswer }

/** Differences smaller than this are rounding and latency, not a wrong clock. */
const CLOCK_NOISE_MS = 5_000

export interface ProcessGrantOptions {
  /** Our clock. */
  now: () => number
  /** Throws if `issuer` is not a token endpoint we may send a refresh token to. */
  assertTrustedIssuer: (issuer: string) => void
}

/**
 * Reads the answer to the grant (any status the {@link statusVerdict} called `answer`). Only a response with a
 * decodable, unexpired access token from a trusted issuer is `tokens`: an error body, an expired token (which
 * would be refreshed again at once, forever) or a token that names another issuer (the next refresh would send
 * the refresh token there) is never stored.
 */
export async function processRefreshGrantResponse(
  response: Response,
  options: ProcessGrantOptions,
): Promise<GrantAnswer> {
  const data: unknown = await response.json().catch(() => undefined)
  const record = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {}
  if (!response.ok) {
    const error = typeof record['error'] === 'string' ? record['error'] : undefined
    if (error === 'invalid_grant' && (response.status === 400 || response.status === 401)) {
      return { kind: 'invalid_grant' }
    }
    return {
      kind: 'refused',
      status: response.status,
      error: isStandardOAuthError(error) ? error : undefined,
    }
  }
  const accessToken = record['access_token']
  const decoded = typeof accessToken === 'string' ? decodeAccessToken(accessToken) : undefined
  if (typeof accessToken !== 'string' || !decoded?.ok)
    return { kind: 'unusable', why: { kind: 'no-access-token' } }
  const { claims } = decoded
  try {
    options.assertTrustedIssuer(claims.iss)
  } catch {
    const issuerOrigin = parseUrl(claims.iss)?.origin ?? 'an address that is not a URL'
    return { kind: 'unusable', why: { kind: 'untrusted-issuer', issuerOrigin } }
  }
  const localNow = options.now()
  const serverNow = serverTime(response, claims) ?? localNow
  if (claims.exp * 1000 <= serverNow || (typeof claims.iat === 'number' && claims.exp <= claims.iat)) {
    return {
      kind: 'unusable',
      why: { kind: 'expired', expiredSecondsAgo: Math.max(0, Math.round(serverNow / 1000 - claims.exp)) },
    }
  }
  const offset = serverNow - localNow
  const refreshToken = record['refresh_token']
  return {
    kind: 'tokens',
    tokens: {
      accessToken: accessToken.trim(),
      refreshToken:
        typeof refreshToken === 'string' && refreshToken.trim() !== '' ? refreshToken.trim() : undefined,
      claims,
      clockOffsetMs: Math.abs(offset) > CLOCK_NOISE_MS ? offset : 0,
    },
  }
}

/**
 * The server's "now": its `Date` header, which an expired token cannot fake, else the token's `iat`. The
 * header alone tells a token minted an hour ago (expired) from a server whose clock is an hour behind (fresh).
 */
function serverTime(response: Response, claims: AccessTokenClaims): number | undefined {
  const header = response.headers.get('date')
  const parsed = header ? Date.parse(header) : Number.NaN
  // The header has whole seconds: count the token as issued within the second the header names.
  if (Number.isFinite(parsed)) return parsed
  return typeof claims.iat === 'number' ? claims.iat * 1000 : undefined
}
