// Hostile token-endpoint behaviours: each one rotates (or pointedly does not) and then misbehaves, so the core's
// tests can check that a client never loses, resends or leaks a refresh token because of it.
import { describe, expect, it } from 'vitest'
import type { FakeCloud } from '../src/index.ts'
import { api, decodeJwtPart, expectPromptStop, refresh, useFakeCloud } from './helpers.ts'

const start = useFakeCloud()

interface TokenAnswer {
  access_token: string
  refresh_token: string
  token_type: string
  expires_in: number
}

async function refreshed(cloud: FakeCloud, refreshToken: string): Promise<TokenAnswer> {
  const res = await refresh(cloud, refreshToken)
  expect(res.status).toBe(200)
  return (await res.json()) as TokenAnswer
}

/** The old refresh token is spent and the answered one is the family's live one: a normal rotation. */
function expectRotated(cloud: FakeCloud, old: string, next: string): void {
  expect(next).not.toBe(old)
  expect(cloud.isRefreshTokenValid(old)).toBe(false)
  expect(cloud.isRefreshTokenValid(next)).toBe(true)
}

describe('same-access-token', () => {
  it('rotates the refresh token but answers the access token the family had before', async () => {
    const cloud = await start()
    const first = cloud.issueTokens()
    const second = await refreshed(cloud, first.refreshToken)
    expect(second.access_token).not.toBe(first.accessToken)

    cloud.inject({ kind: 'same-access-token' })
    const third = await refreshed(cloud, second.refresh_token)
    expect(third.access_token).toBe(second.access_token)
    expectRotated(cloud, second.refresh_token, third.refresh_token)

    // Spent by that one refresh: the next one mints a new access token again.
    const fourth = await refreshed(cloud, third.refresh_token)
    expect(fourth.access_token).not.toBe(second.access_token)
    expect(cloud.stats()).toMatchObject({ refreshes: 3, tokenRequests: 3, invalidGrants: 0 })
  })

  it('on a family fresh from Generate answers the generated access token, even an expired one', async () => {
    const cloud = await start()
    const pair = cloud.issueTokens({ expired: true })
    cloud.inject({ kind: 'same-access-token' })
    const answer = await refreshed(cloud, pair.refreshToken)
    expect(answer.access_token).toBe(pair.accessToken)
    expect((await api(cloud, '/v4/people/current', answer.access_token)).status).toBe(401)
    expectRotated(cloud, pair.refreshToken, answer.refresh_token)
  })

  it('is left queued by a refresh that is refused', async () => {
    const cloud = await start()
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'same-access-token' })
    expect((await refresh(cloud, 'rt_unknown')).status).toBe(400)
    expect((await refreshed(cloud, pair.refreshToken)).access_token).toBe(pair.accessToken)
  })
})

describe('expired-access-token', () => {
  it('rotates normally but answers an access token already past exp', async () => {
    const cloud = await start({ accessTokenTtlSeconds: 120 })
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'expired-access-token' })
    const answer = await refreshed(cloud, pair.refreshToken)
    expectRotated(cloud, pair.refreshToken, answer.refresh_token)
    expect(answer.expires_in).toBe(120)
    const claims = decodeJwtPart(answer.access_token, 1)
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(120)
    // An hour and the ttl ago: no skew allowance makes it look alive.
    expect(claims['exp'] as number).toBeLessThan(Date.now() / 1000 - 3000)
    const res = await api(cloud, '/v4/people/current', answer.access_token)
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ message: 'jwt expired' })
    // The new refresh token works: the next refresh is a normal one.
    const next = await refreshed(cloud, answer.refresh_token)
    expect((await api(cloud, '/v4/people/current', next.access_token)).status).toBe(200)
  })
})

describe('untrusted-iss', () => {
  it('rotates normally but the new access token names another issuer', async () => {
    const cloud = await start()
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'untrusted-iss' })
    const answer = await refreshed(cloud, pair.refreshToken)
    expectRotated(cloud, pair.refreshToken, answer.refresh_token)
    expect(decodeJwtPart(answer.access_token, 1)).toMatchObject({
      iss: 'https://login.evil.example/as',
      client_id: 'fake-oauth-client',
    })
    // Signed by this fake all the same: the API takes it, only the next refresh would go astray.
    expect((await api(cloud, '/v4/people/current', answer.access_token)).status).toBe(200)
    const next = await refreshed(cloud, answer.refresh_token)
    expect(decodeJwtPart(next.access_token, 1)['iss']).toBe(cloud.issuer)
  })

  it('takes the issuer it is given', async () => {
    const cloud = await start()
    const other = await start()
    cloud.inject({ kind: 'untrusted-iss', issuer: other.issuer })
    const answer = await refreshed(cloud, cloud.issueTokens().refreshToken)
    expect(decodeJwtPart(answer.access_token, 1)['iss']).toBe(other.issuer)
  })
})

describe('redirect', () => {
  it('answers 307 with the Location, processes nothing, and is counted as a token request', async () => {
    const cloud = await start()
    const elsewhere = await start()
    const pair = cloud.issueTokens()
    const location = `${elsewhere.url}/as/token`
    cloud.inject({ kind: 'redirect', location })
    const res = await fetch(`${cloud.issuer}/token`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: pair.refreshToken,
        client_id: 'fake-oauth-client',
      }),
    })
    expect(res.status).toBe(307)
    expect(res.headers.get('location')).toBe(location)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.text()).toBe('')
    expect(cloud.isRefreshTokenValid(pair.refreshToken)).toBe(true)
    expect(cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 0, invalidGrants: 0, apiRequests: 0 })
    expect(elsewhere.stats().requests).toBe(0)
    // Spent: the next request is handled.
    expectRotated(cloud, pair.refreshToken, (await refreshed(cloud, pair.refreshToken)).refresh_token)
  })

  it('takes another 3xx status, and a client that follows it carries the refresh token away', async () => {
    const cloud = await start()
    const elsewhere = await start()
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'redirect', location: `${elsewhere.url}/as/token`, status: 308 })
    // fetch follows 307/308 with the same method and body: exactly the leak a client must refuse.
    const res = await refresh(cloud, pair.refreshToken)
    expect(res.redirected).toBe(true)
    expect(res.status).toBe(400)
    expect(elsewhere.stats()).toMatchObject({ tokenRequests: 1, invalidGrants: 1 })
    expect(cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 0 })
    expect(cloud.isRefreshTokenValid(pair.refreshToken)).toBe(true)
  })
})

describe('late-after-rotate', () => {
  it('rotates, then sends the answer ms later', async () => {
    const cloud = await start()
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'late-after-rotate', ms: 300 })
    const t0 = performance.now()
    const answer = await refreshed(cloud, pair.refreshToken)
    // A lower bound only: timers never fire early, but a busy machine may make anything slow.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290)
    expectRotated(cloud, pair.refreshToken, answer.refresh_token)
    expect((await api(cloud, '/v4/people/current', answer.access_token)).status).toBe(200)
  })

  it('a client that gives up meanwhile loses the new pair; stop() does not wait for the answer', async () => {
    const cloud = await start()
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'late-after-rotate', ms: 60_000 })
    const err = await fetch(`${cloud.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: pair.refreshToken,
        client_id: 'fake-oauth-client',
      }),
      signal: AbortSignal.timeout(300),
    }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('TimeoutError')
    // The rotation happened before the wait: the token the client still holds is spent.
    expect(cloud.isRefreshTokenValid(pair.refreshToken)).toBe(false)
    expect(cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 1 })
    await expectPromptStop(cloud)
  })

  it('is woken by stop() while the client still waits, which then gets no answer', async () => {
    const cloud = await start()
    cloud.inject({ kind: 'late-after-rotate', ms: 60_000 })
    const pending = refresh(cloud, cloud.issueTokens().refreshToken).catch((e: unknown) => e)
    while (cloud.stats().refreshes === 0) await new Promise((r) => setTimeout(r, 10))
    await cloud.stop()
    expect(await pending).toBeInstanceOf(TypeError) // undici: "fetch failed", the socket closed
  })
})

describe('status with afterRotate', () => {
  it('rotates first, then answers the status: the client cannot know the refresh happened', async () => {
    const cloud = await start()
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'status', status: 502, afterRotate: true })
    // Not an API request's fault, and not one of a refused refresh.
    expect((await api(cloud, '/v4/people/current', pair.accessToken)).status).toBe(200)
    expect((await refresh(cloud, 'rt_unknown')).status).toBe(400)

    const res = await refresh(cloud, pair.refreshToken)
    expect(res.status).toBe(502)
    expect(await res.json()).toEqual({ error: 'server_error', error_description: 'Injected fault: HTTP 502' })
    expect(cloud.isRefreshTokenValid(pair.refreshToken)).toBe(false)
    expect(cloud.stats()).toMatchObject({ tokenRequests: 2, refreshes: 1, invalidGrants: 1 })

    // A client that resends now commits the reuse that revokes the family.
    const resent = await refresh(cloud, pair.refreshToken)
    expect(resent.status).toBe(400)
    expect(cloud.stats()).toMatchObject({ tokenRequests: 3, reuseDetected: 1 })
  })

  it('takes path /as/token, and a plain status fault still answers before any rotation', async () => {
    const cloud = await start()
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'status', status: 504, afterRotate: true, path: '/as/token' })
    cloud.inject({ kind: 'status', status: 503, path: '/as/token' })
    expect((await refresh(cloud, pair.refreshToken)).status).toBe(503)
    expect(cloud.isRefreshTokenValid(pair.refreshToken)).toBe(true)
    expect((await refresh(cloud, pair.refreshToken)).status).toBe(504)
    expect(cloud.isRefreshTokenValid(pair.refreshToken)).toBe(false)
  })
})

describe('faults combined and validated', () => {
  it('an access-token fault and an answer fault apply to the same refresh', async () => {
    const cloud = await start()
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'same-access-token' })
    cloud.inject({ kind: 'late-after-rotate', ms: 50 })
    const answer = await refreshed(cloud, pair.refreshToken)
    expect(answer.access_token).toBe(pair.accessToken)
    expectRotated(cloud, pair.refreshToken, answer.refresh_token)
  })

  it('tokenRequests counts every request at the token endpoint, and only there', async () => {
    const cloud = await start({ splitHosts: true })
    const pair = cloud.issueTokens()
    cloud.inject({ kind: 'status', status: 429, path: '/as/token' })
    cloud.inject({ kind: 'drop-after-rotate' })
    expect((await refresh(cloud, pair.refreshToken)).status).toBe(429)
    await refresh(cloud, pair.refreshToken).catch(() => undefined)
    await fetch(`${cloud.issuer}/token`) // GET: 405
    await fetch(`${cloud.directUrl}/as/token`, { method: 'POST' }) // not the issuer's host: a 404 route
    await api(cloud, '/iam/v1/workspaces/current', pair.accessToken)
    expect(cloud.stats()).toMatchObject({ requests: 5, tokenRequests: 3, apiRequests: 2, refreshes: 1 })
  })

  it('rejects malformed ones with the field named', async () => {
    const cloud = await start()
    const bad: Array<[unknown, RegExp]> = [
      [{ kind: 'status', status: 502, afterRotate: 'yes' }, /afterRotate/],
      [{ kind: 'status', status: 502, afterRotate: true, path: '/v4/people' }, /afterRotate.*token endpoint/],
      [{ kind: 'late-after-rotate' }, /"ms"/],
      [{ kind: 'late-after-rotate', ms: -5 }, /"ms"/],
      [{ kind: 'untrusted-iss', issuer: 'evil' }, /"issuer"/],
      [{ kind: 'untrusted-iss', issuer: 'file:///etc/passwd' }, /"issuer"/],
      [{ kind: 'redirect' }, /"location"/],
      [{ kind: 'redirect', location: '/relative' }, /"location"/],
      [{ kind: 'redirect', location: 'http://127.0.0.1:9/as/token', status: 300 }, /301, 302, 303, 307, 308/],
      [{ kind: 'same-access-token', path: '/v4/people' }, /token endpoint only/],
      [{ kind: 'expired-access-token', times: 0 }, /times/],
      [{ kind: 'nope' }, /redirect/],
    ]
    for (const [fault, message] of bad)
      expect(() => cloud.inject(fault as never), JSON.stringify(fault)).toThrow(message)
    // The same checks guard the control API.
    const res = await fetch(`${cloud.url}/__control/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'redirect', location: 'nowhere' }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toMatch(/location/)
  })

  it('every new kind is reachable through the control API', async () => {
    const cloud = await start()
    const control = (fault: unknown) =>
      fetch(`${cloud.url}/__control/faults`, { method: 'POST', body: JSON.stringify(fault) })
    for (const fault of [
      { kind: 'redirect', location: 'http://127.0.0.1:9/as/token', status: 302 },
      { kind: 'status', status: 502, afterRotate: true },
    ]) {
      expect((await control(fault)).status).toBe(200)
    }
    const pair = cloud.issueTokens()
    const redirected = await fetch(`${cloud.issuer}/token`, { method: 'POST', redirect: 'manual' })
    expect(redirected.status).toBe(302)
    expect(redirected.headers.get('location')).toBe('http://127.0.0.1:9/as/token')
    const res = await refresh(cloud, pair.refreshToken)
    expect(res.status).toBe(502)
    expect(cloud.isRefreshTokenValid(pair.refreshToken)).toBe(false)

    expect(
      (await control({ kind: 'untrusted-iss', issuer: 'https://login.evil.example/other' })).status,
    ).toBe(200)
    expect((await control({ kind: 'same-access-token' })).status).toBe(200)
    expect((await control({ kind: 'expired-access-token' })).status).toBe(200)
    expect((await control({ kind: 'late-after-rotate', ms: 10 })).status).toBe(200)
    const second = cloud.issueTokens()
    // untrusted-iss came first in the queue, so it shapes this refresh; same-access-token the next one.
    const a = await refreshed(cloud, second.refreshToken)
    expect(decodeJwtPart(a.access_token, 1)['iss']).toBe('https://login.evil.example/other')
    const b = await refreshed(cloud, a.refresh_token)
    expect(b.access_token).toBe(a.access_token)
    const c = await refreshed(cloud, b.refresh_token)
    expect(decodeJwtPart(c.access_token, 1)['exp'] as number).toBeLessThan(Date.now() / 1000)
  })
})
