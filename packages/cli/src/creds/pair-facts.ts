/** What can be said about a pair without showing it: its access token's claims, and which refresh record is its. */

import type { StoredTokens } from '@aac/core'
import { decodeAccessToken } from '@aac/core/diagnostics'
import { duration } from '../time.ts'

/** The access token's claims that matter to a person, or why it has none. */
export interface PairFacts {
  /** When the access token expires (`exp`). */
  readonly expiresAt?: Date | undefined
  /** When it was issued (`iat`): when the pair was last rotated (or generated). */
  readonly issuedAt?: Date | undefined
  /** Its issuer (`iss`), whose `/token` endpoint refreshes it. */
  readonly issuer?: string | undefined
  /** The OAuth client it was issued to (`client_id`). */
  readonly clientId?: string | undefined
}

/**
 * The access token's claims: expiry, issue time, issuer. Empty when it does not decode (the stores say why).
 *
 * @example
 * pairFacts(tokens).expiresAt?.toISOString()
 */
export function pairFacts(tokens: StoredTokens): PairFacts {
  const decoded = decodeAccessToken(tokens.accessToken)
  if (!decoded.ok) return {}
  const { claims } = decoded
  return {
    expiresAt: new Date(claims.exp * 1000),
    ...(typeof claims.iat === 'number' && { issuedAt: new Date(claims.iat * 1000) }),
    issuer: claims.iss,
    clientId: claims.client_id,
  }
}

/**
 * The access token's expiry in words: `valid for 4 min 58 s (until …)`, `expired 3 min ago (at …)`.
 *
 * @example
 * expiryText(facts.expiresAt, Date.now())
 */
export function expiryText(expiresAt: Date, now: number): string {
  const left = expiresAt.getTime() - now
  return left > 0
    ? `valid for ${duration(left)} (until ${expiresAt.toISOString()})`
    : `expired ${duration(-left)} ago (at ${expiresAt.toISOString()}; the next call refreshes it)`
}

/**
 * A pair in a few words, for messages that must not show it: its access token's expiry, issue time and issuer.
 *
 * @example
 * describePair(tokens) // 'its access token valid for 4 min (until …), issued at … by https://pingauth.alteryxcloud.com/as'
 */
export function describePair(tokens: StoredTokens): string {
  const facts = pairFacts(tokens)
  if (!facts.expiresAt) return 'its access token does not decode'
  const issued = facts.issuedAt ? `, issued at ${facts.issuedAt.toISOString()}` : ''
  return `its access token ${expiryText(facts.expiresAt, Date.now())}${issued} by ${facts.issuer}`
}

/**
 * The identifier refresh records carry for the refresh token they are about: the first 16 hex digits of its
 * SHA-256, as the core's rotation computes it (internal/program.ts; a test checks they agree). A record about
 * another token is void.
 *
 * @example
 * (await refreshTokenId(tokens.refreshToken)) === tokens.meta?.refresh?.tokenId
 */
export async function refreshTokenId(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return [...new Uint8Array(digest).slice(0, 8)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}
