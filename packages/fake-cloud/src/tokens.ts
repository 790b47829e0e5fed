import { randomBytes, randomUUID } from 'node:crypto'
import type { JwtSigner } from './jwt.ts'
import type { TokenPair } from './types.ts'

/** The user every token belongs to; `/v4/people/current` answers with the same id. */
export const CURRENT_USER_ID = 51

interface Family {
  current: string
  /** The access token handed out with `current`: what a `same-access-token` fault answers again. */
  accessToken: string
  revoked: boolean
}

interface RefreshTokenRecord {
  family: Family
  used: boolean
}

/**
 * Which access token a successful refresh answers with: a new one (the default), the family's previous one,
 * one already expired, or one whose `iss` claim is another issuer.
 */
export type AccessTokenChoice =
  | { kind: 'new' }
  | { kind: 'same' }
  | { kind: 'expired' }
  | { kind: 'issuer'; issuer: string }

export type RedeemResult =
  | { ok: true; pair: TokenPair }
  | { ok: false; reason: 'unknown' | 'revoked' | 'reused'; description: string }

export interface TokenServiceOptions {
  signer: JwtSigner
  issuer: string
  oauthClientId: string
  ttlSeconds: number
  now?: () => number
}

/**
 * Refresh tokens are single-use and grouped in families, like the real authorization server: presenting a used
 * refresh token is treated as theft and revokes the whole family, so the current token of the chain dies too.
 */
export class TokenService {
  readonly #records = new Map<string, RefreshTokenRecord>()
  readonly #opts: TokenServiceOptions

  constructor(opts: TokenServiceOptions) {
    this.#opts = opts
  }

  get ttlSeconds(): number {
    return this.#opts.ttlSeconds
  }

  /**
   * The `iat` of a token minted now: the time rounded UP to the whole second. The bearer check accepts a token
   * while the clock is before `exp = iat + ttl`, so every token lives at least its `ttl`; rounding down would
   * cut up to a second off it, and kill a 1-second token on arrival.
   */
  #issuedAt(): number {
    return Math.ceil((this.#opts.now ?? Date.now)() / 1000)
  }

  /** Expired: issued an hour and `ttl` ago, so no clock skew allowance on the client can make it look alive. */
  #expiredIssuedAt(ttl: number): number {
    return this.#issuedAt() - 3600 - ttl
  }

  /** A new family, as the web UI's "Generate" button makes. */
  issue(opts: { expired?: boolean; ttlSeconds?: number } = {}): TokenPair {
    const refreshToken = newRefreshToken()
    const ttl = opts.ttlSeconds ?? this.#opts.ttlSeconds
    const iat = opts.expired ? this.#expiredIssuedAt(ttl) : this.#issuedAt()
    const accessToken = this.#mint(iat, ttl)
    const family: Family = { current: refreshToken, accessToken, revoked: false }
    this.#records.set(refreshToken, { family, used: false })
    return { accessToken, refreshToken }
  }

  /**
   * Spends `rt` and returns the next pair of its family, or why that is refused. `access` is asked only once the
   * refresh is accepted (so a fault it consumes is spent only by a refresh that rotated) and picks the access
   * token of the answer; the refresh token always rotates.
   */
  redeem(rt: string, access: () => AccessTokenChoice = () => ({ kind: 'new' })): RedeemResult {
    const record = this.#records.get(rt)
    if (!record) return { ok: false, reason: 'unknown', description: 'Refresh token is unknown or expired' }
    if (record.used) {
      record.family.revoked = true
      return {
        ok: false,
        reason: 'reused',
        description: 'Refresh token was already used; the token family has been revoked',
      }
    }
    if (record.family.revoked)
      return { ok: false, reason: 'revoked', description: 'Refresh token was revoked' }
    record.used = true
    const refreshToken = newRefreshToken()
    const family = record.family
    family.current = refreshToken
    this.#records.set(refreshToken, { family, used: false })
    const ttl = this.#opts.ttlSeconds
    const choice = access()
    if (choice.kind !== 'same') {
      const iat = choice.kind === 'expired' ? this.#expiredIssuedAt(ttl) : this.#issuedAt()
      family.accessToken = this.#mint(iat, ttl, choice.kind === 'issuer' ? choice.issuer : undefined)
    }
    return { ok: true, pair: { accessToken: family.accessToken, refreshToken } }
  }

  isRefreshTokenValid(rt: string): boolean {
    const record = this.#records.get(rt)
    return !!record && !record.used && !record.family.revoked && record.family.current === rt
  }

  #mint(iat: number, ttl: number, issuer = this.#opts.issuer): string {
    return this.#opts.signer.sign({
      iss: issuer,
      client_id: this.#opts.oauthClientId,
      sub: `user-${CURRENT_USER_ID}`,
      scope: 'openid profile email offline_access',
      iat,
      exp: iat + ttl,
      jti: randomUUID(),
    })
  }
}

function newRefreshToken(): string {
  // 24 random bytes are exactly 32 base64url characters.
  return 'rt_' + randomBytes(24).toString('base64url')
}
