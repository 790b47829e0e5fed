import { randomBytes, randomUUID } from 'node:crypto'
import type { JwtSigner } from './jwt.ts'
import type { TokenPair } from './types.ts'

/** The user every token belongs to; `/v4/people/current` answers with the same id. */
export const CURRENT_USER_ID = 51

interface Family {
  current: string
  revoked: boolean
}

interface RefreshTokenRecord {
  family: Family
  used: boolean
}

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

  /** A new family, as the web UI's "Generate" button makes. */
  issue(opts: { expired?: boolean; ttlSeconds?: number } = {}): TokenPair {
    const refreshToken = newRefreshToken()
    const family: Family = { current: refreshToken, revoked: false }
    this.#records.set(refreshToken, { family, used: false })
    const ttl = opts.ttlSeconds ?? this.#opts.ttlSeconds
    // Expired: issued an hour and `ttl` ago, so no clock skew allowance on the client can make it look alive.
    const iat = opts.expired ? this.#issuedAt() - 3600 - ttl : this.#issuedAt()
    return { accessToken: this.#mint(iat, ttl), refreshToken }
  }

  /** Spends `rt` and returns the next pair of its family, or why that is refused. */
  redeem(rt: string): RedeemResult {
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
    record.family.current = refreshToken
    this.#records.set(refreshToken, { family: record.family, used: false })
    const ttl = this.#opts.ttlSeconds
    return { ok: true, pair: { accessToken: this.#mint(this.#issuedAt(), ttl), refreshToken } }
  }

  isRefreshTokenValid(rt: string): boolean {
    const record = this.#records.get(rt)
    return !!record && !record.used && !record.family.revoked && record.family.current === rt
  }

  #mint(iat: number, ttl: number): string {
    return this.#opts.signer.sign({
      iss: this.#opts.issuer,
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
