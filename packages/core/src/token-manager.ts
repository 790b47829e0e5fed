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

import { createSharedRenewal } from './internal/shared-renewal.ts'
import { DEFAULT_REFRESH_BUDGET_MS } from './lock-timing.ts'
import type { RotationContext } from './rotation/context.ts'
import { sameTokenError } from './rotation/messages.ts'
import { usable } from './rotation/pairs.ts'
import { obtain } from './rotation/protocol.ts'
import type { TokenStorage } from './storage/types.ts'
import type { AccessTokenSource, FetchLike, Logger } from './types.ts'

/**
 * Options of {@link createTokenManager}: the store, and how refreshes are sent and judged.
 *
 * @example
 * const tokens = createTokenManager({ storage, region: 'us1' })
 */
export interface TokenManagerOptions {
  /** Where the pair lives and how programs sharing it take turns. */
  storage: TokenStorage
  /** Injected fetch; else the global one, looked up at call time. */
  fetch?: FetchLike | undefined
  /** The user's region (`us1`…), for the pages named in messages. Taken from the issuer when absent. */
  region?: string | undefined
  /** Token hosts to trust besides https `*.alteryxcloud.com` and loopback. */
  trustedTokenHosts?: readonly string[] | undefined
  /**
   * Longest time the token requests of one rotation may take, retries included (default 40 s, see
   * `lockTiming`). It bounds how long the storage lock is held, so the store's lock wait and stale age must be
   * derived from it: `lockTiming(refreshTimeoutMs)` gives both.
   * @default 40000
   */
  refreshTimeoutMs?: number | undefined
  /**
   * Resends of a refresh whose request provably never reached the token service: no connection, or 429/503
   * (default 3). Nothing else is ever resent.
   * @default 3
   */
  refreshRetries?: number | undefined
  /**
   * First backoff step for those retries, in ms.
   * @default 300
   */
  retryBaseDelayMs?: number | undefined
  /** Names this program in the record a refresh leaves in the store (default: the script's file name). */
  programName?: string | undefined
  /** Clock, for tests. */
  now?: (() => number) | undefined
  /** Receives token events (refreshed, a pair adopted from another program, clock skew), never a token value. */
  logger?: Logger | undefined
  /** Sent as the User-Agent of token requests where the runtime allows it. */
  userAgent?: string | undefined
}

/** What {@link TokenManager.state} reports about the access token in use. */
export interface TokenState {
  /** When the current access token expires. */
  expiresAt: Date
  /** When it was issued, if the token says. */
  issuedAt: Date | undefined
  /** The token endpoint's origin (never a token). */
  issuer: string
}

/** Counters of a token manager, for tests and `aac` to show what happened. */
export interface TokenManagerStats {
  /** Refreshes this process performed (each spent a refresh token). */
  refreshes: number
  /** Times a pair rotated by another program was picked up from the store instead of refreshing. */
  adopted: number
}

/**
 * Hands out fresh access tokens from a {@link TokenStorage}, refreshing under the store's lock when needed; give
 * one to several clients with `createClient({ config, tokens })`.
 */
export interface TokenManager extends AccessTokenSource {
  /** Rotates now, under the lock, unless another program rotated meanwhile. Returns the new access token. */
  refresh(signal?: AbortSignal): Promise<string>
  /** Expiry and issuer of the token in use, once one was loaded. */
  state(): TokenState | undefined
  /** Counters of what this manager did: refreshes sent, pairs adopted from another program. */
  stats(): TokenManagerStats
  /** Every token value this manager has seen, for redaction by value. */
  secrets(): string[]
  /** The store the pair lives in. */
  readonly storage: TokenStorage
}

/**
 * Creates the token manager for one store. Share one per store in a process. Its parts: `rotation/protocol.ts`
 * (the rotation under the lock: the heart), `rotation/exchange.ts` and `rotation/refresh-grant.ts` (the grant and
 * its answer), `rotation/pairs.ts` (reading and judging pairs), `rotation/messages.ts` (what each failure
 * tells the user) and `internal/shared-renewal.ts` (one renewal shared by concurrent callers).
 *
 * @example
 * const tokens = createTokenManager({ storage: fileStorage({ path: 'creds.json' }) })
 * const accessToken = await tokens.getAccessToken()
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const { storage, logger } = options
  const ctx: RotationContext = {
    storage,
    settings: {
      fetch: options.fetch,
      region: options.region,
      trustedTokenHosts: options.trustedTokenHosts,
      refreshTimeoutMs: options.refreshTimeoutMs ?? DEFAULT_REFRESH_BUDGET_MS,
      refreshRetries: options.refreshRetries ?? 3,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 300,
      programName: options.programName,
      userAgent: options.userAgent,
      now: options.now ?? Date.now,
    },
    state: {
      current: undefined,
      seen: new Set(),
      spent: new Set(),
      uncertainHere: new Set(),
      clockOffsetMs: 0,
      counters: { refreshes: 0, adopted: 0 },
    },
    log: (message, details) => logger?.(message, details),
  }
  const renewals = createSharedRenewal<string>()

  /**
   * The shared renewal, tried once more when it yields the very token the API rejected (another program may
   * have stored it after our caller got it), then a clear error: never a loop that spends a refresh token per
   * turn.
   */
  async function renew(rejected: string | undefined, force: boolean, signal?: AbortSignal): Promise<string> {
    const token = await renewals.join((abandoned) => obtain(ctx, rejected, force, abandoned), signal)
    if (rejected === undefined || token !== rejected) return token
    const again = await renewals.join((abandoned) => obtain(ctx, rejected, true, abandoned), signal)
    if (again !== rejected) return again
    throw sameTokenError(ctx)
  }

  const { state } = ctx
  return {
    storage,
    async getAccessToken(signal) {
      if (state.current && usable(ctx, state.current)) return state.current.tokens.accessToken
      return renew(undefined, false, signal)
    },
    async renewAccessToken(rejected, signal) {
      if (state.current && usable(ctx, state.current, rejected)) return state.current.tokens.accessToken
      return renew(rejected, false, signal)
    },
    refresh(signal) {
      return renew(state.current?.tokens.accessToken, true, signal)
    },
    state() {
      if (!state.current) return undefined
      const { claims } = state.current
      return {
        expiresAt: new Date(claims.exp * 1000),
        issuedAt: typeof claims.iat === 'number' ? new Date(claims.iat * 1000) : undefined,
        issuer: claims.iss,
      }
    },
    stats: () => ({ ...state.counters }),
    secrets: () => [...state.seen],
  }
}
