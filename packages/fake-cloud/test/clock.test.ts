// A server clock that is not this machine's: clients learn it from the Date header and from `iat`, so both
// must carry the same skew, and the server must judge token expiry by it too.
import { describe, expect, it } from 'vitest'
import type { FakeCloud } from '../src/index.ts'
import { api, decodeJwtPart, refresh, useFakeCloud } from './helpers.ts'

const start = useFakeCloud()

/** Seconds the server's clock is ahead of ours, as its Date header shows it (whole seconds, so ±1). */
async function dateSkew(url: string): Promise<number> {
  const res = await fetch(url)
  const date = res.headers.get('date')
  expect(date).toBeTruthy()
  return (Date.parse(date as string) - Date.now()) / 1000
}

function iatSkew(accessToken: string): number {
  return (decodeJwtPart(accessToken, 1)['iat'] as number) - Date.now() / 1000
}

/** A machine that is busy running other tests can take a few seconds over anything; skews here are hours. */
const SLACK = 5

describe('clock offset', () => {
  it('none by default: the Date header and iat follow this machine', async () => {
    const cloud = await start()
    expect(cloud.clockOffsetSeconds).toBe(0)
    expect(Math.abs(await dateSkew(`${cloud.url}/v4/people`))).toBeLessThan(SLACK)
    expect(Math.abs(iatSkew(cloud.issueTokens().accessToken))).toBeLessThan(SLACK)
  })

  it('shifts the Date header of every answer and the iat/exp of every token by the same amount', async () => {
    const cloud = await start({ clockOffsetSeconds: 7200, accessTokenTtlSeconds: 60 })
    expect(cloud.clockOffsetSeconds).toBe(7200)
    // API, token endpoint, unknown routes and the control API alike.
    for (const path of ['/v4/people', '/as/token', '/nowhere', '/__control/stats']) {
      expect(Math.abs((await dateSkew(`${cloud.url}${path}`)) - 7200), path).toBeLessThan(SLACK)
    }
    const pair = cloud.issueTokens()
    expect(Math.abs(iatSkew(pair.accessToken) - 7200)).toBeLessThan(SLACK)
    const res = await refresh(cloud, pair.refreshToken)
    const rotated = ((await res.json()) as { access_token: string }).access_token
    const claims = decodeJwtPart(rotated, 1)
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(60)
    // What a client learns from the one must agree with what it learns from the other.
    const fromDate = Date.parse(res.headers.get('date') as string) / 1000
    expect(Math.abs((claims['iat'] as number) - fromDate)).toBeLessThan(SLACK)
    // A token minted on the server's clock works against the server's clock.
    expect((await api(cloud, '/v4/people/current', rotated)).status).toBe(200)
  })

  it('the bearer check uses the server clock: a token expires when the server says so', async () => {
    const cloud = await start({ accessTokenTtlSeconds: 300 })
    const { accessToken } = cloud.issueTokens()
    expect((await api(cloud, '/v4/people/current', accessToken)).status).toBe(200)
    cloud.setClockOffset(301 + SLACK)
    const res = await api(cloud, '/v4/people/current', accessToken)
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ message: 'jwt expired' })
    // Back in time, the same token is alive again: expiry is judged now, by the clock of the moment.
    cloud.setClockOffset(0)
    expect((await api(cloud, '/v4/people/current', accessToken)).status).toBe(200)
  })

  it('a server behind this machine mints tokens that look already expired to a client trusting its own clock', async () => {
    const cloud = await start({ clockOffsetSeconds: -3600, accessTokenTtlSeconds: 300 })
    const { accessToken } = cloud.issueTokens()
    expect(decodeJwtPart(accessToken, 1)['exp'] as number).toBeLessThan(Date.now() / 1000)
    // ...yet the server accepts it: it is fresh by the server's clock.
    expect((await api(cloud, '/v4/people/current', accessToken)).status).toBe(200)
  })

  it('is set over the control API, survives reset, and refuses non-numbers', async () => {
    const cloud: FakeCloud = await start()
    const control = `${cloud.url}/__control/clock`
    const set = await fetch(control, { method: 'POST', body: JSON.stringify({ offsetSeconds: -90 }) })
    expect(set.status).toBe(200)
    const body = (await set.json()) as { offsetSeconds: number; now: string }
    expect(body.offsetSeconds).toBe(-90)
    expect(Math.abs((Date.parse(body.now) - Date.now()) / 1000 + 90)).toBeLessThan(SLACK)
    expect(cloud.clockOffsetSeconds).toBe(-90)
    expect(Math.abs((await dateSkew(`${cloud.url}/v4/people`)) + 90)).toBeLessThan(SLACK)

    await fetch(`${cloud.url}/__control/reset`, { method: 'POST' })
    expect(((await (await fetch(control)).json()) as { offsetSeconds: number }).offsetSeconds).toBe(-90)
    const info = (await (await fetch(`${cloud.url}/__control/info`)).json()) as Record<string, unknown>
    expect(info['clockOffsetSeconds']).toBe(-90)

    for (const bad of [{ offsetSeconds: '60' }, {}, { offsetSeconds: 1e12 }]) {
      const res = await fetch(control, { method: 'POST', body: JSON.stringify(bad) })
      expect(res.status, JSON.stringify(bad)).toBe(400)
      expect(((await res.json()) as { error: string }).error).toMatch(/seconds/)
    }
    expect(cloud.clockOffsetSeconds).toBe(-90)
    expect(() => cloud.setClockOffset(Number.NaN)).toThrow(RangeError)
    await expect(start({ clockOffsetSeconds: Number.POSITIVE_INFINITY })).rejects.toThrow(RangeError)
  })
})
