/**
 * The heart of the library: hands out access tokens and rotates the single-use refresh token so that no two
 * programs, tabs or callers ever spend the same refresh token.
 *
 * The rules, each kept by a test:
 * - A fresh access token (more than min(60 s, half its lifetime) left, by the server's clock as learnt and
 *   stored with the pair) is used as is: no refresh, no I/O.
 * - In one process, concurrent callers share one in-flight renewal. A renewal that yields the very token the
 *   API rejected is tried once more, then fails: it never loops.
 * - Across programs, a refresh happens only inside `storage.withLock`, after re-reading the store: if another
 *   program already rotated, its pair is used and nothing is sent.
 * - Before the refresh token is sent, the store records that a refresh of this pair is in flight (which also
 *   proves the store can be written before anything is spent). The record goes when the new pair is saved, or
 *   when the request provably never reached the server; it stays when that is not known, so the next program
 *   can say what happened if the server then refuses the token.
 * - A refresh token is sent again only when its request provably never reached the token service (see
 *   refresh-grant.ts). Never after an uncertain failure in the same run, never after the server spent it.
 * - Only a validated token response is stored (decodable, unexpired, from a trusted issuer), and it is stored
 *   before the new access token is handed out.
 * - `invalid_grant` → re-read the store once (a program that does not take our lock may have rotated), else
 *   REAUTH_REQUIRED naming the page of the user's region, and the refresh left in flight if there was one.
 */

import { AuthError, ConfigError, isAacError, NetworkError, StorageError } from './errors.ts'
import { describeFetchFailure, parseRetryAfter } from './internal/http-errors.ts'
import { isPermissionDenial } from './internal/permission-hint.ts'
import { currentProgram, tokenId } from './internal/program.ts'
import { abortReason, backoffDelay, sleep } from './internal/sleep.ts'
import { type AccessTokenClaims, decodeAccessToken, isFresh } from './jwt.ts'
import { DEFAULT_REFRESH_BUDGET_MS } from './lock-timing.ts'
import {
  fetchFailureDelivery,
  type GrantedTokens,
  processRefreshGrantResponse,
  refreshGrantRequest,
  statusVerdict,
  type UnusableAnswer,
} from './refresh-grant.ts'
import { apiTokensPage, regionOfHost } from './regions.ts'
import type { PairMeta, RefreshRecord, StoredTokens, TokenStorage } from './storage/types.ts'
import { tokenEndpoint } from './token-endpoint.ts'
import type { AccessTokenSource, FetchLike, Logger } from './types.ts'

export interface TokenManagerOptions {
  /** Where the pair lives and how programs sharing it take turns. */
  storage: TokenStorage
  /** Injected fetch; else the global one, looked up at call time. */
  fetch?: FetchLike
  /** The user's region (`us1`…), for the pages named in messages. Taken from the issuer when absent. */
  region?: string | undefined
  /** Token hosts to trust besides https `*.alteryxcloud.com` and loopback. */
  trustedTokenHosts?: readonly string[]
  /**
   * Longest time the token requests of one rotation may take, retries included (default 40 s, see
   * `lockTiming`). It bounds how long the storage lock is held, so the store's lock wait and stale age must be
   * derived from it: `lockTiming(refreshTimeoutMs)` gives both.
   */
  refreshTimeoutMs?: number
  /**
   * Resends of a refresh whose request provably never reached the token service: no connection, or 429/503
   * (default 3). Nothing else is ever resent.
   */
  refreshRetries?: number
  /** First backoff step for those retries (default 300 ms). */
  retryBaseDelayMs?: number
  /** Names this program in the record a refresh leaves in the store (default: the script's file name). */
  programName?: string
  /** Clock, for tests. */
  now?: () => number
  logger?: Logger
  /** Sent as the User-Agent of token requests where the runtime allows it. */
  userAgent?: string
}

export interface TokenState {
  /** When the current access token expires. */
  expiresAt: Date
  /** When it was issued, if the token says. */
  issuedAt: Date | undefined
  /** The token endpoint's origin (never a token). */
  issuer: string
}

export interface TokenManagerStats {
  /** Refreshes this process performed (each spent a refresh token). */
  refreshes: number
  /** Times a pair rotated by another program was picked up from the store instead of refreshing. */
  adopted: number
}

export interface TokenManager extends AccessTokenSource {
  /** Rotates now, under the lock, unless another program rotated meanwhile. Returns the new access token. */
  refresh(signal?: AbortSignal): Promise<string>
  /** Expiry and issuer of the token in use, once one was loaded. */
  state(): TokenState | undefined
  stats(): TokenManagerStats
  /** Every token value this manager has seen, for redaction by value. */
  secrets(): string[]
  readonly storage: TokenStorage
}

/** A pair read from the store (or received) and decoded. */
interface LoadedPair {
  tokens: StoredTokens
  claims: AccessTokenClaims
}

/**
 * Creates the token manager for one store. Share one per store in a process.
 *
 * @example
 * const tokens = createTokenManager({ storage: fileStorage({ path: 'creds.json' }) })
 * const accessToken = await tokens.getAccessToken()
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const { storage, logger } = options
  const now = options.now ?? Date.now
  const refreshTimeoutMs = options.refreshTimeoutMs ?? DEFAULT_REFRESH_BUDGET_MS
  const refreshRetries = options.refreshRetries ?? 3
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 300
  const seen = new Set<string>()
  /**
   * Refresh tokens this manager must never send again: rotated away from, refused with invalid_grant, spent by
   * the server without a usable answer, or sent with an outcome that is not known.
   */
  const spent = new Set<string>()
  /** Of those, the ones this run sent with an outcome that is not known. */
  const uncertainHere = new Set<string>()
  /** Server clock minus ours: learnt from token responses, or read with the pair from the store. */
  let clockOffsetMs = 0
  const counters: TokenManagerStats = { refreshes: 0, adopted: 0 }
  let current: LoadedPair | undefined
  const renewals = createSharedRenewal<string>()

  const log: Logger = (message, details) => logger?.(message, details)

  function regionFor(claims?: AccessTokenClaims): string | undefined {
    if (options.region) return options.region
    try {
      return claims ? regionOfHost(new URL(claims.iss).hostname) : undefined
    } catch {
      return undefined
    }
  }

  /** Decodes a pair and records what it teaches: its tokens (for redaction) and the stored clock offset. */
  function decodePair(tokens: StoredTokens): LoadedPair {
    const decoded = decodeAccessToken(tokens.accessToken)
    if (!decoded.ok) {
      throw new ConfigError(
        'CONFIG_INVALID',
        storage.location,
        `The access token in ${storage.location} cannot be decoded (${decoded.problem.kind}), so it cannot be refreshed: generate a new pair at ${apiTokensPage(options.region)} and store both tokens there.`,
      )
    }
    seen.add(tokens.accessToken)
    seen.add(tokens.refreshToken)
    const stored = tokens.meta?.clockOffsetMs
    if (typeof stored === 'number' && Number.isFinite(stored)) clockOffsetMs = stored
    return { tokens, claims: decoded.claims }
  }

  function usable(candidate: LoadedPair | undefined, rejected?: string): boolean {
    return (
      !!candidate &&
      candidate.tokens.accessToken !== rejected &&
      isFresh(candidate.claims, now() + clockOffsetMs)
    )
  }

  /**
   * The pair to trust between the store and memory. When our own save failed, the store still holds a pair we
   * already rotated away from: its refresh token is dead and ours (in memory) is the newer one.
   */
  function newest(stored: LoadedPair): LoadedPair {
    return current && spent.has(stored.tokens.refreshToken) && !spent.has(current.tokens.refreshToken)
      ? current
      : stored
  }

  async function readStore(): Promise<LoadedPair> {
    const tokens = await storage.read()
    if (!tokens) {
      throw new ConfigError(
        'CONFIG_MISSING',
        storage.location,
        `No tokens found in ${storage.location}: generate a token pair at ${apiTokensPage(options.region)} and store both tokens there.`,
      )
    }
    return decodePair(tokens)
  }

  function adopt(next: LoadedPair, how: 'adopted' | 'refreshed'): string {
    if (how === 'adopted' && current && current.tokens.refreshToken !== next.tokens.refreshToken) {
      counters.adopted++
      log('token: using the pair another program rotated', { store: storage.location })
    }
    current = next
    return next.tokens.accessToken
  }

  /**
   * Makes sure a fresh token other than `rejected` is at hand: store first, then a locked refresh. Takes no
   * caller signal: it is shared by every caller, and a token request once sent must finish and be saved (the
   * server may already have spent the old refresh token). Callers stop waiting on their own.
   */
  async function obtain(
    rejected: string | undefined,
    force: boolean,
    abandoned: AbortSignal,
  ): Promise<string> {
    if (!force) {
      // Cheap, lock-free read: another program may already have rotated.
      let stored: LoadedPair | undefined
      try {
        stored = newest(await readStore())
      } catch (error) {
        // An unparsable store is moved aside by the locked re-read below, which then explains what happened.
        if (!(error instanceof StorageError)) throw error
      }
      if (stored && usable(stored, rejected)) return adopt(stored, 'adopted')
    }
    return storage.withLock(
      async () => {
        // Everyone who asked has given up (Ctrl-C) while we waited for the lock: do not spend a refresh token
        // that nobody will use. Once the request is sent, it is too late to stop.
        if (abandoned.aborted) throw abortReason(abandoned)
        // Re-read under the lock: the pair may have changed while we waited for it.
        const locked = newest(await readStore())
        const changed = current !== undefined && locked.tokens.refreshToken !== current.tokens.refreshToken
        if (usable(locked, rejected) && (!force || changed)) return adopt(locked, 'adopted')
        // One deadline for every token request of this rotation: it bounds how long the lock is held.
        const next = await rotate(locked, AbortSignal.timeout(refreshTimeoutMs), true)
        return adopt(next, 'refreshed')
      },
      { signal: abandoned },
    )
  }

  // -------------------------------------------------------------------------------------------------------
  // The rotation protocol: inside the lock, on the pair just re-read.

  /** Spends `from.tokens.refreshToken` at most once. `mayFollow`: one more pair may be tried after invalid_grant. */
  async function rotate(from: LoadedPair, deadline: AbortSignal, mayFollow: boolean): Promise<LoadedPair> {
    const refreshToken = from.tokens.refreshToken
    const id = await tokenId(refreshToken)
    const earlier = recordFor(from.tokens, id)
    // Known dead here, or recorded as spent by the program that sent it: sending it again would look like
    // reuse, which makes servers of this kind revoke the whole token family.
    if (spent.has(refreshToken)) throw knownDeadError(from, earlier)
    if (earlier?.state === 'spent') {
      spent.add(refreshToken)
      throw reauthError(from, earlier)
    }
    const endpoint = tokenEndpoint(from.claims.iss, options.trustedTokenHosts)

    // 1. Say in the store that this pair's refresh token is about to be sent. If the store cannot be written
    //    (a bind-mounted file, a full disk), we learn it now, while the token is still good.
    const identity = currentProgram()
    const sentRecord: RefreshRecord = {
      at: new Date(now()).toISOString(),
      program: options.programName ?? identity.program,
      pid: identity.pid,
      state: 'sent',
      tokenId: id,
    }
    try {
      await storage.write(withRecord(from.tokens, sentRecord))
    } catch (error) {
      throw cannotRecordError(error)
    }

    // 2. Send, resending only what provably never arrived.
    const outcome = await exchange(endpoint, from, deadline)

    // 3. Act on what is known.
    switch (outcome.kind) {
      case 'tokens':
        return saveRotation(from, outcome.tokens)
      case 'not-sent':
        // Nothing was spent: the store goes back to exactly what it held.
        await restore(from)
        throw outcome.error
      case 'uncertain': {
        spent.add(refreshToken)
        uncertainHere.add(refreshToken)
        const recorded = await mark(from, { ...sentRecord, state: 'uncertain', detail: outcome.detail })
        throw uncertainError(endpoint, outcome.detail, recorded, from)
      }
      case 'unusable': {
        spent.add(refreshToken)
        const detail = unusableDetail(outcome.why)
        const recorded = await mark(from, { ...sentRecord, state: 'spent', detail })
        throw unusableError(endpoint, outcome.why, recorded, from)
      }
      case 'invalid_grant': {
        spent.add(refreshToken)
        // A program that does not take our lock (Alteryx's own scripts) may have rotated meanwhile.
        const again = await readStore().catch(() => undefined)
        if (again && again.tokens.refreshToken !== refreshToken && !spent.has(again.tokens.refreshToken)) {
          if (usable(again)) return again
          if (mayFollow) return rotate(again, deadline, false)
        }
        if (earlier) {
          // The earlier refresh did reach the server: nobody may send this token again.
          await mark(from, { ...earlier, state: 'spent', detail: earlier.detail ?? 'interrupted' })
        } else {
          await restore(from)
        }
        throw reauthError(from, earlier)
      }
    }
  }

  /** The record in `tokens` about the refresh token whose id is `id`; a record about another token is void. */
  function recordFor(tokens: StoredTokens, id: string): RefreshRecord | undefined {
    const record = tokens.meta?.refresh
    return record && record.tokenId === id ? record : undefined
  }

  async function saveRotation(from: LoadedPair, granted: GrantedTokens): Promise<LoadedPair> {
    counters.refreshes++
    if (granted.clockOffsetMs !== 0 || clockOffsetMs !== 0) {
      log('token: the token server clock differs from ours', { offsetMs: granted.clockOffsetMs })
    }
    clockOffsetMs = granted.clockOffsetMs
    const meta: PairMeta | undefined =
      granted.clockOffsetMs !== 0 ? { clockOffsetMs: granted.clockOffsetMs } : undefined
    const next = decodePair({
      accessToken: granted.accessToken,
      // A server may keep the refresh token unchanged and omit it: then the old one is still good.
      refreshToken: granted.refreshToken ?? from.tokens.refreshToken,
      ...(meta && { meta }),
    })
    if (next.tokens.refreshToken !== from.tokens.refreshToken) spent.add(from.tokens.refreshToken)
    await persist(next.tokens)
    log('token: refreshed and saved the rotated pair', {
      store: storage.location,
      expiresAt: new Date(next.claims.exp * 1000).toISOString(),
    })
    return next
  }

  /** Puts back the pair exactly as read (its own record, if it had one): nothing was spent. Best effort. */
  async function restore(from: LoadedPair): Promise<void> {
    try {
      await storage.write(from.tokens)
    } catch (error) {
      log('token: could not remove the in-flight record', { store: storage.location, why: describe(error) })
    }
  }

  /** Replaces the in-flight record with what is now known. False if the store could not be written. */
  async function mark(from: LoadedPair, record: RefreshRecord): Promise<boolean> {
    try {
      await storage.write(withRecord(from.tokens, record))
      return true
    } catch (error) {
      log('token: could not record the outcome of the refresh', {
        store: storage.location,
        why: describe(error),
      })
      return false
    }
  }

  async function persist(tokens: StoredTokens): Promise<void> {
    try {
      await storage.write(tokens)
    } catch (error) {
      // The old refresh token is already dead: the new pair must not be lost with this error.
      current = decodePair(tokens)
      let where = "only in this process's memory"
      if (storage.saveRecovery) {
        where = await storage.saveRecovery(tokens).catch(() => where)
      }
      throw new StorageError(
        'TOKENS_NOT_SAVED',
        `The tokens were rotated, but ${storage.location} could not be written (${describe(error)}). The new pair is kept ${where === "only in this process's memory" ? where : `in ${where}`}: the next program that uses ${storage.location} picks it up from there; to do it by hand, copy it into ${storage.location} and delete that copy.`,
        { cause: error, location: where },
      )
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // The exchange with the token endpoint: one grant, resent only when it provably never arrived.

  type Exchange =
    | { kind: 'tokens'; tokens: GrantedTokens }
    | { kind: 'invalid_grant' }
    | { kind: 'not-sent'; error: Error }
    | { kind: 'uncertain'; detail: string }
    | { kind: 'unusable'; why: UnusableAnswer }

  async function exchange(endpoint: string, from: LoadedPair, deadline: AbortSignal): Promise<Exchange> {
    const origin = new URL(endpoint).origin
    for (let attempt = 0; ; attempt++) {
      let response: Response
      try {
        // No per-attempt timeout: an answer that comes late still carries the only copy of the new pair.
        response = await refreshGrantRequest({
          endpoint,
          refreshToken: from.tokens.refreshToken,
          clientId: from.claims.client_id,
          userAgent: options.userAgent,
          signal: deadline,
          fetch: options.fetch,
        })
      } catch (error) {
        if (fetchFailureDelivery(error, deadline.aborted) === 'uncertain') {
          return {
            kind: 'uncertain',
            detail: deadline.aborted
              ? `no answer within ${seconds(refreshTimeoutMs)}`
              : `the connection failed after the request was sent: ${transportDetail(error, endpoint)}`,
          }
        }
        // An injected fetch's own typed error, a TLS problem or a sandbox refusal (Deno without --allow-net)
        // will not go away by waiting.
        if (isAacError(error)) return { kind: 'not-sent', error }
        const failure = describeFetchFailure(error, endpoint)
        if (attempt >= refreshRetries || failure.code === 'TLS_ERROR' || isPermissionDenial(error)) {
          return { kind: 'not-sent', error: notSent(failure) }
        }
        if (!(await wait(attempt, undefined, deadline, origin, failure.code))) {
          return { kind: 'not-sent', error: notSent(failure) }
        }
        continue
      }
      const verdict = statusVerdict(response)
      if (verdict.kind !== 'answer') {
        // Not awaited: some fetch implementations (msw) never settle a cancel.
        response.body?.cancel().catch(() => undefined)
      }
      if (verdict.kind === 'redirect')
        return { kind: 'not-sent', error: redirectError(origin, verdict.location) }
      if (verdict.kind === 'uncertain')
        return { kind: 'uncertain', detail: `the token endpoint answered ${verdict.detail}` }
      if (verdict.kind === 'retry') {
        const unavailable = () =>
          new AuthError(
            'TOKEN_ENDPOINT_UNAVAILABLE',
            `The token endpoint ${origin} answered ${response.status} (not processed) ${attempt + 1} time${attempt ? 's' : ''}: try again in a few minutes. Your tokens were not changed.`,
          )
        if (attempt >= refreshRetries) return { kind: 'not-sent', error: unavailable() }
        const hinted = parseRetryAfter(response.headers)
        // Capped: the whole rotation must fit in its deadline, and the lock is held meanwhile.
        const waited = await wait(
          attempt,
          hinted === undefined ? undefined : Math.min(hinted, 10_000),
          deadline,
          origin,
          String(response.status),
        )
        if (!waited) return { kind: 'not-sent', error: unavailable() }
        continue
      }
      const answer = await processRefreshGrantResponse(response, {
        now,
        assertTrustedIssuer: (issuer) => tokenEndpoint(issuer, options.trustedTokenHosts),
      })
      if (answer.kind === 'refused') {
        return {
          kind: 'not-sent',
          error: new AuthError(
            'TOKEN_REFRESH_FAILED',
            `The token endpoint ${origin} refused the refresh (${answer.status}${answer.error ? ` ${answer.error}` : ''}). The access token's client_id claim is sent as the OAuth client: if this persists, generate a new pair at ${apiTokensPage(regionFor(from.claims))}. Your tokens were not changed.`,
          ),
        }
      }
      return answer
    }
  }

  /** Waits before a resend. False when the rotation's deadline would pass first (then nothing more is sent). */
  async function wait(
    attempt: number,
    hintedMs: number | undefined,
    deadline: AbortSignal,
    origin: string,
    why: string,
  ): Promise<boolean> {
    const delay = hintedMs ?? backoffDelay(attempt, retryBaseDelayMs, 5_000)
    log('token: resending a refresh that never reached the token endpoint', {
      endpoint: origin,
      why,
      waitMs: delay,
    })
    try {
      await sleep(delay, deadline)
      return true
    } catch {
      return false
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Messages. None quotes a token; each says what is known about the pair and what to do.

  function tokensPage(from: LoadedPair): string {
    return apiTokensPage(regionFor(from.claims))
  }

  function describeRecord(record: RefreshRecord): string {
    const who = `${record.program}${record.pid !== undefined ? ` (pid ${record.pid}${record.host ? ` on ${record.host}` : ''})` : ''}`
    const what =
      record.detail !== undefined && record.detail !== 'interrupted'
        ? `and it ended uncertain (${record.detail})`
        : 'and it stopped before saving an answer (killed, or cut off)'
    return `a refresh of this pair sent by ${who} at ${record.at} was interrupted: it reached the token endpoint ${what}`
  }

  /**
   * A refresh token this run will not send again. After an uncertain failure in this very run, say that again
   * rather than claim the server refused it (it was never asked twice).
   */
  function knownDeadError(from: LoadedPair, earlier: RefreshRecord | undefined): AuthError {
    if (uncertainHere.has(from.tokens.refreshToken)) {
      const detail = earlier?.detail ?? 'its answer was lost'
      return uncertainError(new URL(from.claims.iss).origin, detail, earlier !== undefined, from)
    }
    return reauthError(from, earlier)
  }

  /** The write before sending failed: nothing was sent. A storage's own error already says what to fix. */
  function cannotRecordError(error: unknown): Error {
    if (isAacError(error)) return error
    return new StorageError(
      'STORAGE_ERROR',
      `Could not write ${storage.location} before refreshing the tokens (${describe(error)}), so the refresh was not sent: your tokens were not changed. Fix what keeps ${storage.location} from being written and run again.`,
      { cause: error, location: storage.location },
    )
  }

  function reauthError(from: LoadedPair, earlier?: RefreshRecord): AuthError {
    const url = tokensPage(from)
    const why = earlier
      ? `${capitalize(describeRecord(earlier))}, so the server had already spent the refresh token and the new pair it answered was lost. The refresh token in ${storage.location} is no longer valid (invalid_grant).`
      : `The refresh token in ${storage.location} is no longer valid (invalid_grant): it was already used, has expired (tokens live 1 to 365 days) or was revoked.`
    return new AuthError(
      'REAUTH_REQUIRED',
      `${why} Generate a new pair at ${url} ("+ Generate") and paste both tokens into ${storage.location}.`,
      { url },
    )
  }

  function uncertainError(endpoint: string, detail: string, recorded: boolean, from: LoadedPair): AuthError {
    const where = recorded
      ? `This is recorded in ${storage.location}: the next run tries the pair once more and, if the server refuses it, says so.`
      : `It could not be recorded in ${storage.location}.`
    return new AuthError(
      'TOKEN_REFRESH_UNCERTAIN',
      `The refresh at ${new URL(endpoint).origin} may or may not have happened (${detail}). If the server did rotate, the new pair was lost with its answer and the pair in ${storage.location} no longer works: your tokens may be lost. It was not sent again, since a second use of a spent refresh token makes the server revoke the whole token family. ${where} If it then fails, generate a new pair at ${tokensPage(from)}.`,
      { url: tokensPage(from) },
    )
  }

  function unusableError(
    endpoint: string,
    why: UnusableAnswer,
    recorded: boolean,
    from: LoadedPair,
  ): AuthError {
    const url = tokensPage(from)
    return new AuthError(
      'TOKEN_REFRESH_FAILED',
      `The token endpoint ${new URL(endpoint).origin} answered the refresh with ${unusableDetail(why)}, so nothing was stored. The server has spent the refresh token all the same: the pair in ${storage.location} was kept as it was, but it can no longer be refreshed${recorded ? ' (recorded there, so no program sends it again)' : ''}. Generate a new pair at ${url} ("+ Generate").`,
      { url },
    )
  }

  function redirectError(origin: string, location: string | undefined): AuthError {
    let target = 'an address it did not name'
    if (location) {
      try {
        target = new URL(location, origin).origin
      } catch {
        target = 'an address that is not a URL'
      }
    }
    return new AuthError(
      'TOKEN_REFRESH_FAILED',
      `The token endpoint ${origin} answered the refresh with a redirect to ${target}. Redirects are never followed from the token endpoint (they would carry the refresh token to a host nobody checked), so nothing was sent there and your tokens were not changed. Check the access token's issuer, or the network path to ${origin} (a proxy or captive portal).`,
    )
  }

  /**
   * The shared renewal, tried once more when it yields the very token the API rejected (another program may
   * have stored it after our caller got it), then a clear error: never a loop that spends a refresh token per
   * turn.
   */
  async function renew(rejected: string | undefined, force: boolean, signal?: AbortSignal): Promise<string> {
    const start = (abandoned: AbortSignal) => obtain(rejected, force, abandoned)
    const token = await renewals.join(start, signal)
    if (rejected === undefined || token !== rejected) return token
    const again = await renewals.join((abandoned) => obtain(rejected, true, abandoned), signal)
    if (again !== rejected) return again
    throw new AuthError(
      'TOKEN_REFRESH_FAILED',
      `The token endpoint ${current ? new URL(current.claims.iss).origin : ''} twice answered a refresh with the access token the API had just rejected, so refreshing again would not help. The rotated pair was saved in ${storage.location}; try again later, and if it persists, generate a new pair at ${apiTokensPage(regionFor(current?.claims))}.`,
    )
  }

  return {
    storage,
    async getAccessToken(signal) {
      if (current && usable(current)) return current.tokens.accessToken
      return renew(undefined, false, signal)
    },
    async renewAccessToken(rejected, signal) {
      if (current && usable(current, rejected)) return current.tokens.accessToken
      return renew(rejected, false, signal)
    },
    refresh(signal) {
      return renew(current?.tokens.accessToken, true, signal)
    },
    state() {
      if (!current) return undefined
      const { claims } = current
      return {
        expiresAt: new Date(claims.exp * 1000),
        issuedAt: typeof claims.iat === 'number' ? new Date(claims.iat * 1000) : undefined,
        issuer: claims.iss,
      }
    },
    stats: () => ({ ...counters }),
    secrets: () => [...seen],
  }
}

/** `tokens` carrying `record` as its in-flight refresh, the rest of its metadata kept. */
function withRecord(tokens: StoredTokens, record: RefreshRecord): StoredTokens {
  return { ...tokens, meta: { ...tokens.meta, refresh: record } }
}

function unusableDetail(why: UnusableAnswer): string {
  switch (why.kind) {
    case 'no-access-token':
      return 'an answer without a usable access token'
    case 'expired':
      return `an access token that had already expired (${why.expiredSecondsAgo} s before the server's own clock)`
    case 'untrusted-issuer':
      return `an access token whose issuer is ${why.issuerOrigin}, which is not a trusted token endpoint`
  }
}

/** The transport failure's innermost words, without the URL (the origin is named separately). */
function transportDetail(error: unknown, endpoint: string): string {
  const described = describeFetchFailure(error, endpoint).message
  const match = /could not reach [^:]+: (.*?)\. Check your internet/.exec(described)
  return match?.[1] ?? 'no details'
}

/** A transport failure before anything was sent says so: the tokens are as they were. */
function notSent(failure: NetworkError | Error): Error {
  if (!(failure instanceof NetworkError)) return failure
  return new NetworkError(
    failure.code,
    `${failure.message} The refresh request never reached the token endpoint, so your tokens were not changed.`,
    { cause: failure.cause },
  )
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error as { code?: string }).code ?? error.message
  return String(error)
}

// ---------------------------------------------------------------------------------------------------------
// One renewal at a time, shared by every caller

/**
 * One renewal at a time; later callers join it. A caller's signal only stops that caller's wait; the renewal
 * goes on for the others and its result is saved. Only when every caller has given up before the token
 * request was sent is the renewal dropped (its `abandoned` signal fires).
 */
function createSharedRenewal<T>() {
  let inflight: { promise: Promise<T>; waiting: number; abandon: AbortController } | undefined
  return {
    join(start: (abandoned: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (!inflight) {
        const abandon = new AbortController()
        const renewal = { promise: start(abandon.signal), waiting: 0, abandon }
        inflight = renewal
        renewal.promise
          .finally(() => {
            if (inflight === renewal) inflight = undefined
          })
          .catch(() => undefined)
      }
      const renewal = inflight
      if (!signal) {
        renewal.waiting = Number.POSITIVE_INFINITY
        return renewal.promise
      }
      renewal.waiting++
      return untilAborted(renewal.promise, signal, () => {
        if (--renewal.waiting === 0) renewal.abandon.abort(signal.reason)
      })
    },
  }
}

/** `promise`, or the abort of `signal`, whichever comes first; the promise itself runs on. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, onGiveUp: () => void): Promise<T> {
  if (signal.aborted) {
    onGiveUp()
    return Promise.reject(abortReason(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      onGiveUp()
      reject(abortReason(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
