import type { KeyObject } from 'node:crypto'
import { createPublicKey, generateKeyPair, randomBytes, sign, verify } from 'node:crypto'
import { promisify } from 'node:util'

/** Claims of the access tokens this fake mints; the real ones carry at least iss, client_id and exp. */
export interface AccessTokenClaims {
  iss: string
  client_id: string
  sub: string
  scope: string
  iat: number
  exp: number
  jti: string
}

export type VerifyResult =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; reason: 'invalid' | 'expired' }

export interface JwtSigner {
  sign(claims: AccessTokenClaims): string
  verify(token: string, nowSeconds: number): VerifyResult
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

/**
 * A fresh RS256 keypair per server: tokens of one fake never verify at another. Generated off the main thread
 * because a 2048-bit key takes a few hundred milliseconds that other servers in the process would lose.
 */
export async function createJwtSigner(): Promise<JwtSigner> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 })
  const publicKey: KeyObject = createPublicKey(privateKey)
  const kid = randomBytes(8).toString('hex')
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))

  return {
    sign(claims) {
      const input = `${header}.${b64url(JSON.stringify(claims))}`
      return `${input}.${b64url(sign('sha256', Buffer.from(input), privateKey))}`
    },
    verify(token, nowSeconds) {
      const parts = token.split('.')
      if (parts.length !== 3) return { ok: false, reason: 'invalid' }
      const [h, p, s] = parts as [string, string, string]
      const signed = verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))
      if (!signed) return { ok: false, reason: 'invalid' }
      let claims: AccessTokenClaims
      try {
        claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as AccessTokenClaims
      } catch {
        return { ok: false, reason: 'invalid' }
      }
      if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return { ok: false, reason: 'expired' }
      return { ok: true, claims }
    },
  }
}
