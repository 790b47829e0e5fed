import { describe, expect, it } from 'vitest'
import { api, refresh, useFakeCloud } from './helpers.ts'

const start = useFakeCloud()

const routeNotFound = (method: string, path: string) => ({
  exception: {
    name: 'RouteNotFoundException',
    message: 'This route does not exist',
    details: `Cannot ${method} ${path}`,
  },
})

describe('host families', () => {
  it('share one listener by default: directUrl is url and both families answer there', async () => {
    const cloud = await start()
    expect(cloud.directUrl).toBe(cloud.url)
    const { accessToken } = cloud.issueTokens()
    expect((await api(cloud, '/iam/v1/workspaces/current', accessToken)).status).toBe(200)
    expect((await api(cloud, '/v4/people', accessToken)).status).toBe(200)
  })

  it('with splitHosts: each host refuses the other family with RouteNotFoundException', async () => {
    const cloud = await start({ splitHosts: true })
    expect(cloud.directUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(cloud.directUrl).not.toBe(cloud.url)
    const { accessToken, refreshToken } = cloud.issueTokens()
    const headers = { authorization: `Bearer ${accessToken}`, 'x-api-project-id': cloud.projectId }
    const at = (base: string, path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { ...headers, ...init.headers } })

    // The right host for each family.
    expect((await at(cloud.url, '/iam/v1/workspaces/current')).status).toBe(200)
    expect((await at(cloud.directUrl, '/v4/people')).status).toBe(200)

    // The gateway has no /v4 or /svc-workflow routes.
    const v4 = await at(cloud.url, '/v4/people')
    expect(v4.status).toBe(404)
    expect(await v4.json()).toEqual(routeNotFound('GET', '/v4/people'))
    const run = await at(cloud.url, '/svc-workflow/api/v1/workflows/1/run', { method: 'POST' })
    expect(await run.json()).toEqual(routeNotFound('POST', '/svc-workflow/api/v1/workflows/1/run'))

    // The direct host has no gateway routes, whatever the API key (no Apigee in front of it), and no issuer.
    for (const path of [
      '/iam/v1/workspaces/current',
      '/plans/v1/plans',
      '/scheduling/v1/x',
      '/billing/v1/x',
    ]) {
      const res = await fetch(`${cloud.directUrl}${path}`)
      expect(res.status, path).toBe(404)
      expect(await res.json()).toEqual(routeNotFound('GET', path))
    }
    const token = await fetch(`${cloud.directUrl}/as/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    })
    expect(await token.json()).toEqual(routeNotFound('POST', '/as/token'))
    expect(cloud.isRefreshTokenValid(refreshToken)).toBe(true)
    expect(cloud.issuer).toBe(`${cloud.url}/as`)
    expect((await refresh(cloud, refreshToken)).status).toBe(200)

    // One set of counters for both listeners.
    expect(cloud.stats()).toMatchObject({
      requests: 10,
      apiRequests: 9,
      refreshes: 1,
      byRoute: expect.objectContaining({ 'GET /v4/people': 2, 'GET /iam/v1/workspaces/current': 2 }),
    })
  })

  it('with splitHosts: the control API answers on both and names both URLs; stop() closes both', async () => {
    const cloud = await start({ splitHosts: true })
    for (const base of [cloud.url, cloud.directUrl]) {
      const info = (await (await fetch(`${base}/__control/info`)).json()) as Record<string, unknown>
      expect(info).toMatchObject({ url: cloud.url, directUrl: cloud.directUrl, issuer: cloud.issuer })
    }
    await cloud.stop()
    await expect(fetch(`${cloud.directUrl}/v4/people`)).rejects.toThrow()
    await expect(fetch(`${cloud.url}/iam/v1/workspaces/current`)).rejects.toThrow()
  })
})
