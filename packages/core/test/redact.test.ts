import { describe, expect, it } from 'vitest'
import { isTokenShaped, REDACTED, redactOwnText, redactText, redactValue } from '../src/redact.ts'

const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3BpbmdhdXRoLmFsdGVyeXhjbG91ZC5jb20vYXMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ'

describe('redactText', () => {
  it('removes known secrets of 8 characters or more, wherever they appear', () => {
    expect(redactText('refresh with rt-12345678 now, rt-12345678!', ['rt-12345678'])).toBe(
      `refresh with ${REDACTED} now, ${REDACTED}!`,
    )
    // Short values would match ordinary words.
    expect(redactText('the id is 1234567', ['1234567'])).toBe('the id is 1234567')
  })

  it('removes a longer secret whole when it contains a shorter one', () => {
    expect(redactText('x abcdefgh-ijklmnop y', ['abcdefgh', 'abcdefgh-ijklmnop'])).toBe(`x ${REDACTED} y`)
  })

  it('treats secrets literally, not as patterns', () => {
    expect(redactText('a.b+c*d(e)f and axbxcxd', ['a.b+c*d(e)f'])).toBe(`${REDACTED} and axbxcxd`)
  })

  it('removes anything shaped like a JWT, unknown or not', () => {
    expect(redactText(`token ${JWT} expired`)).toBe(`token ${REDACTED} expired`)
    expect(redactText(`"${JWT}"`)).toBe(`"${REDACTED}"`)
  })

  it('removes Bearer credentials, in any case, and keeps the scheme', () => {
    expect(redactText('Authorization: Bearer opaque-token_123')).toBe(`Authorization: Bearer ${REDACTED}`)
    expect(redactText('authorization: bearer abc.def.ghi')).toBe(`authorization: bearer ${REDACTED}`)
    expect(redactText(`Bearer ${JWT}`)).toBe(`Bearer ${REDACTED}`)
  })

  it('removes token values from form bodies and JSON text', () => {
    expect(redactText('grant_type=refresh_token&refresh_token=opaque123&client_id=c1')).toBe(
      `grant_type=refresh_token&refresh_token=${REDACTED}&client_id=c1`,
    )
    expect(redactText('{"access_token": "abc", "token_type":"Bearer", "refresh_token":null}')).toBe(
      `{"access_token": "${REDACTED}", "token_type":"Bearer", "refresh_token":null}`,
    )
    expect(redactText('{\\"accessToken\\":\\"xyz\\"}')).toBe(`{\\"accessToken\\":\\"${REDACTED}\\"}`)
  })

  it('leaves ordinary text alone and is idempotent', () => {
    const text = 'User "51" does not have create privilege on workflow'
    expect(redactText(text, ['workflow'])).toBe(`User "51" does not have create privilege on ${REDACTED}`)
    expect(redactText(text)).toBe(text)
    const once = redactText(`Bearer ${JWT} access_token=${JWT}`)
    expect(redactText(once)).toBe(once)
  })
})

describe('redactText keeps words and placeholders after a secret key', () => {
  it.each([
    'creds.json has no "access_token": generate a token pair at https://us1.alteryxcloud.com/x; it must look like {"access_token": "...", "refresh_token": "..."}.',
    '{"access_token": "…", "refresh_token": "<your refresh token>"}',
    '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}',
    'the refresh_token: expired.',
    'password: required',
    'The API wants a Bearer token.',
    'WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="The access token expired"',
  ])('%s', (text) => {
    expect(redactText(text)).toBe(text)
  })

  it('still redacts what looks like a credential, keeping the sentence around it', () => {
    expect(redactText('password=hunter2&user=ann')).toBe(`password=${REDACTED}&user=ann`)
    expect(redactText('{"password": "hunter"}')).toBe(`{"password": "${REDACTED}"}`)
    expect(redactText('sent refresh_token=opaque123.')).toBe(`sent refresh_token=${REDACTED}.`)
    expect(redactText('access_token: sEcReT')).toBe(`access_token: ${REDACTED}`)
    expect(redactText('access_token: abcdefghijklmnopqrstuvwxyz')).toBe(`access_token: ${REDACTED}`)
    expect(redactText('Bearer abcdefghij1, then')).toBe(`Bearer ${REDACTED}, then`)
    expect(redactText("{'refresh_token': 'r'}")).toBe(`{'refresh_token': '${REDACTED}'}`)
  })
})

describe('redactText removes the parts of a known JWT', () => {
  const [header, payload, signature] = JWT.split('.') as [string, string, string]

  it('removes a known signature or payload quoted on its own', () => {
    expect(redactText(`bad signature ${signature}`, [JWT])).toBe(`bad signature ${REDACTED}`)
    expect(redactText(`payload=${payload}`, [JWT])).toBe(`payload=${REDACTED}`)
    expect(redactText(`${header}.${payload}`, [JWT])).toBe(`${REDACTED}.${REDACTED}`)
    // Without knowing the token, a signature alone is not recognisable.
    expect(redactText(`bad signature ${signature}`)).toBe(`bad signature ${signature}`)
  })

  it('removes an unknown token of the same family whole, though it shares the known header', () => {
    const sibling = `${header}.eyJzdWIiOiJhbm90aGVyLXVzZXIifQ.b3RoZXItc2lnbmF0dXJlLWJ5dGVz`
    expect(redactText(`t=${sibling}&x=1`, [JWT])).toBe(`t=${REDACTED}&x=1`)
  })

  it('leaves parts shorter than 16 characters alone, and still removes the whole token whole', () => {
    expect(redactText('part abc and x', ['eyJhbGciOiJub25lIn0.abc.x'])).toBe('part abc and x')
    expect(redactText(`token ${JWT}!`, [JWT])).toBe(`token ${REDACTED}!`)
  })
})

describe("redactOwnText (the library's own sentences)", () => {
  it('takes no word or placeholder for a secret, but removes known tokens and JWTs', () => {
    const own =
      'creds.json has no "access_token": generate a pair; {"access_token": "...", "refresh_token": "..."}'
    expect(redactOwnText(own)).toBe(own)
    expect(redactOwnText(`saw rt-123456789 and ${JWT}`, ['rt-123456789'])).toBe(
      `saw ${REDACTED} and ${REDACTED}`,
    )
  })
})

describe('redactValue', () => {
  it('redacts values under secret keys, in any case or spelling', () => {
    const input = {
      Authorization: 'Bearer x',
      access_token: 'a',
      refresh_token: 'r',
      accessToken: 'a',
      RefreshToken: 'r',
      cookie: 'c=1',
      'Set-Cookie': ['s=1'],
      password: 'hunter2',
      CLIENT_SECRET: 'shh',
      'x-amzn-Remapped-Authorization': 'Bearer x',
      token_type: 'Bearer',
      expires_in: 300,
    }
    expect(redactValue(input)).toEqual({
      Authorization: REDACTED,
      access_token: REDACTED,
      refresh_token: REDACTED,
      accessToken: REDACTED,
      RefreshToken: REDACTED,
      cookie: REDACTED,
      'Set-Cookie': REDACTED,
      password: REDACTED,
      CLIENT_SECRET: REDACTED,
      'x-amzn-Remapped-Authorization': REDACTED,
      token_type: 'Bearer',
      expires_in: 300,
    })
  })

  it('keeps empty values visible, since an empty token is a diagnosis', () => {
    expect(redactValue({ access_token: '', refresh_token: null })).toEqual({
      access_token: '',
      refresh_token: null,
    })
  })

  it('redacts by value deep inside arrays and objects', () => {
    const input = {
      data: [{ note: `used ${JWT}` }, { note: 'my-refresh-token-1 again' }],
      count: 2,
      ok: true,
    }
    expect(redactValue(input, ['my-refresh-token-1'])).toEqual({
      data: [{ note: `used ${REDACTED}` }, { note: `${REDACTED} again` }],
      count: 2,
      ok: true,
    })
  })

  it('returns a copy and leaves the input untouched', () => {
    const input = { nested: { access_token: 'abc' } }
    const output = redactValue(input) as typeof input
    expect(output).not.toBe(input)
    expect(input.nested.access_token).toBe('abc')
    expect(output.nested.access_token).toBe(REDACTED)
  })

  it('handles primitives, cycles, shared objects, dates and errors', () => {
    expect(redactValue(JWT)).toBe(REDACTED)
    expect(redactValue(42)).toBe(42)
    expect(redactValue(null)).toBeNull()
    expect(redactValue(undefined)).toBeUndefined()
    const cyclic: Record<string, unknown> = { name: 'a' }
    cyclic['self'] = cyclic
    expect(redactValue(cyclic)).toEqual({ name: 'a', self: '[Circular]' })
    const shared = { v: 1 }
    expect(redactValue({ a: shared, b: shared })).toEqual({ a: { v: 1 }, b: { v: 1 } })
    expect(redactValue({ at: new Date(0) })).toEqual({ at: '1970-01-01T00:00:00.000Z' })
    expect(redactValue(new Error(`bad Bearer ${JWT}`))).toEqual({
      name: 'Error',
      message: `bad Bearer ${REDACTED}`,
    })
  })
})

describe('isTokenShaped (whether a config value may be quoted back)', () => {
  it.each([
    ['a JWT', JWT],
    ['the start of a JWT', 'eyJhbGciOiJSUzI1NiIsInR5'],
    ['an opaque refresh token', 'kNTtZ9s4n2Ok3VQiXwWc6tHfGkb0gPx1'],
    ['a 20-character opaque token', 'aB3dE5fG7hJ9kL1mN2pQ'],
    ['a base64url token with - and _', 'x9_Kq-2ZpLm8VtR3wYb6Nc'],
    ['a hex digest', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['a token inside a URL', 'https://api.us1.alteryxcloud.com/?t=kNTtZ9s4n2Ok3VQiXwWc6tHfGkb0gPx1'],
  ])('%s is token-shaped', (_name, text) => {
    expect(isTokenShaped(text)).toBe(true)
  })

  it.each([
    ['a UUID', '7c5e1b2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b'],
    ['an upper-case UUID', '7C5E1B2A-3F4D-4E5F-8A9B-0C1D2E3F4A5B'],
    ['a short project id', 'project-1'],
    ['a short mixed-case id', 'Gu4Pz6QGAvxoGZi8'],
    ['a numeric id', '31429'],
    ['a ULID-like gid', '01JKBMKPZ94N0GG5F8N9HY2FJA'],
    ['the placeholder', 'Your Client ID here'],
    ['an API URL', 'https://api.us1.alteryxcloud.com'],
    ['a URL with a long path', 'https://api.us1.alteryxcloud.com/iam/v1/workspaces/current'],
    ['a workspace host', 'lukes-test-workspace.us1.alteryxcloud.com'],
    ['a sentence', 'generate a token pair at the OAuth 2.0 API Tokens page'],
  ])('%s is quotable', (_name, text) => {
    expect(isTokenShaped(text)).toBe(false)
  })
})
