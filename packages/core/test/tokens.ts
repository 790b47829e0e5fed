// Test helpers: access tokens shaped like Alteryx's (unsigned: the library never verifies signatures).
import { base64UrlEncode } from '../src/jwt.ts'

export interface TestClaims {
  iss?: string
  client_id?: string
  exp?: number
  iat?: number
  [claim: string]: unknown
}

let counter = 0

/** A JWT whose claims default to a 5-minute token issued now by the loopback issuer. */
export function makeJwt(claims: TestClaims = {}, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000)
  const payload = {
    iss: 'http://127.0.0.1:9/as',
    client_id: 'oauth-client',
    iat,
    exp: iat + 300,
    jti: `t${++counter}`,
    ...claims,
  }
  const header = base64UrlEncode(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))
  return `${header}.${base64UrlEncode(JSON.stringify(payload))}.c2lnbmF0dXJl`
}

/** A token that expired `agoSeconds` ago. */
export function expiredJwt(claims: TestClaims = {}, agoSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000)
  return makeJwt({ iat: now - agoSeconds - 300, exp: now - agoSeconds, ...claims })
}
