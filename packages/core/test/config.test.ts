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
      /holds "api\.us1\.alteryxcloud\.com" without https:\/\/ in front: write https:\/\/api\.us1\.alteryxcloud\.com\./,
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

  it.each([
    ['file:///etc/passwd', 'file:'],
    ['javascript:alert(1)', 'javascript:'],
    ['ftp://api.us1.alteryxcloud.com', 'ftp:'],
  ])('a %s URL gets a message with the example URL, not a bare "write https://"', (text, scheme) => {
    const error = errorOf(() => parseApiUrl(text))
    expect(error.message).toContain(`holds a "${scheme}" URL`)
    expect(error.message).toContain('for example https://api.us1.alteryxcloud.com')
    expect(error.message).not.toMatch(/write https:\/\/ instead/)
  })

  it('plain http on a name under .localhost is refused, and says where plain http is allowed', () => {
    const error = errorOf(() => parseApiUrl('http://x.localhost:8787'))
    expect(error.message).toMatch(/must use https/)
    expect(error.message).toMatch(/only for a server on this computer, at localhost, 127\.0\.0\.1 or \[::1\]/)
    expect(parseApiUrl('http://[0:0:0:0:0:0:0:1]:8787').apiUrl).toBe('http://[::1]:8787')
    expect(parseApiUrl('http://localhost:8787').apiUrl).toBe('http://localhost:8787')
  })

  it('points a web app, workspace or issuer address with a path at the API host, not at itself', () => {
    for (const [text, api] of [
      ['https://us1.alteryxcloud.com/cloud-portal/library/alteryx-io', 'https://api.us1.alteryxcloud.com'],
      ['https://acme.eu1.alteryxcloud.com/home', 'https://api.eu1.alteryxcloud.com'],
      ['https://pingauth-au1.alteryxcloud.com/as', 'https://api.au1.alteryxcloud.com'],
    ] as const) {
      expect(errorOf(() => parseApiUrl(text)).message, text).toMatch(
        new RegExp(`write ${api.replace(/\./g, '\\.')}\\.`),
      )
    }
    expect(errorOf(() => parseApiUrl('https://acme.us1.alteryxcloud.com')).message).toMatch(
      /not the API's: write https:\/\/api\.us1\.alteryxcloud\.com\.$/,
    )
  })

  it('never quotes a user name or password, and says to remove them', () => {
    for (const text of [
      'https://bob:hunter2-secret@api.us1.alteryxcloud.com',
      'bob:hunter2-secret@api.us1.alteryxcloud.com',
      'https:bob:hunter2-secret@api.us1.alteryxcloud.com',
      'https://bob:hunter2-secret@api.us1.alteryxcloud.com/iam/v1',
      'ftp://bob:hunter2-secret@example.com',
    ]) {
      const error = errorOf(() => parseApiUrl(text))
      expect(error.message, text).toContain('remove the user name and password from the URL')
      expect(error.message, text).not.toMatch(/hunter2|bob/)
      expect(JSON.stringify(error), text).not.toMatch(/hunter2|bob/)
    }
    expect(errorOf(() => parseApiUrl('https://bob:pw@api.us1.alteryxcloud.com')).message).toMatch(
      /Write https:\/\/api\.us1\.alteryxcloud\.com\.$/,
    )
  })

  it('never quotes a token pasted into it, whole or in part', () => {
    const jwt = makeJwt()
    const opaque = 'kNTtZ9s4n2Ok3VQiXwWc6tHfGkb0gPx1aB7c'
    for (const text of [
      jwt,
      `${jwt}\n`,
      opaque,
      `https://api.us1.alteryxcloud.com/?refresh_token=${opaque}`,
      `https://api.us1.alteryxcloud.com/${jwt}`,
    ]) {
      const error = errorOf(() => parseApiUrl(text))
      expect(error.message, text).toMatch(/looks like a token/)
      expect(error.message, text).toContain('tokens belong in creds.json')
      for (const part of [...jwt.split('.'), opaque, opaque.slice(0, 12), jwt.slice(0, 30)]) {
        expect(error.message, text).not.toContain(part)
      }
    }
  })

  it('still quotes what is not token-shaped', () => {
    expect(
      errorOf(() => parseApiUrl('https://api.us1.alteryxcloud.com/iam/v1/workspaces/current')).message,
    ).toContain('(found "https://api.us1.alteryxcloud.com/iam/v1/workspaces/current")')
    expect(errorOf(() => parseApiUrl('https://')).message).toContain('does not hold a URL ("https://")')
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

describe('client_id.txt as a header value', () => {
  const url = 'https://us1.alteryxcloud.com/cloud-portal/library/alteryx-io'
  it.each([
    [
      'a no-break space',
      'abc\u00a0def',
      /holds "abc\u00a0def", with a no-break space \(U\+00A0\) at character 4 of 7/,
    ],
    ['a zero-width space', '7c5e1b2a-project\u200b', /a zero-width space \(U\+200B\) at character 17 of 17/],
    [
      'a control character',
      'abc\u0007def',
      /holds "abc\\u0007def", with a control character \(U\+0007\) at character 4/,
    ],
    ['an inner line break', 'abc\r\ndef', /a line break at character 4 of 8/],
    ['a tab', 'abc\tdef', /a tab at character 4/],
    ['a space', 'my project', /holds "my project", with a space at character 3 of 10/],
    ['an accented letter', 'caf\u00e9-1', /a non-ASCII character, "\u00e9" \(U\+00E9\) at character 4 of 6/],
    ['a curly quote', '\u201cproject-1\u201d', /a curly quote \(U\+201C\) at character 1 of 11/],
    ['an emoji', 'p\u{1F600}', /\(U\+1F600\) at character 2 of 2/],
  ])('%s is reported when the file is read, with its position and the fix', (_name, text, message) => {
    const error = errorOf(() => parseProjectId(text, 'client_id.txt'))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.file).toBe('client_id.txt')
    expect(error.message).toMatch(message)
    expect(error.message).toContain('x-api-project-id header')
    expect(error.message).toContain(
      `copy the Client ID of your API project again from ${url} and paste it as plain text`,
    )
  })

  it('accepts every visible ASCII character, and ids of the usual shapes', () => {
    for (const id of [
      '7c5e1b2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b',
      'project-1',
      'Gu4Pz6QGAvxoGZi8',
      '31429',
      'a!#$%&*+.^_`|~z',
    ]) {
      expect(parseProjectId(`${id}\n`)).toBe(id)
    }
  })

  it('the header check agrees with fetch: what it accepts, a Headers object accepts', () => {
    for (let code = 0; code < 0x180; code++) {
      const char = String.fromCharCode(code)
      let parsed = true
      try {
        parseProjectId(`a${char}b`)
      } catch {
        parsed = false
      }
      if (parsed) expect(() => new Headers({ 'x-api-project-id': `a${char}b` })).not.toThrow()
    }
  })

  it('quotes a short, normal id, but not a token-shaped one', () => {
    expect(errorOf(() => parseProjectId('7c5e1b2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b\u200b')).message).toContain(
      '"7c5e1b2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b\u200b"',
    )
    const opaque = 'kNTtZ9s4n2Ok3VQiXwWc6tHfGkb0gPx1aB7c'
    const error = errorOf(() => parseProjectId(`${opaque}\u00a0x`))
    expect(error.message).toMatch(
      /a no-break space \(U\+00A0\) at character 37 of 38 \(the value is not shown: it looks like a token\)/,
    )
    expect(error.message).not.toContain(opaque.slice(0, 10))
  })

  it('refuses a token pasted into it, without quoting it', () => {
    const jwt = makeJwt()
    const error = errorOf(() => parseProjectId(jwt, 'client_id.txt', 'eu1'))
    expect(error.message).toMatch(
      /holds a token \(a JWT, starting "eyJ"\), not a Client ID: tokens belong in creds\.json/,
    )
    for (const part of jwt.split('.')) expect(error.message).not.toContain(part)
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

  it('says a token endpoint error answer in place of the pair means a lost chain, not a typo', () => {
    for (const body of [
      { error: 'invalid_grant', error_description: 'Refresh token was revoked' },
      { error: 'invalid_grant' },
    ]) {
      const error = errorOf(() => parseCreds(JSON.stringify(body), 'creds.json', 'eu1'))
      expect(error.code).toBe('CONFIG_INVALID')
      expect(error.message).toContain(
        `creds.json holds a token endpoint's error answer ("error": "invalid_grant")`,
      )
      expect(error.message).toContain(
        'https://eu1.alteryxcloud.com/cloud-portal/preferences/oauth2-api-tokens',
      )
      expect(error.message).not.toMatch(/has no "access_token"/)
    }
  })

  it.each([
    [
      'access_token',
      'a zero-width space (U+200B)',
      (jwt: string) => ({ access_token: `${jwt}\u200b`, refresh_token: 'rt-123456789' }),
    ],
    [
      'refresh_token',
      'a no-break space (U+00A0)',
      (jwt: string) => ({ access_token: jwt, refresh_token: 'rt-1234\u00a05678' }),
    ],
    [
      'refresh_token',
      'a line break',
      (jwt: string) => ({ access_token: jwt, refresh_token: 'rt-1234\n5678' }),
    ],
  ])(
    'a stray character in the %s is found when the file is read (%s), without quoting the token',
    (key, name, make) => {
      const jwt = makeJwt()
      const error = errorOf(() => parseCreds(JSON.stringify(make(jwt))))
      expect(error.message).toMatch(
        new RegExp(
          `^The ${key} in creds\\.json holds ${name.replace(/[()+]/g, '\\$&')} at character \\d+ of \\d+`,
        ),
      )
      expect(error.message).not.toContain(jwt)
      expect(error.message).not.toContain('rt-1234')
    },
  )

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
