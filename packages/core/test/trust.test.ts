import { describe, expect, it } from 'vitest'
import { parseApiUrl } from '../src/config.ts'
import { AuthError, ConfigError } from '../src/errors.ts'
import { isLoopbackHost } from '../src/regions.ts'
import { describeTrust, type TokenEndpointTrustReason, tokenEndpointTrust } from '../src/token-endpoint.ts'

const hostOf = (url: string) => new URL(url).hostname

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    '127.0.0.1',
    '127.1.2.3',
    '127.255.255.255',
    '::1',
    '[::1]',
    '[0:0:0:0:0:0:0:1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    '[::ffff:7f00:1]',
  ])('trusts the literal loopback %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true)
  })

  it.each([
    'x.localhost',
    'api.localhost',
    'localhost.',
    'localhost.example.com',
    'mylocalhost',
    '127.0.0.1.nip.io',
    '127.0.0.256',
    '128.0.0.1',
    '0.0.0.0',
    '::',
    '[::2]',
    '::ffff:10.0.0.1',
    '::ffff:128.0.0.1',
    '::1]/x[',
    'api.us1.alteryxcloud.com',
    '',
  ])('does not trust %s', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })

  it('accepts what the URL parser makes of loopback URLs, and nothing it makes of other names', () => {
    for (const url of [
      'http://[0:0:0:0:0:0:0:1]:8787/',
      'http://[::ffff:127.0.0.1]/',
      'http://127.1/',
      'http://2130706433/',
      'http://LocalHost:80/',
    ]) {
      expect(isLoopbackHost(hostOf(url)), url).toBe(true)
    }
    for (const url of ['http://x.localhost/', 'http://localhost./', 'http://a.b.localhost:8787/']) {
      expect(isLoopbackHost(hostOf(url)), url).toBe(false)
    }
  })
})

describe('plain http: aac_url.txt and the token endpoint agree', () => {
  it.each([
    ['http://localhost:8787', true],
    ['http://127.0.0.1:8787', true],
    ['http://[::1]:8787', true],
    ['http://[0:0:0:0:0:0:0:1]:8787', true],
    ['http://x.localhost:8787', false],
    ['http://localhost.:8787', false],
    ['http://evil.example.com', false],
  ])('%s → trusted: %s', (base, trusted) => {
    let urlOk = true
    try {
      parseApiUrl(base)
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      urlOk = false
    }
    let issuerOk = true
    try {
      tokenEndpointTrust(`${base}/as`)
    } catch (error) {
      expect(error).toBeInstanceOf(AuthError)
      issuerOk = false
    }
    expect({ urlOk, issuerOk }).toEqual({ urlOk: trusted, issuerOk: trusted })
  })
})

describe('tokenEndpointTrust', () => {
  it('refuses a *.localhost issuer, and says why', () => {
    const attempt = () => tokenEndpointTrust('http://evil.localhost:8787/as')
    expect(attempt).toThrow(AuthError)
    expect(attempt).toThrow(/evil\.localhost is a name, not a loopback address/)
    expect(attempt).toThrow(/trustedTokenHosts option \(\["evil\.localhost:8787"\]\)/)
  })

  it('refuses plain http on an Alteryx Cloud host without calling it a foreign host', () => {
    const attempt = () => tokenEndpointTrust('http://pingauth.alteryxcloud.com/as')
    expect(attempt).toThrow(/uses plain http.*over https only/)
    expect(attempt).not.toThrow(/not an Alteryx Cloud host/)
  })

  it('trusts a named host only over http(s)', () => {
    expect(tokenEndpointTrust('https://login.example.com/as', ['login.example.com']).reason).toBe(
      'trusted-by-option',
    )
    expect(() => tokenEndpointTrust('file://login.example.com/as', ['login.example.com'])).toThrow(
      /Refusing to send the refresh token/,
    )
  })

  it('describes every reason in a sentence for a person', () => {
    const reasons: TokenEndpointTrustReason[] = ['alteryxcloud', 'loopback', 'trusted-by-option']
    expect(describeTrust('alteryxcloud')).toBe("https on *.alteryxcloud.com, Alteryx Cloud's own hosts")
    expect(describeTrust('loopback')).toMatch(/loopback address.*localhost, 127\.0\.0\.0\/8 or ::1/)
    expect(describeTrust('trusted-by-option')).toMatch(/trustedTokenHosts/)
    expect(new Set(reasons.map(describeTrust)).size).toBe(3)
  })
})
