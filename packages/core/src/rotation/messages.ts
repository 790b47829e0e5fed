/**
 * The token manager's errors. None quotes a token; each says what is known about the pair (was the refresh
 * token sent? spent?) and what to do, naming the store and the page of the user's region.
 */

import { type AacError, AuthError, isAacError, NetworkError, StorageError } from '../errors.ts'
import { describeFetchFailure } from '../http/fetch-failure.ts'
import { parseUrl } from '../internal/url.ts'
import { apiTokensPage, regionOfHost } from '../regions.ts'
import type { RefreshRecord } from '../storage/types.ts'
import type { LoadedPair, RotationContext } from './context.ts'
import type { UnusableAnswer } from './refresh-grant.ts'

/** The user's region: the option, else the one the issuer names. */
export function regionOf(ctx: RotationContext, pair: LoadedPair | undefined): string | undefined {
  return ctx.settings.region || regionOfHost(parseUrl(pair?.claims.iss ?? '')?.hostname ?? '')
}

function tokensPage(ctx: RotationContext, from: LoadedPair | undefined): string {
  return apiTokensPage(regionOf(ctx, from))
}

/** The token endpoint's origin, named in messages: where `pair`'s issuer sends refreshes. */
function issuerOrigin(pair: LoadedPair | undefined): string {
  return parseUrl(pair?.claims.iss ?? '')?.origin ?? ''
}

function describeRecord(record: RefreshRecord): string {
  const where = record.host ? ` on ${record.host}` : ''
  const who = `${record.program}${record.pid !== undefined ? ` (pid ${record.pid}${where})` : ''}`
  const what =
    record.detail !== undefined && record.detail !== 'interrupted'
      ? `and it ended uncertain (${record.detail})`
      : 'and it stopped before saving an answer (killed, or cut off)'
  return `a refresh of this pair sent by ${who} at ${record.at} was interrupted: it reached the token endpoint ${what}`
}

/** invalid_grant, or a token known dead: only a new pair helps. Names the interrupted refresh, if one is known. */
export function reauthError(ctx: RotationContext, from: LoadedPair, earlier?: RefreshRecord): AuthError {
  const url = tokensPage(ctx, from)
  const { location } = ctx.storage
  const why = earlier
    ? `${capitalize(describeRecord(earlier))}, so the server had already spent the refresh token and the new pair it answered was lost. The refresh token in ${location} is no longer valid (invalid_grant).`
    : `The refresh token in ${location} is no longer valid (invalid_grant): it was already used, has expired (tokens live 1 to 365 days) or was revoked.`
  return new AuthError(
    'REAUTH_REQUIRED',
    `${why} Generate a new pair at ${url} ("+ Generate") and ${ctx.storage.newPairHint ?? `paste both tokens into ${location}`}.`,
    { url },
  )
}

/**
 * A refresh token this run will not send again. After an uncertain failure in this very run, say that again
 * rather than claim the server refused it (it was never asked twice).
 */
export function knownDeadError(
  ctx: RotationContext,
  from: LoadedPair,
  earlier: RefreshRecord | undefined,
): AuthError {
  if (ctx.state.uncertainHere.has(from.tokens.refreshToken)) {
    const detail = earlier?.detail ?? 'its answer was lost'
    return uncertainError(ctx, issuerOrigin(from), detail, earlier !== undefined, from)
  }
  return reauthError(ctx, from, earlier)
}

export function uncertainError(
  ctx: RotationContext,
  endpoint: string,
  detail: string,
  recorded: boolean,
  from: LoadedPair,
): AuthError {
  const { location } = ctx.storage
  const url = tokensPage(ctx, from)
  const where = recorded
    ? `This is recorded in ${location}: the next run tries the pair once more and, if the server refuses it, says so.`
    : `It could not be recorded in ${location}.`
  return new AuthError(
    'TOKEN_REFRESH_UNCERTAIN',
    `The refresh at ${new URL(endpoint).origin} may or may not have happened (${detail}). If the server did rotate, the new pair was lost with its answer and the pair in ${location} no longer works: your tokens may be lost. It was not sent again, since a second use of a spent refresh token makes the server revoke the whole token family. ${where} If it then fails, generate a new pair at ${url}.`,
    { url },
  )
}

export function unusableDetail(why: UnusableAnswer): string {
  switch (why.kind) {
    case 'no-access-token':
      return 'an answer without a usable access token'
    case 'expired':
      return `an access token that had already expired (${why.expiredSecondsAgo} s before the server's own clock)`
    case 'untrusted-issuer':
      return `an access token whose issuer is ${why.issuerOrigin}, which is not a trusted token endpoint`
  }
}

export function unusableError(
  ctx: RotationContext,
  endpoint: string,
  why: UnusableAnswer,
  recorded: boolean,
  from: LoadedPair,
): AuthError {
  const url = tokensPage(ctx, from)
  return new AuthError(
    'TOKEN_REFRESH_FAILED',
    `The token endpoint ${new URL(endpoint).origin} answered the refresh with ${unusableDetail(why)}, so nothing was stored. The server has spent the refresh token all the same: the pair in ${ctx.storage.location} was kept as it was, but it can no longer be refreshed${recorded ? ' (recorded there, so no program sends it again)' : ''}. Generate a new pair at ${url} ("+ Generate").`,
    { url },
  )
}

export function redirectError(origin: string, location: string | undefined): AuthError {
  const target = location
    ? (parseUrl(location, origin)?.origin ?? 'an address that is not a URL')
    : 'an address it did not name'
  return new AuthError(
    'TOKEN_REFRESH_FAILED',
    `The token endpoint ${origin} answered the refresh with a redirect to ${target}. Redirects are never followed from the token endpoint (they would carry the refresh token to a host nobody checked), so nothing was sent there and your tokens were not changed. Check the access token's issuer, or the network path to ${origin} (a proxy or captive portal).`,
  )
}

export function refusedError(
  ctx: RotationContext,
  origin: string,
  status: number,
  error: string | undefined,
  from: LoadedPair,
): AuthError {
  return new AuthError(
    'TOKEN_REFRESH_FAILED',
    `The token endpoint ${origin} refused the refresh (${status}${error ? ` ${error}` : ''}). The access token's client_id claim is sent as the OAuth client: if this persists, generate a new pair at ${tokensPage(ctx, from)}. Your tokens were not changed.`,
  )
}

export function unavailableError(origin: string, status: number, sends: number): AuthError {
  return new AuthError(
    'TOKEN_ENDPOINT_UNAVAILABLE',
    `The token endpoint ${origin} answered ${status} (not processed) ${sends} time${sends > 1 ? 's' : ''}: try again in a few minutes. Your tokens were not changed.`,
  )
}

/** The endpoint twice answered with the access token the API had just rejected: refreshing again would not help. */
export function sameTokenError(ctx: RotationContext): AuthError {
  const { current } = ctx.state
  return new AuthError(
    'TOKEN_REFRESH_FAILED',
    `The token endpoint ${issuerOrigin(current)} twice answered a refresh with the access token the API had just rejected, so refreshing again would not help. The rotated pair was saved in ${ctx.storage.location}; try again later, and if it persists, generate a new pair at ${apiTokensPage(regionOf(ctx, current))}.`,
  )
}

/** The write before sending failed: nothing was sent. A storage's own error already says what to fix. */
export function cannotRecordError(ctx: RotationContext, error: unknown): Error {
  if (isAacError(error)) return error
  const { location } = ctx.storage
  return new StorageError(
    'STORAGE_ERROR',
    `Could not write ${location} before refreshing the tokens (${describe(error)}), so the refresh was not sent: your tokens were not changed. Fix what keeps ${location} from being written and run again.`,
    { cause: error, location },
  )
}

/** The new pair could not be saved: the old refresh token is dead, so say exactly where the new one is. */
export function notSavedError(ctx: RotationContext, error: unknown, where: string | undefined): StorageError {
  const { location } = ctx.storage
  const kept = where === undefined ? "only in this process's memory" : `in ${where}`
  return new StorageError(
    'TOKENS_NOT_SAVED',
    `The tokens were rotated, but ${location} could not be written (${describe(error)}). The new pair is kept ${kept}: the next program that uses ${location} picks it up from there; to do it by hand, copy it into ${location} and delete that copy.`,
    { cause: error, location: where ?? kept },
  )
}

/** A transport failure before anything was sent says so: the tokens are as they were. */
export function notSentError(failure: AacError): AacError {
  if (!(failure instanceof NetworkError)) return failure
  return new NetworkError(
    failure.code,
    `${failure.message} The refresh request never reached the token endpoint, so your tokens were not changed.`,
    { cause: failure.cause },
  )
}

/** The transport failure's innermost words, without the URL (the origin is named separately). */
export function transportDetail(error: unknown, endpoint: string): string {
  const described = describeFetchFailure(error, endpoint).message
  const match = /could not reach [^:]+: (.*?)\. Check your internet/.exec(described)
  return match?.[1] ?? 'no details'
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`
}

export function describe(error: unknown): string {
  if (error instanceof Error) return (error as { code?: string }).code ?? error.message
  return String(error)
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
