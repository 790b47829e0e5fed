import { describe, expect, it } from 'vitest'
import { parseApiUrl, parseConfig, parseCreds, parseProjectId } from '../src/config.ts'
import { ConfigError } from '../src/errors.ts'
import { base64UrlEncode } from '../src/jwt.ts'
import { makeJwt } from './tokens.ts'

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('aac_url.txt', () => {
  it.each([
    ['a trailing newline', 'https://api.us1.alteryxcloud.com\n'],
    ['CRLF and spaces', '  https://api.us1.alteryxcloud.com \r\n'],
    ['a trailing slash', 'https://api.us1.alteryxcloud.com/'],
    ['a BOM', '\uFEFFhttps://api.us1.alteryxcloud.com'],
  ])('tolerates %s', (_name, text) => {
    expect(parseApiUrl(text)).toEqual({
      apiUrl: 'https://api.us1.alteryxcloud.com',
      directUrl: 'https://us1.alteryxcloud.com',
      region: 'us1',
    })
  })

  it('knows the regions and their direct hosts', () => {
    expect(parseApiUrl('https://api.eu1.alteryxcloud.com')).toMatchObject({
      directUrl: 'https://eu1.alteryxcloud.com',
      region: 'eu1',
    })
    expect(parseApiUrl('https://api.au1.alteryxcloud.com').region).toBe('au1')
  })

  it('accepts a loopback http URL (the fake cloud) and serves both host families from it', () => {
    expect(parseApiUrl('http://127.0.0.1:8787')).toEqual({
      apiUrl: 'http://127.0.0.1:8787',
      directUrl: 'http://127.0.0.1:8787',
      region: undefined,
    })
  })

  it.each([
    [
      'empty',
      '  \n',
      /aac_url\.txt is empty: put your API URL in it, for example https:\/\/api\.us1\.alteryxcloud\.com/,
    ],
    ['not a URL', 'my workspace', /aac_url\.txt does not hold a URL \("my workspace"\)/],
    [
      'a host without scheme',
      'api.us1.alteryxcloud.com',
      /Did you mean https:\/\/api\.us1\.alteryxcloud\.com\?/,
    ],
    [
      'http on a real host',
      'http://api.us1.alteryxcloud.com',
      /must use https .*write https:\/\/api\.us1\.alteryxcloud\.com/,
    ],
    [
      'the web app host',
      'https://us1.alteryxcloud.com',
      /the web app's address, not the API's: write https:\/\/api\.us1\.alteryxcloud\.com/,
    ],
    [
      'a path',
      'https://api.us1.alteryxcloud.com/iam/v1',
      /only the base URL.*write https:\/\/api\.us1\.alteryxcloud\.com\./,
    ],
  ])('%s → its own message', (_name, text, message) => {
    const error = errorOf(() => parseApiUrl(text))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.file).toBe('aac_url.txt')
    expect(error.message).toMatch(message)
  })

  it('names the full path it was given', () => {
    expect(errorOf(() => parseApiUrl('', '/home/me/aac/aac_url.txt')).message).toMatch(
      /^\/home\/me\/aac\/aac_url\.txt is empty/,
    )
  })
})

describe('client_id.txt', () => {
  it('trims whitespace, CRLF and a BOM', () => {
    expect(parseProjectId('\uFEFF 7c5e1b2a-project \r\n')).toBe('7c5e1b2a-project')
  })

  it.each([
    [
      'empty',
      '',
      /client_id\.txt is empty: paste the Client ID of your API project from https:\/\/eu1\.alteryxcloud\.com\/cloud-portal\/library\/alteryx-io/,
    ],
    ['the placeholder', 'Your Client ID here', /does not hold a Client ID \("Your Client ID here"\)/],
  ])('%s → its own message, for the region in use', (_name, text, message) => {
    const error = errorOf(() => parseProjectId(text, 'client_id.txt', 'eu1'))
    expect(error.file).toBe('client_id.txt')
    expect(error.message).toMatch(message)
  })
})

describe('creds.json', () => {
  const access = makeJwt()
  const valid = JSON.stringify({ access_token: access, refresh_token: 'rt-123456789' })

  it('reads the pair, tolerating a BOM and CRLF', () => {
    expect(parseCreds(`\uFEFF${valid}\r\n`)).toEqual({ accessToken: access, refreshToken: 'rt-123456789' })
  })

  const payload = (claims: object) => `eyJhbGciOiJSUzI1NiJ9.${base64UrlEncode(JSON.stringify(claims))}.sig`
  it.each([
    [
      'empty',
      '',
      /creds\.json is empty: generate a token pair at https:\/\/us1\.alteryxcloud\.com\/cloud-portal\/preferences\/oauth2-api-tokens/,
    ],
    [
      'the placeholders',
      JSON.stringify({ access_token: 'Your access token here', refresh_token: 'Your refresh token here' }),
      /still holds the placeholder tokens: generate a token pair at https:\/\/us1\.alteryxcloud\.com\/cloud-portal\/preferences\/oauth2-api-tokens \("\+ Generate"\)/,
    ],
    [
      'not JSON',
      '{"access_token": "abc", ',
      /creds\.json is not valid JSON: it must look like \{"access_token"/,
    ],
    ['a JSON array', '[]', /does not hold a JSON object/],
    ['no refresh token', JSON.stringify({ access_token: access }), /creds\.json has no "refresh_token"/],
    [
      'an empty access token',
      JSON.stringify({ access_token: ' ', refresh_token: 'x' }),
      /has no "access_token" string/,
    ],
    [
      'an access token that is not a JWT',
      JSON.stringify({ access_token: 'abcdef', refresh_token: 'x' }),
      /The access_token in creds\.json is not a JWT/,
    ],
    [
      'a payload that is not base64url JSON',
      JSON.stringify({ access_token: 'eyJhbGciOiJSUzI1NiJ9.%%%.sig', refresh_token: 'x' }),
      /does not decode: its middle part is not base64url-encoded JSON/,
    ],
    [
      'a token lacking iss and exp',
      JSON.stringify({ access_token: payload({ client_id: 'c' }), refresh_token: 'x' }),
      /lacks the iss, exp claims needed to refresh it/,
    ],
    [
      'a token lacking client_id',
      JSON.stringify({
        access_token: payload({ iss: 'https://pingauth.alteryxcloud.com/as', exp: 1 }),
        refresh_token: 'x',
      }),
      /lacks the client_id claim needed/,
    ],
  ])('%s → its own message', (_name, text, message) => {
    const error = errorOf(() => parseCreds(text))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.file).toBe('creds.json')
    expect(error.message).toMatch(message)
  })

  it('never quotes a token, even when the JSON around it is broken', () => {
    const secret = makeJwt({ secret: 'do-not-print' })
    for (const text of [`{"access_token": "${secret}", "refresh_token": "rt-supersecret"`, `["${secret}"]`]) {
      const error = errorOf(() => parseCreds(text))
      expect(error.message).not.toContain(secret)
      expect(error.message).not.toContain('supersecret')
      expect(JSON.stringify(error)).not.toContain(secret)
    }
  })
})

describe('parseConfig', () => {
  it('puts the three files together and uses the URL region in later messages', () => {
    const { config, tokens } = parseConfig({
      aacUrl: 'https://api.au1.alteryxcloud.com\n',
      clientId: 'project-1\n',
      creds: JSON.stringify({ access_token: makeJwt(), refresh_token: 'rt' }),
    })
    expect(config).toEqual({
      apiUrl: 'https://api.au1.alteryxcloud.com',
      directUrl: 'https://au1.alteryxcloud.com',
      region: 'au1',
      projectId: 'project-1',
    })
    expect(tokens.refreshToken).toBe('rt')
    const error = errorOf(() =>
      parseConfig({ aacUrl: 'https://api.au1.alteryxcloud.com', clientId: 'p', creds: '' }),
    )
    expect(error.message).toContain('https://au1.alteryxcloud.com/cloud-portal/preferences/oauth2-api-tokens')
  })
})
