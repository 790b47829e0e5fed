/**
 * What the parts of the token manager share: the store, the resolved options, and what this process knows
 * about the pairs it has seen. One object, passed to each part, instead of sixteen closures over six variables.
 */

import type { AccessTokenClaims } from '../jwt.ts'
import type { StoredTokens, TokenStorage } from '../storage/types.ts'
import type { FetchLike, Logger } from '../types.ts'

/** A pair read from the store (or received) and decoded. */
export interface LoadedPair {
  readonly tokens: StoredTokens
  readonly claims: AccessTokenClaims
}

/** The token manager's options with their defaults applied. */
export interface RotationSettings {
  readonly fetch: FetchLike | undefined
  readonly region: string | undefined
  readonly trustedTokenHosts: readonly string[] | undefined
  /** The deadline of one rotation's token requests: it bounds how long the lock is held. */
  readonly refreshTimeoutMs: number
  /** Sends of a grant that provably never reached the token service, after the first. */
  readonly refreshRetries: number
  readonly retryBaseDelayMs: number
  readonly programName: string | undefined
  readonly userAgent: string | undefined
  readonly now: () => number
}

/** What this process knows. Only the token manager's parts change it. */
export interface RotationState {
  /** The pair in use, once one was loaded. */
  current: LoadedPair | undefined
  /** Every token value seen, for redaction by value. */
  readonly seen: Set<string>
  /**
   * Refresh tokens never to be sent again: rotated away from, refused with invalid_grant, spent by the server
   * without a usable answer, or sent with an outcome that is not known.
   */
  readonly spent: Set<string>
  /** Of those, the ones this run sent with an outcome that is not known. */
  readonly uncertainHere: Set<string>
  /** Server clock minus ours: learnt from token responses, or read with the pair from the store. */
  clockOffsetMs: number
  readonly counters: { refreshes: number; adopted: number }
}

export interface RotationContext {
  readonly storage: TokenStorage
  readonly settings: RotationSettings
  readonly state: RotationState
  readonly log: Logger
}
