import { describe, expect, it } from 'vitest'
import { api, expectPromptStop, refresh, useFakeCloud } from './helpers.ts'

const start = useFakeCloud()

describe('faults', () => {
  it('status 429 answers like the rate limiter, `times` requests, then lets requests through', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    cloud.inject({ kind: 'status', status: 429, path: '/v4/people', times: 2, retryAfterSeconds: 7 })

    const other = await api(cloud, '/v4/people/current', accessToken)
    expect(other.status).toBe(200)
    for (let i = 0; i < 2; i++) {
      const res = await api(cloud, '/v4/people', accessToken)
      expect(res.status).toBe(429)
      expect(res.headers.get('x-retry-after')).toBe('7')
      expect(res.headers.get('x-rate-limit-user-limit')).toBe('30')
      expect(res.headers.get('x-rate-limit-user-remaining')).toBe('0')
      expect(res.headers.get('x-rate-limit-user-reset')).toBe('7')
      expect(await res.json()).toMatchObject({
        exception: {
          name: 'TooManyRequestsException',
          message: 'Too many requests',
          details: expect.any(String),
        },
      })
    }
    expect((await api(cloud, '/v4/people', accessToken)).status).toBe(200)
  })

  it('status 429 defaults to x-retry-after: 1 and a pathless fault hits the token endpoint too', async () => {
    const cloud = await start()
    const { refreshToken } = cloud.issueTokens()
    cloud.inject({ kind: 'status', status: 429 })
    const res = await refresh(cloud, refreshToken)
    expect(res.status).toBe(429)
    expect(res.headers.get('x-retry-after')).toBe('1')
    // the fault answered instead of the server: the refresh token is not spent
    expect(cloud.isRefreshTokenValid(refreshToken)).toBe(true)
  })

  it('status 5xx answers a small JSON error, in injection order', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    cloud.inject({ kind: 'status', status: 503 })
    cloud.inject({ kind: 'status', status: 500 })
    const a = await api(cloud, '/v4/workspaces/current', accessToken)
    const b = await api(cloud, '/v4/workspaces/current', accessToken)
    expect([a.status, b.status]).toEqual([503, 500])
    expect(await a.json()).toMatchObject({ exception: { name: 'InternalServerError' } })
    expect((await api(cloud, '/v4/workspaces/current', accessToken)).status).toBe(200)
  })

  it('status 400 at /as/token looks like invalid_grant', async () => {
    const cloud = await start()
    cloud.inject({ kind: 'status', status: 400, path: '/as/token' })
    const res = await refresh(cloud, cloud.issueTokens().refreshToken)
    expect(res.status).toBe(400)
    expect(((await res.json()) as Record<string, unknown>)['error']).toBe('invalid_grant')
    expect(cloud.stats().invalidGrants).toBe(1)
  })

  it('delay holds the answer back for ms, then handles the request normally', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    cloud.inject({ kind: 'delay', ms: 300, path: '/v4/people/current' })
    const t0 = performance.now()
    const res = await api(cloud, '/v4/people/current', accessToken)
    // A lower bound only: timers never fire early, but a busy machine may make anything slow.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: 51 })
  })

  it('delay lets a client time out, is spent by that request, and stop() does not wait for it', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    cloud.inject({ kind: 'delay', ms: 60_000 })
    const err = await fetch(`${cloud.url}/v4/people`, { signal: AbortSignal.timeout(100) }).catch((e) => e)
    expect((err as Error).name).toBe('TimeoutError')
    // Were the delay still queued, this would wait 60 s; the abort (far above any normal answer) catches that.
    const next = await api(cloud, '/v4/people/current', accessToken, { signal: AbortSignal.timeout(20_000) })
    expect(next.status).toBe(200)
    // The first request is still parked for a minute; stop() must wake it rather than wait.
    await expectPromptStop(cloud)
  })

  it('unauthorized refuses a valid token once; a refresh and retry then succeed', async () => {
    const cloud = await start()
    const { accessToken, refreshToken } = cloud.issueTokens()
    cloud.inject({ kind: 'unauthorized' })
    const refused = await api(cloud, '/iam/v1/workspaces/current', accessToken)
    expect(refused.status).toBe(401)
    const body = (await refresh(cloud, refreshToken).then((r) => r.json())) as Record<string, string>
    const retried = await api(cloud, '/iam/v1/workspaces/current', body['access_token'] as string)
    expect(retried.status).toBe(200)
    expect(cloud.stats()).toMatchObject({ unauthorized: 1, refreshes: 1 })
  })

  it('unauthorized is not spent on requests that fail the API key check', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    cloud.inject({ kind: 'unauthorized', times: 1 })
    await fetch(`${cloud.url}/iam/v1/workspaces/current`, {
      headers: { authorization: `Bearer ${accessToken}` },
    })
    expect((await api(cloud, '/v4/people/current', accessToken)).status).toBe(401)
    expect((await api(cloud, '/v4/people/current', accessToken)).status).toBe(200)
  })

  it('drop-after-rotate rotates server-side, then cuts the connection', async () => {
    const cloud = await start()
    const { refreshToken } = cloud.issueTokens()
    cloud.inject({ kind: 'drop-after-rotate' })
    const err = await refresh(cloud, refreshToken).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TypeError) // undici: "fetch failed", cause: socket closed
    expect(cloud.isRefreshTokenValid(refreshToken)).toBe(false)
    expect(cloud.stats()).toMatchObject({ refreshes: 1, invalidGrants: 0 })

    // The client retries with what it has: that is now reuse, and the chain is gone for good.
    const retry = await refresh(cloud, refreshToken)
    expect(retry.status).toBe(400)
    expect(cloud.stats()).toMatchObject({ reuseDetected: 1, invalidGrants: 1 })
  })

  it('reset clears queued faults', async () => {
    const cloud = await start()
    cloud.inject({ kind: 'status', status: 500, times: 5 })
    cloud.reset()
    expect((await api(cloud, '/v4/people/current', cloud.issueTokens().accessToken)).status).toBe(200)
  })

  it('inject rejects malformed faults', async () => {
    const cloud = await start()
    expect(() => cloud.inject({ kind: 'status', status: 200 })).toThrow(/status/)
    expect(() => cloud.inject({ kind: 'delay', ms: -1 })).toThrow(/ms/)
    expect(() => cloud.inject({ kind: 'bogus' } as never)).toThrow(/kind/)
  })
})
