import { describe, expect, it } from 'vitest'
import { base64UrlDecode, base64UrlEncode, decodeAccessToken, isFresh, refreshSkewMs } from '../src/jwt.ts'
import { makeJwt } from './tokens.ts'

describe('base64url', () => {
  it('decodes without padding and with the url-safe alphabet', () => {
    // "??>" encodes to "Pz8-" in base64url and "Pz8+" in base64.
    expect(base64UrlDecode('Pz8-')).toBe('??>')
    expect(base64UrlDecode('Pz8_')).toBe('???')
    // One and two missing padding characters.
    expect(base64UrlDecode('YQ')).toBe('a')
    expect(base64UrlDecode('YWI')).toBe('ab')
    expect(base64UrlDecode('YWI=')).toBe('ab')
  })

  it('round-trips unicode', () => {
    expect(base64UrlDecode(base64UrlEncode('Zürich ✓'))).toBe('Zürich ✓')
  })

  it('rejects plain base64 characters and impossible lengths', () => {
    expect(() => base64UrlDecode('Pz8+')).toThrow()
    expect(() => base64UrlDecode('a/b')).toThrow()
    expect(() => base64UrlDecode('YWJjZ')).toThrow()
  })
})

describe('decodeAccessToken', () => {
  it('returns the claims of an Alteryx-shaped token', () => {
    const result = decodeAccessToken(
      makeJwt({ iss: 'https://pingauth.alteryxcloud.com/as', exp: 2_000_000_000 }),
    )
    expect(result).toMatchObject({
      ok: true,
      claims: { iss: 'https://pingauth.alteryxcloud.com/as', exp: 2_000_000_000 },
    })
  })

  it('decodes a payload that needs url-safe characters', () => {
    // A claim chosen so that its base64 encoding contains "-" or "_" and no padding.
    const token = makeJwt({ note: '???>>>~~~' })
    expect(token.split('.')[1]).toMatch(/[-_]/)
    expect(decodeAccessToken(token).ok).toBe(true)
  })

  it.each([
    ['not three parts', 'abc.def', 'not-jwt'],
    ['empty header', '.e30.sig', 'not-jwt'],
    ['payload not base64url', 'eyJhbGciOiJSUzI1NiJ9.***.sig', 'payload-not-json'],
    ['payload not JSON', `eyJhbGciOiJSUzI1NiJ9.${base64UrlEncode('nope')}.sig`, 'payload-not-json'],
    ['payload an array', `eyJhbGciOiJSUzI1NiJ9.${base64UrlEncode('[1]')}.sig`, 'payload-not-json'],
  ])('%s → %s', (_name, token, kind) => {
    const result = decodeAccessToken(token)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.problem.kind).toBe(kind)
  })

  it('names every missing claim', () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${base64UrlEncode(JSON.stringify({ sub: 'x', exp: 'soon' }))}.sig`
    const result = decodeAccessToken(token)
    expect(result).toEqual({
      ok: false,
      problem: { kind: 'missing-claims', claims: ['iss', 'client_id', 'exp'] },
    })
  })
})

describe('freshness', () => {
  it('uses min(60 s, half the lifetime) as the skew', () => {
    expect(refreshSkewMs({ iat: 0, exp: 300 })).toBe(60_000)
    expect(refreshSkewMs({ iat: 0, exp: 2 })).toBe(1_000)
    expect(refreshSkewMs({ exp: 300 })).toBe(60_000)
  })

  it('treats a 5-minute token as fresh until 60 s before exp', () => {
    const claims = { iat: 1000, exp: 1300 }
    expect(isFresh(claims, 1239_000)).toBe(true)
    expect(isFresh(claims, 1241_000)).toBe(false)
  })

  it('treats a 2-second token as fresh for its first second only', () => {
    const claims = { iat: 1000, exp: 1002 }
    expect(isFresh(claims, 1000_900)).toBe(true)
    expect(isFresh(claims, 1001_100)).toBe(false)
  })
})
