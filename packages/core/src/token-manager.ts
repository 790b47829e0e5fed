/**
 * The heart of the library: hands out access tokens and rotates the single-use refresh token so that no two
 * programs, tabs or callers ever spend the same refresh token.
 *
 * The rules, each kept by a test:
 * - A fresh access token (more than min(60 s, half its lifetime) left) is used as is: no refresh, no I/O.
 * - In one process, concurrent callers share one in-flight renewal.
 * - Across programs, a refresh happens only inside `storage.withLock`, after re-reading the store: if another
 *   program already rotated, its pair is used and nothing is sent.
 * - Only a validated token response is stored, and it is stored before the new access token is handed out.
 * - `invalid_grant` → re-read the store once (a program that does not take our lock may have rotated), else
 *   REAUTH_REQUIRED naming the page of the user's region. The user's files are left as they were.
 */

import { AuthError, ConfigError, isAacError, StorageError, TimeoutError } from './errors.ts'
import { describeFetchFailure, parseRetryAfter } from './internal/http-errors.ts'
import { isPermissionDenial } from './internal/permission-hint.ts'
import { abortReason, backoffDelay, sleep } from './internal/sleep.ts'
import { type AccessTokenClaims, decodeAccessToken, isFresh } from './jwt.ts'
import { apiTokensPage, regionOfHost } from './regions.ts'
import type { StoredTokens, TokenStorage } from './storage/types.ts'
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
   * Longest time the token requests of one rotation may take, retries and a second try after `invalid_grant`
   * included (default 40 s). It bounds how long the storage lock is held, so keep it below the storage's stale
   * age (60 s for the file lock): past that, another program would take the lock over.
   */
  refreshTimeoutMs?: number
  /** Retries of a refresh that got no answer, a 429 or a 5xx (default 3). Never retried on a 4xx. */
  refreshRetries?: number
  /** First backoff step for those retries (default 300 ms). */
  retryBaseDelayMs?: number
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

interface Current {
  tokens: StoredTokens
  claims: AccessTokenClaims
}

const DEFAULT_REFRESH_TIMEOUT_MS = 40_000

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
  const refreshTimeoutMs = options.refreshTimeoutMs ?? DEFAULT_REFRESH_TIMEOUT_MS
  const refreshRetries = options.refreshRetries ?? 3
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 300
  const seen = new Set<string>()
  /** Refresh tokens this manager rotated away from: dead, never to be sent again. */
  const spent = new Set<string>()
  /** Server clock minus ours, learnt from the `iat` of tokens we received (0 until then, or when small). */
  let clockOffsetMs = 0
  const counters: TokenManagerStats = { refreshes: 0, adopted: 0 }
  let current: Current | undefined
  /** The renewal under way, shared by every caller, and how many callers still wait for it. */
  let inflight: { promise: Promise<string>; waiting: number; abandon: AbortController } | undefined

  const log: Logger = (message, details) => logger?.(message, details)

  function regionFor(claims?: AccessTokenClaims): string | undefined {
    if (options.region) return options.region
    try {
      return claims ? regionOfHost(new URL(claims.iss).hostname) : undefined
    } catch {
      return undefined
    }
  }

  /** Decodes a stored pair; a pair whose access token is not a usable JWT gets an error naming the store. */
  function load(tokens: StoredTokens): Current {
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
    return { tokens, claims: decoded.claims }
  }

  function usable(candidate: Current | undefined, rejected?: string): boolean {
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
  function newest(stored: Current): Current {
    return current && spent.has(stored.tokens.refreshToken) && !spent.has(current.tokens.refreshToken)
      ? current
      : stored
  }

  async function readStore(): Promise<Current> {
    const tokens = await storage.read()
    if (!tokens) {
      throw new ConfigError(
        'CONFIG_MISSING',
        storage.location,
        `No tokens found in ${storage.location}: generate a token pair at ${apiTokensPage(options.region)} and store both tokens there.`,
      )
    }
    return load(tokens)
  }

  function adopt(next: Current, how: 'adopted' | 'refreshed'): string {
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
   * server may already have spent the old refresh token). Callers stop waiting on their own (see `single`).
   */
  async function obtain(
    rejected: string | undefined,
    force: boolean,
    abandoned: AbortSignal,
  ): Promise<string> {
    if (!force) {
      // Cheap, lock-free read: another program may already have rotated.
      let stored: Current | undefined
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
        const next = await rotate(locked, AbortSignal.timeout(refreshTimeoutMs))
        return adopt(next, 'refreshed')
      },
      { signal: abandoned },
    )
  }

  /** Spends `from.refreshToken` once; inside the lock. */
  async function rotate(from: Current, deadline: AbortSignal): Promise<Current> {
    // Known dead (rotated away from, or refused with invalid_grant): sending it again would look like reuse,
    // which makes servers of this kind revoke the whole token family.
    if (spent.has(from.tokens.refreshToken)) throw reauthError(from)
    const endpoint = tokenEndpoint(from.claims.iss, options.trustedTokenHosts)
    let spending = from
    let result = await postRefresh(endpoint, from, deadline)
    if (result === 'invalid_grant') {
      spent.add(from.tokens.refreshToken)
      // A program that does not take our lock (Alteryx's own scripts) may have rotated meanwhile.
      const again = await readStore().catch(() => undefined)
      if (again && !spent.has(again.tokens.refreshToken)) {
        if (usable(again)) return again
        spending = again
        result = await postRefresh(
          tokenEndpoint(again.claims.iss, options.trustedTokenHosts),
          again,
          deadline,
        )
        if (result === 'invalid_grant') spent.add(again.tokens.refreshToken)
      }
      if (result === 'invalid_grant') throw reauthError(from)
    }
    counters.refreshes++
    const response = result
    const next = load({
      accessToken: response.accessToken,
      // A server may keep the refresh token unchanged and omit it: then the old one is still good.
      refreshToken: response.refreshToken ?? spending.tokens.refreshToken,
    })
    if (next.tokens.refreshToken !== spending.tokens.refreshToken) spent.add(spending.tokens.refreshToken)
    learnClockOffset(next.claims)
    await persist(next.tokens)
    log('token: refreshed and saved the rotated pair', {
      store: storage.location,
      expiresAt: new Date(next.claims.exp * 1000).toISOString(),
    })
    return next
  }

  /**
   * A freshly issued token's `iat` is the server's "now": a local clock minutes off would otherwise make every
   * token look stale (a refresh per call) or fresh past its end (a 401 per call).
   */
  function learnClockOffset(claims: AccessTokenClaims): void {
    if (typeof claims.iat !== 'number') return
    const offset = claims.iat * 1000 - now()
    // Seconds of rounding and latency are noise; only a clock that is clearly off is corrected.
    clockOffsetMs = Math.abs(offset) > 5_000 ? offset : 0
  }

  async function persist(tokens: StoredTokens): Promise<void> {
    try {
      await storage.write(tokens)
    } catch (error) {
      // The old refresh token is already dead: the new pair must not be lost with this error.
      current = load(tokens)
      let where = "only in this process's memory"
      if (storage.saveRecovery) {
        where = await storage.saveRecovery(tokens).catch(() => where)
      }
      throw new StorageError(
        'TOKENS_NOT_SAVED',
        `The tokens were rotated, but ${storage.location} could not be written (${describe(error)}). The new pair is kept ${where === "only in this process's memory" ? where : `in ${where}`}: copy it into ${storage.location} before the next run, then delete that copy.`,
        { cause: error, location: where },
      )
    }
  }

  type RefreshResult = { accessToken: string; refreshToken: string | undefined } | 'invalid_grant'

  async function postRefresh(endpoint: string, from: Current, overall: AbortSignal): Promise<RefreshResult> {
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: from.tokens.refreshToken,
      client_id: from.claims.client_id,
    })
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    }
    if (options.userAgent) headers['user-agent'] = options.userAgent
    for (let attempt = 0; ; attempt++) {
      const fetchImpl = options.fetch ?? globalThis.fetch
      let response: Response
      try {
        // No per-attempt timeout: an answer that comes late still carries the only copy of the new pair.
        response = await fetchImpl(endpoint, { method: 'POST', headers, body, signal: overall })
      } catch (error) {
        if (overall.aborted) throw refreshTimeout(overall, endpoint)
        // An injected fetch (the browser example's bridge) may fail with a typed error of ours: it says it best.
        if (isAacError(error)) throw error
        const failure = describeFetchFailure(error, endpoint)
        // A TLS problem or a sandbox refusal (Deno without --allow-net) will not go away by waiting.
        if (attempt >= refreshRetries || failure.code === 'TLS_ERROR' || isPermissionDenial(error))
          throw failure
        await wait(attempt, undefined, overall, endpoint, failure.code)
        continue
      }
      if (response.status === 429 || response.status >= 500) {
        // Not awaited: some fetch implementations (msw) never settle a cancel.
        response.body?.cancel().catch(() => undefined)
        if (attempt >= refreshRetries) {
          throw new AuthError(
            'TOKEN_ENDPOINT_UNAVAILABLE',
            `The token endpoint ${new URL(endpoint).origin} answered ${response.status} ${attempt + 1} times: try again in a few minutes. Your tokens were not changed.`,
          )
        }
        const hinted = parseRetryAfter(response.headers)
        // Capped: the whole rotation must fit in its deadline, and the lock is held meanwhile.
        await wait(
          attempt,
          hinted === undefined ? undefined : Math.min(hinted, 10_000),
          overall,
          endpoint,
          String(response.status),
        )
        continue
      }
      const data = await response.json().catch(() => undefined)
      if (response.status === 400 || response.status === 401) {
        const error =
          typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['error'] : undefined
        if (error === 'invalid_grant') return 'invalid_grant'
        throw new AuthError(
          'TOKEN_REFRESH_FAILED',
          `The token endpoint refused the refresh (${response.status}${typeof error === 'string' ? ` ${error}` : ''}). The access token's client_id claim is sent as the OAuth client: if this persists, generate a new pair at ${apiTokensPage(regionFor(from.claims))}.`,
        )
      }
      if (!response.ok) {
        throw new AuthError(
          'TOKEN_REFRESH_FAILED',
          `The token endpoint answered ${response.status} to the refresh: try again later. Your tokens were not changed.`,
        )
      }
      return validate(data, endpoint)
    }
  }

  /** Only a response with a usable access token is ever stored: an error body must never replace the pair. */
  function validate(
    data: unknown,
    endpoint: string,
  ): { accessToken: string; refreshToken: string | undefined } {
    const record = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {}
    const accessToken = record['access_token']
    const refreshToken = record['refresh_token']
    if (typeof accessToken !== 'string' || !decodeAccessToken(accessToken).ok) {
      throw new AuthError(
        'TOKEN_REFRESH_FAILED',
        `The token endpoint ${new URL(endpoint).origin} answered without a usable access token; nothing was stored. If the next run reports an invalid refresh token, generate a new pair at ${apiTokensPage(options.region)}.`,
      )
    }
    return {
      accessToken,
      refreshToken: typeof refreshToken === 'string' && refreshToken.trim() !== '' ? refreshToken : undefined,
    }
  }

  async function wait(
    attempt: number,
    hintedMs: number | undefined,
    signal: AbortSignal,
    endpoint: string,
    why: string,
  ): Promise<void> {
    const delay = hintedMs ?? backoffDelay(attempt, retryBaseDelayMs, 5_000)
    log('token: retrying the refresh', { endpoint: new URL(endpoint).origin, why, waitMs: delay })
    try {
      await sleep(delay, signal)
    } catch {
      throw refreshTimeout(signal, endpoint)
    }
  }

  function refreshTimeout(signal: AbortSignal, endpoint: string): Error {
    const reason: unknown = signal.reason
    return new TimeoutError(
      'TIMEOUT',
      `Refreshing the access token at ${new URL(endpoint).origin} took longer than ${refreshTimeoutMs} ms. Your tokens were not changed; check your connection and try again.`,
      { cause: reason },
    )
  }

  function reauthError(from: Current): AuthError {
    const url = apiTokensPage(regionFor(from.claims))
    return new AuthError(
      'REAUTH_REQUIRED',
      `The refresh token in ${storage.location} is no longer valid (invalid_grant): it was already used, has expired (tokens live 1 to 365 days) or was revoked. Generate a new pair at ${url} ("+ Generate") and paste both tokens into ${storage.location}.`,
      { url },
    )
  }

  /**
   * One renewal at a time per manager; later callers share it. A caller's signal only stops that caller's
   * wait; the renewal goes on for the others and its result is saved. Only when every caller has given up
   * before the token request was sent is the renewal dropped.
   */
  function single(rejected: string | undefined, force: boolean, signal?: AbortSignal): Promise<string> {
    if (!inflight) {
      const abandon = new AbortController()
      const renewal = { promise: obtain(rejected, force, abandon.signal), waiting: 0, abandon }
      inflight = renewal
      renewal.promise
        .finally(() => {
          if (inflight === renewal) inflight = undefined
        })
        .catch(() => undefined)
    }
    const renewal = inflight
    const result = renewal.promise.then((token) =>
      // The renewal we joined may have produced the very token that was just rejected: renew again.
      token === rejected ? single(rejected, force, signal) : token,
    )
    if (!signal) {
      renewal.waiting = Number.POSITIVE_INFINITY
      return result
    }
    renewal.waiting++
    return untilAborted(result, signal, () => {
      if (--renewal.waiting === 0) renewal.abandon.abort(signal.reason)
    })
  }

  return {
    storage,
    async getAccessToken(signal) {
      if (current && usable(current)) return current.tokens.accessToken
      return single(undefined, false, signal)
    },
    async renewAccessToken(rejected, signal) {
      if (current && usable(current, rejected)) return current.tokens.accessToken
      return single(rejected, false, signal)
    },
    refresh(signal) {
      return single(current?.tokens.accessToken, true, signal)
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

function describe(error: unknown): string {
  if (error instanceof Error) return (error as { code?: string }).code ?? error.message
  return String(error)
}
