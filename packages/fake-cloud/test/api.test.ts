import { describe, expect, it } from 'vitest'
import { api, useFakeCloud } from './helpers.ts'

const start = useFakeCloud()

describe('gateway host (/iam)', () => {
  it("answers the seed call with the workspace, in the shape Alteryx's guide prints", async () => {
    const cloud = await start()
    const res = await api(cloud, '/iam/v1/workspaces/current', cloud.issueTokens().accessToken)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const body = (await res.json()) as Record<string, unknown>
    // The guide's answer, key for key and in its order (mixed case and all); only the values are the fake's.
    expect(Object.keys(body)).toEqual([
      'id',
      'name',
      'state',
      'lastStateChange',
      'custom_url',
      'max_user_number',
      'gid',
      'createdAt',
      'updatedAt',
      'workspacetiers',
      'workspace_member_count',
      'workspace_tier',
      'emrCluster',
    ])
    expect(body).toEqual({
      id: 31429,
      name: 'Fake Workspace',
      state: 'active',
      lastStateChange: null,
      custom_url: 'fake.us1.alteryxcloud.com',
      max_user_number: 5000,
      gid: expect.stringMatching(/^01JK[0-9A-Z]{22}$/),
      createdAt: '2024-03-14T09:26:53.000Z',
      updatedAt: '2025-01-20T16:02:11.000Z',
      workspacetiers: {
        data: [
          {
            isSingleUser: false,
            id: 31428,
            name: 'enterprise_cloud22',
            startsAt: '2024-03-14T09:26:53.000Z',
            trialState: 'None',
            workspace: { id: 31429 },
          },
        ],
      },
      workspace_member_count: 137,
      workspace_tier: 'enterprise_cloud22',
      emrCluster: null,
    })
  })

  it('counts as workspace members the people /v4/people lists', async () => {
    const cloud = await start({ people: 3 })
    const { accessToken } = cloud.issueTokens()
    const workspace = (await (await api(cloud, '/iam/v1/workspaces/current', accessToken)).json()) as Record<
      string,
      unknown
    >
    const people = (await (await api(cloud, '/v4/people?includeCount=true', accessToken)).json()) as {
      data: unknown[]
      count: number
    }
    expect(workspace['workspace_member_count']).toBe(3)
    expect(people.count).toBe(3)
    expect(people.data).toHaveLength(3)
  })

  it('answers Apigee faults for a missing or wrong project id, before looking at the bearer', async () => {
    const cloud = await start()
    const missing = await fetch(`${cloud.url}/iam/v1/workspaces/current`)
    expect(missing.status).toBe(401)
    expect(await missing.json()).toEqual({
      fault: {
        faultstring: 'Failed to resolve API Key variable request.header.x-api-project-id',
        detail: { errorcode: 'steps.oauth.v2.FailedToResolveAPIKey' },
      },
    })
    const wrong = await api(cloud, '/iam/v1/workspaces/current', cloud.issueTokens().accessToken, {
      headers: { 'x-api-project-id': 'nope' },
    })
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual({
      fault: { faultstring: 'Invalid ApiKey', detail: { errorcode: 'oauth.v2.InvalidApiKey' } },
    })
    expect(cloud.stats().unauthorized).toBe(2)
  })

  it('accepts the older x-client-id header', async () => {
    const cloud = await start()
    const res = await fetch(`${cloud.url}/iam/v1/workspaces/current`, {
      headers: { authorization: `Bearer ${cloud.issueTokens().accessToken}`, 'x-client-id': cloud.projectId },
    })
    expect(res.status).toBe(200)
  })

  it('needs a bearer token after the API key', async () => {
    const cloud = await start({ projectId: 'my-project' })
    const res = await fetch(`${cloud.url}/iam/v1/workspaces/current`, {
      headers: { 'x-api-project-id': 'my-project' },
    })
    expect(res.status).toBe(401)
    expect(await res.text()).toBe('Unauthorized')
  })
})

describe('direct host (/v4)', () => {
  it('checks only the bearer', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    const res = await fetch(`${cloud.url}/v4/workspaces/current`, {
      headers: { authorization: `Bearer ${accessToken}` },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: 31429, name: 'Fake Workspace', memberCount: 137 })

    const none = await fetch(`${cloud.url}/v4/workspaces/current`)
    expect(none.status).toBe(401)
    expect(await none.text()).toBe('Unauthorized')
    const garbage = await api(cloud, '/v4/workspaces/current', 'not.a.jwt')
    expect(garbage.status).toBe(401)
    expect(await garbage.text()).toBe('Unauthorized')
  })

  it('returns the current person', async () => {
    const cloud = await start()
    const res = await api(cloud, '/v4/people/current', cloud.issueTokens().accessToken)
    expect(await res.json()).toMatchObject({
      id: 51,
      email: expect.stringContaining('@'),
      name: expect.any(String),
    })
  })

  it('pages through 137 distinct people', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    const first = (await (await api(cloud, '/v4/people', accessToken)).json()) as Record<string, unknown>
    expect(first['data']).toHaveLength(25)
    expect(first).not.toHaveProperty('count')

    const seen = new Map<number, string>()
    for (let offset = 0; ; offset += 40) {
      const res = await api(cloud, `/v4/people?limit=40&offset=${offset}&includeCount=true`, accessToken)
      const page = (await res.json()) as {
        data: { id: number; email: string; name: string }[]
        count: number
      }
      expect(page.count).toBe(137)
      for (const p of page.data) seen.set(p.id, p.email)
      if (page.data.length < 40) break
    }
    expect(seen.size).toBe(137)
    expect(new Set(seen.values()).size).toBe(137)

    const all = (await (await api(cloud, '/v4/people?limit=1000', accessToken)).json()) as { data: unknown[] }
    expect(all.data).toHaveLength(137)
    const past = (await (await api(cloud, '/v4/people?offset=500', accessToken)).json()) as {
      data: unknown[]
    }
    expect(past.data).toEqual([])
  })

  it('honours the people option', async () => {
    const cloud = await start({ people: 3 })
    const res = await api(cloud, '/v4/people?includeCount=true', cloud.issueTokens().accessToken)
    const body = (await res.json()) as { data: unknown[]; count: number }
    expect(body.data).toHaveLength(3)
    expect(body.count).toBe(3)
  })

  it('rejects a limit over 1000 or a malformed one with 400', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    for (const query of ['limit=1001', 'limit=abc', 'limit=-1', 'offset=x']) {
      const res = await api(cloud, `/v4/people?${query}`, accessToken)
      expect(res.status, query).toBe(400)
      expect(await res.json()).toMatchObject({ exception: { name: 'ValidationFailed' } })
    }
  })
})

describe('everything else', () => {
  it('answers unknown routes and wrong methods with RouteNotFoundException', async () => {
    const cloud = await start()
    const res = await fetch(`${cloud.url}/v4/nothing/here`)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({
      exception: {
        name: 'RouteNotFoundException',
        message: 'This route does not exist',
        details: 'Cannot GET /v4/nothing/here',
      },
    })
    const post = await api(cloud, '/v4/people', cloud.issueTokens().accessToken, {
      method: 'POST',
      body: '{}',
    })
    expect(post.status).toBe(404)
    expect(((await post.json()) as { exception: { details: string } }).exception.details).toBe(
      'Cannot POST /v4/people',
    )
  })

  it('gives every response its own x-trifacta-request-id', async () => {
    const cloud = await start()
    const responses = await Promise.all([
      fetch(`${cloud.url}/v4/people`),
      fetch(`${cloud.url}/nope`),
      fetch(`${cloud.url}/as/token`, { method: 'POST' }),
      api(cloud, '/v4/people', cloud.issueTokens().accessToken),
    ])
    const ids = responses.map((r) => r.headers.get('x-trifacta-request-id'))
    for (const id of ids) expect(id).toMatch(/^[\w-]{16,}$/)
    expect(new Set(ids).size).toBe(4)
  })

  it('counts requests per route, with the token endpoint apart', async () => {
    const cloud = await start()
    const { accessToken, refreshToken } = cloud.issueTokens()
    await api(cloud, '/iam/v1/workspaces/current', accessToken)
    await api(cloud, '/iam/v1/workspaces/current', accessToken)
    await fetch(`${cloud.url}/v4/people`)
    await fetch(`${cloud.url}/missing`, { method: 'DELETE' })
    await fetch(`${cloud.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'x' }),
    })
    expect(cloud.stats()).toEqual({
      requests: 5,
      apiRequests: 4,
      tokenRequests: 1,
      refreshes: 0,
      invalidGrants: 0,
      reuseDetected: 0,
      unauthorized: 1,
      byRoute: {
        'GET /iam/v1/workspaces/current': 2,
        'GET /v4/people': 1,
        'DELETE /missing': 1,
        'POST /as/token': 1,
      },
    })
    cloud.reset()
    expect(cloud.stats()).toMatchObject({ requests: 0, byRoute: {} })
    // reset keeps token families
    expect(cloud.isRefreshTokenValid(refreshToken)).toBe(true)
  })

  it('sends no CORS headers unless asked, like the real API', async () => {
    const cloud = await start()
    const origin = { origin: 'http://localhost:5173' }
    const res = await api(cloud, '/iam/v1/workspaces/current', cloud.issueTokens().accessToken, {
      headers: origin,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    // A preflight is then an ordinary OPTIONS request, which no route answers.
    const preflight = await fetch(`${cloud.url}/v4/people`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'GET' },
    })
    expect(preflight.status).toBe(404)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull()
  })

  it('with cors: answers preflights without counting them, and exposes the headers clients read', async () => {
    const cloud = await start({ cors: true })
    const plain = await api(cloud, '/v4/people/current', cloud.issueTokens().accessToken, {
      headers: { origin: 'http://localhost:5173' },
    })
    expect(plain.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    expect(plain.headers.get('access-control-expose-headers')).toContain('x-retry-after')
    cloud.reset()
    const res = await fetch(`${cloud.url}/iam/v1/workspaces/current`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization, x-api-project-id',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    expect(res.headers.get('access-control-allow-headers')).toContain('x-api-project-id')
    expect(cloud.stats().requests).toBe(0)
  })
})
