/**
 * Reading an access token's claims. Alteryx access tokens are RS256 JWTs; the library only needs `iss` (where
 * to refresh), `client_id` (sent with the refresh) and `exp`/`iat` (when to refresh). Nothing here verifies the
 * signature: the claims decide timing and are never trusted for where a secret goes (see `tokenEndpoint`).
 */

/** The claims of an Alteryx Cloud access token that the toolkit reads (it never verifies the signature). */
export interface AccessTokenClaims {
  /** Issuer base URL; the token endpoint is `${iss}/token`. */
  readonly iss: string
  /** The OAuth client (not the API project id). */
  readonly client_id: string
  /** Expiry, seconds since the epoch. */
  readonly exp: number
  /** Issued at, seconds since the epoch, when present. */
  readonly iat?: number
  readonly [claim: string]: unknown
}

/** Why a string is not a usable access token; the caller turns it into a message naming the file. */
export type JwtProblem =
  | { kind: 'not-jwt' }
  | { kind: 'payload-not-json' }
  | { kind: 'missing-claims'; claims: string[] }

/** What {@link decodeAccessToken} returns: the claims, or what is wrong with the token, never a thrown error. */
export type DecodeResult = { ok: true; claims: AccessTokenClaims } | { ok: false; problem: JwtProblem }

/** Decodes base64url (RFC 4648 §5), with or without padding, to text. Throws on bad input. */
export function base64UrlDecode(input: string): string {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(input)) throw new SyntaxError('not base64url')
  const base64 = input.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/')
  if (base64.length % 4 === 1) throw new SyntaxError('not base64url')
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4)
  const binary = atob(padded)
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0))
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
}

/** Encodes text as unpadded base64url. */
export function base64UrlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
}

/**
 * Decodes an access token's payload without verifying it.
 *
 * @example
 * const result = decodeAccessToken(token)
 * if (result.ok) console.log(new Date(result.claims.exp * 1000))
 */
export function decodeAccessToken(token: string): DecodeResult {
  const parts = token.trim().split('.')
  if (parts.length !== 3 || parts.some((part, i) => part.length === 0 && i < 2)) {
    return { ok: false, problem: { kind: 'not-jwt' } }
  }
  let payload: unknown
  try {
    payload = JSON.parse(base64UrlDecode(parts[1]!))
  } catch {
    return { ok: false, problem: { kind: 'payload-not-json' } }
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, problem: { kind: 'payload-not-json' } }
  }
  const claims = payload as Record<string, unknown>
  const missing: string[] = []
  if (typeof claims['iss'] !== 'string' || claims['iss'] === '') missing.push('iss')
  if (typeof claims['client_id'] !== 'string' || claims['client_id'] === '') missing.push('client_id')
  if (typeof claims['exp'] !== 'number' || !Number.isFinite(claims['exp'])) missing.push('exp')
  if (missing.length > 0) return { ok: false, problem: { kind: 'missing-claims', claims: missing } }
  if (claims['iat'] !== undefined && typeof claims['iat'] !== 'number') delete claims['iat']
  return { ok: true, claims: claims as AccessTokenClaims }
}

/** Milliseconds before `exp` at which a token counts as stale: min(60 s, half its lifetime). */
export function refreshSkewMs(claims: Pick<AccessTokenClaims, 'exp' | 'iat'>): number {
  const maxSkew = 60_000
  if (typeof claims.iat !== 'number' || claims.iat >= claims.exp) return maxSkew
  // Alteryx tokens live 5 minutes: a fixed 5-minute skew (as other SDKs use) would refresh on every call.
  return Math.min(maxSkew, ((claims.exp - claims.iat) * 1000) / 2)
}

/** True when the token can be used as is: more than the skew remains before `exp`. */
export function isFresh(claims: Pick<AccessTokenClaims, 'exp' | 'iat'>, nowMs: number): boolean {
  return claims.exp * 1000 - nowMs > refreshSkewMs(claims)
}
