// The doctor's checks one by one: each reads only the session (what earlier checks found) and says what it saw.
import { describe, expect, it } from 'vitest'
import { makeJwt } from '../../core/test/tokens.ts'
import { apiCalls, describePerson } from '../src/doctor/calls.ts'
import { callSetup, type DoctorSession, type Findings } from '../src/doctor/check.ts'
import { accessToken, region, tokenEndpoint } from '../src/doctor/claims.ts'
import { apiProjectId, clock, directHostReachable } from '../src/doctor/network.ts'
import { refreshToken } from '../src/doctor/refresh.ts'

const now = () => Math.floor(Date.now() / 1000)
const url = {
  apiUrl: 'https://api.us1.alteryxcloud.com',
  directUrl: 'https://us1.alteryxcloud.com',
  region: 'us1',
}
const claims = (exp: number) => ({ iss: 'https://pingauth.alteryxcloud.com/as', client_id: 'c', exp })

function session(found: Findings, options: Partial<DoctorSession> = {}): DoctorSession {
  return {
    io: {
      stdout: { write: () => true },
      stderr: { write: () => true },
      stdin: (async function* () {})(),
      env: {},
      cwd: '/',
    },
    refresh: false,
    offline: false,
    timeoutMs: 1_000,
    dir: '/nowhere',
    credsPath: '/nowhere/creds.json',
    found,
    ...options,
  }
}

/** Everything the files and claims checks establish on a good setup, with an access token valid for `ttl` s. */
function filesPassed(ttl = 300): Findings {
  const exp = now() + ttl
  return {
    url,
    projectId: 'p',
    projectIdFile: 'client_id.txt',
    tokens: { accessToken: makeJwt({ exp }), refreshToken: 'r' },
    credsWritable: true,
    claims: claims(exp),
    endpoint: 'https://pingauth.alteryxcloud.com/as/token',
  }
}

describe('doctor checks', () => {
  it('a real call needs every file and a trusted endpoint', () => {
    expect(callSetup(filesPassed())?.config).toEqual({ ...url, projectId: 'p' })
    const { endpoint: _, ...untrusted } = filesPassed()
    expect(callSetup(untrusted)).toBeUndefined()
  })

  it('skips what an earlier check did not establish, and says what it needs', async () => {
    const none = session({})
    expect((await accessToken(none)).steps).toEqual([
      { name: 'access token', status: 'skip', detail: 'needs a valid creds.json' },
    ])
    expect((await region(none)).steps[0]?.detail).toBe('needs a valid aac_url.txt and creds.json')
    expect((await tokenEndpoint(none)).steps[0]?.status).toBe('skip')
    expect((await apiProjectId(none)).steps[0]?.detail).toBe('needs a valid aac_url.txt')
    expect((await clock(session({ url }))).steps[0]?.detail).toBe('needs a reachable API host')
    expect((await refreshToken(none)).steps[0]?.detail).toBe('needs the files above to pass')
    expect((await apiCalls(none)).steps).toEqual([
      { name: 'API calls', status: 'skip', detail: 'need the files above to pass' },
    ])
  })

  it('hands the claims and the trusted endpoint to the checks after them', async () => {
    const exp = now() + 300
    const tokens = {
      accessToken: makeJwt({ iss: 'https://pingauth.alteryxcloud.com/as', exp }),
      refreshToken: 'r',
    }
    const decoded = await accessToken(session({ tokens }))
    expect(decoded.found?.claims?.exp).toBe(exp)
    const trusted = await tokenEndpoint(session({ claims: claims(exp) }))
    expect(trusted.found).toEqual({ endpoint: 'https://pingauth.alteryxcloud.com/as/token' })
  })

  it('without --refresh, lends the stored access token to the calls only while it is fresh', async () => {
    const fresh = await refreshToken(session(filesPassed()))
    expect(fresh.steps[0]?.detail).toMatch(/^not tested: that spends it/)
    expect(fresh.found?.tokenSource?.fetch).toBeTypeOf('function')
    expect((await refreshToken(session(filesPassed(30)))).found).toBeUndefined()
    const closing = await apiCalls(session({ ...filesPassed(30), apiReachable: true }))
    expect(closing.steps[0]?.detail).toMatch(/^the access token expires in \d+ s, too soon to test with/)
  })

  it('adds no step for a direct host that is the API host, and one network detail for --offline', async () => {
    expect((await directHostReachable(session({ url: { ...url, directUrl: url.apiUrl } }))).steps).toEqual([])
    const offline = session(filesPassed(), { offline: true })
    for (const check of [apiProjectId, clock, apiCalls]) {
      expect((await check(offline)).steps[0]?.detail).toBe('skipped (--offline)')
    }
    expect((await directHostReachable(offline)).steps).toEqual([])
  })

  it('names the current person', () => {
    expect(describePerson({ name: 'Ken Liskov', email: 'ken@example.com' })).toBe(
      'you are Ken Liskov <ken@example.com>',
    )
    expect(describePerson({})).toBe('you are ?')
  })
})
