import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { delay, HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ClientBaseOptions, createClient } from '../src/client.ts'
import {
  type AacError,
  ApiError,
  isAacError,
  NetworkError,
  RateLimitError,
  TimeoutError,
} from '../src/errors.ts'
import { parseBodyText } from '../src/http/body.ts'
import { describeFetchFailure } from '../src/http/fetch-failure.ts'
import { detectRuntime, isBrowserLike, tlsHint } from '../src/internal/runtime.ts'
import { parseRetryAfter } from '../src/retry-policy.ts'
import type { AacConfig, AccessTokenSource } from '../src/types.ts'
import { PACKAGE_NAME, VERSION } from '../src/version.ts'

const API = 'https://api.us1.alteryxcloud.com'
const DIRECT = 'https://us1.alteryxcloud.com'
const config: AacConfig = { apiUrl: API, directUrl: DIRECT, projectId: 'a1b2c3d4-project', region: 'us1' }

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** A realistic RS256-shaped access token: what must never show up in an error. */
function jwt(n: number): string {
  const header = b64url({ alg: 'RS256', typ: 'JWT', kid: 'k-2024' })
  const payload = b64url({
    iss: 'https://pingauth.alteryxcloud.com/as',
    client_id: 'a7d3c6e2-0f1b-4c8e-9a5d-3b2f1e0d9c8b',
    sub: 'user@example.com',
    exp: Math.floor(Date.now() / 1000) + 300,
    n,
  })
  const signature = Buffer.from(`signature-${n}-`.repeat(20)).toString('base64url')
  return `${header}.${payload}.${signature}`
}

const TOKEN_A = jwt(1)
const TOKEN_B = jwt(2)

/** An AccessTokenSource that hands out TOKEN_A, then TOKEN_B once renewed. */
function fakeTokens() {
  let current = TOKEN_A
  const renewed: string[] = []
  const source: AccessTokenSource = {
    getAccessToken: vi.fn(async () => current),
    renewAccessToken: vi.fn(async (rejected: string) => {
      renewed.push(rejected)
      current = TOKEN_B
      return current
    }),
  }
  return { source, renewed }
}

function setup(extra: Partial<ClientBaseOptions> = {}) {
  const tokens = fakeTokens()
  const logs: Array<{ message: string; details: Record<string, unknown> | undefined }> = []
  const client = createClient({
    config,
    tokens: tokens.source,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    logger: (message, details) => logs.push({ message, details }),
    ...extra,
  })
  return { client, tokens, logs }
}

async function failure(promise: Promise<unknown>): Promise<AacError> {
  try {
    await promise
  } catch (error) {
    expect(isAacError(error)).toBe(true)
    return error as AacError
  }
  throw new Error('expected the request to fail')
}

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  server.resetHandlers()
  vi.useRealTimers()
})
afterAll(() => server.close())

const apigee = (errorcode: string, faultstring: string) =>
  HttpResponse.json({ fault: { faultstring, detail: { errorcode } } }, { status: 401 })

describe('host routing', () => {
  it('sends /v4 and /svc-workflow to the direct host and the rest to the gateway', async () => {
    const hits: string[] = []
    server.use(
      http.all(`${DIRECT}/*`, ({ request }) => {
        hits.push(`direct ${new URL(request.url).pathname}`)
        return HttpResponse.json({ ok: true })
      }),
      http.all(`${API}/*`, ({ request }) => {
        hits.push(`api ${new URL(request.url).pathname}`)
        return HttpResponse.json({ ok: true })
      }),
    )
    const { client } = setup()
    await client.get('/v4/workspaces/current')
    await client.post('/svc-workflow/api/v1/workflows/7/run')
    await client.get('/iam/v1/workspaces/current')
    await client.get('v4x/not-direct')
    expect(hits).toEqual([
      'direct /v4/workspaces/current',
      'direct /svc-workflow/api/v1/workflows/7/run',
      'api /iam/v1/workspaces/current',
      'api /v4x/not-direct',
    ])
    expect(client.url('/v4/flows', { limit: 5 })).toBe(`${DIRECT}/v4/flows?limit=5`)
    expect(client.url('/plans/v1/plans')).toBe(`${API}/plans/v1/plans`)
  })

  it('accepts absolute URLs on the configured hosts and refuses any other origin', async () => {
    server.use(http.get(`${DIRECT}/v4/people/current`, () => HttpResponse.json({ id: 1 })))
    const fetch = vi.fn(globalThis.fetch)
    const { client } = setup({ fetch })
    expect(await client.get(`${DIRECT}/v4/people/current`)).toEqual({ id: 1 })
    const error = await failure(client.get('https://evil.example.com/v4/people/current'))
    expect(error.message).toContain('Refusing to send the access token to https://evil.example.com')
    expect(() => client.url('http://api.us1.alteryxcloud.com/iam/v1/x')).toThrow(/Refusing/)
    expect(fetch).toHaveBeenCalledTimes(1)
  })
})

describe('requests', () => {
  it('sends the token, the project id headers and a User-Agent naming the library and runtime', async () => {
    let seen: Headers | undefined
    server.use(
      http.get(`${API}/iam/v1/workspaces/current`, ({ request }) => {
        seen = request.headers
        return HttpResponse.json({ id: 31429, name: 'ws' })
      }),
    )
    const { client } = setup({ userAgent: 'my-app/1.2' })
    const data = await client.get('/iam/v1/workspaces/current', {
      headers: { authorization: 'Bearer stolen', 'x-extra': 'yes', accept: 'application/json, text/plain' },
    })
    expect(data).toEqual({ id: 31429, name: 'ws' })
    expect(seen?.get('authorization')).toBe(`Bearer ${TOKEN_A}`)
    expect(seen?.get('x-api-project-id')).toBe('a1b2c3d4-project')
    expect(seen?.get('x-client-id')).toBe('a1b2c3d4-project')
    expect(seen?.get('x-extra')).toBe('yes')
    expect(seen?.get('accept')).toBe('application/json, text/plain')
    expect(seen?.get('user-agent')).toMatch(/^my-app\/1\.2 @aac\/core\/0\.1\.0 \(node\/\d+\.\d+\.\d+\)$/)
  })

  it('encodes JSON bodies and query parameters', async () => {
    let seen: { url: URL; type: string | null; body: unknown } | undefined
    server.use(
      http.post(`${DIRECT}/v4/flows/12/run`, async ({ request }) => {
        seen = {
          url: new URL(request.url),
          type: request.headers.get('content-type'),
          body: await request.json(),
        }
        return HttpResponse.json({ sessionId: 's1' }, { status: 201 })
      }),
    )
    const { client } = setup()
    const result = await client.post(
      '/v4/flows/12/run?x=1',
      { wrangledDatasetIds: [3, 4] },
      { query: { ids: [1, 2], flag: true, limit: 10, skip: undefined, q: 'a b&c' } },
    )
    expect(result).toEqual({ sessionId: 's1' })
    expect(seen?.type).toBe('application/json')
    expect(seen?.body).toEqual({ wrangledDatasetIds: [3, 4] })
    expect(seen?.url.search).toBe('?x=1&ids=1&ids=2&flag=true&limit=10&q=a+b%26c')
  })

  it('sends strings and URLSearchParams as they are', async () => {
    const bodies: Array<{ type: string | null; text: string }> = []
    server.use(
      http.put(`${API}/scheduling/v1/x`, async ({ request }) => {
        bodies.push({ type: request.headers.get('content-type'), text: await request.text() })
        return new HttpResponse(null, { status: 204 })
      }),
    )
    const { client } = setup()
    expect(await client.put('/scheduling/v1/x', 'plain')).toBeUndefined()
    await client.put('/scheduling/v1/x', new URLSearchParams({ a: '1' }))
    expect(bodies).toEqual([
      { type: 'text/plain;charset=UTF-8', text: 'plain' },
      { type: 'application/x-www-form-urlencoded;charset=UTF-8', text: 'a=1' },
    ])
  })

  it('decodes JSON, bare JSON strings, text and empty bodies, and keeps status and headers in requestRaw', async () => {
    server.use(
      http.get(`${DIRECT}/v4/jobGroups/9/status`, () =>
        HttpResponse.json('Complete', { headers: { 'x-trifacta-request-id': 'req-9' } }),
      ),
      http.get(`${DIRECT}/v4/text`, () => HttpResponse.text('hello')),
      http.delete(`${DIRECT}/v4/flows/3`, () => new HttpResponse(null, { status: 204 })),
    )
    const { client } = setup()
    expect(await client.get('/v4/jobGroups/9/status')).toBe('Complete')
    expect(await client.get('/v4/text')).toBe('hello')
    expect(await client.delete('/v4/flows/3')).toBeUndefined()
    const raw = await client.requestRaw('GET', '/v4/jobGroups/9/status')
    expect(raw.status).toBe(200)
    expect(raw.requestId).toBe('req-9')
    expect(raw.headers.get('content-type')).toContain('application/json')
    expect(raw.data).toBe('Complete')
    expect(parseBodyText('{"a":1}', null)).toEqual({ a: 1 })
    expect(parseBodyText('{not json', 'application/json')).toBe('{not json')
    expect(parseBodyText('<p>{x}</p>', 'text/html')).toBe('<p>{x}</p>')
  })

  it('looks up the global fetch at call time', async () => {
    const { client } = setup()
    const original = globalThis.fetch
    const replacement = vi.fn(async () => Response.json({ patched: true }))
    globalThis.fetch = replacement
    try {
      expect(await client.get('/v4/anything')).toEqual({ patched: true })
      expect(replacement).toHaveBeenCalledTimes(1)
    } finally {
      globalThis.fetch = original
    }
  })

  it('says to pass fetch when the runtime has none', async () => {
    const { client } = setup()
    vi.stubGlobal('fetch', undefined)
    try {
      const error = await failure(client.get('/v4/anything'))
      expect(error.message).toContain('pass one to createClient({ config, tokens, fetch })')
    } finally {
      vi.unstubAllGlobals()
    }
  })
})

describe('errors, one per row of the table', () => {
  it('Apigee InvalidApiKey → INVALID_API_KEY pointing at client_id.txt, without renewing the token', async () => {
    server.use(
      http.get(`${API}/iam/v1/workspaces/current`, () => apigee('oauth.v2.InvalidApiKey', 'Invalid ApiKey')),
    )
    const { client, tokens } = setup()
    const error = await failure(client.get('/iam/v1/workspaces/current'))
    expect(error).toBeInstanceOf(ApiError)
    expect(error.code).toBe('INVALID_API_KEY')
    expect(error.message).toContain('client_id.txt')
    expect(error.message).toContain('https://us1.alteryxcloud.com/cloud-portal/library/alteryx-io')
    expect(tokens.source.renewAccessToken).not.toHaveBeenCalled()
  })

  it('Apigee FailedToResolveAPIKey → MISSING_API_KEY, with the page of the configured region', async () => {
    const eu = {
      apiUrl: 'https://api.eu1.alteryxcloud.com',
      directUrl: 'https://eu1.alteryxcloud.com',
      region: 'eu1',
    }
    server.use(
      http.get(`${eu.apiUrl}/iam/v1/workspaces/current`, ({ request }) => {
        expect(request.headers.get('x-api-project-id')).toBeNull()
        return apigee(
          'steps.oauth.v2.FailedToResolveAPIKey',
          'Failed to resolve API Key variable request.header.x-api-project-id',
        )
      }),
    )
    const { client, tokens } = setup({ config: { ...eu, projectId: '' } })
    const error = await failure(client.get('/iam/v1/workspaces/current'))
    expect(error.code).toBe('MISSING_API_KEY')
    expect(error.message).toContain('client_id.txt is empty or missing')
    expect(error.message).toContain('https://eu1.alteryxcloud.com/cloud-portal/library/alteryx-io')
    expect(tokens.source.renewAccessToken).not.toHaveBeenCalled()
  })

  it('401 → renews the token once and retries once with the new token', async () => {
    const seen: Array<string | null> = []
    server.use(
      http.get(`${DIRECT}/v4/people/current`, ({ request }) => {
        seen.push(request.headers.get('authorization'))
        return seen.length === 1
          ? HttpResponse.text('jwt expired', { status: 401 })
          : HttpResponse.json({ id: 51 })
      }),
    )
    const { client, tokens, logs } = setup()
    expect(await client.get('/v4/people/current')).toEqual({ id: 51 })
    expect(seen).toEqual([`Bearer ${TOKEN_A}`, `Bearer ${TOKEN_B}`])
    expect(tokens.renewed).toEqual([TOKEN_A])
    expect(logs.map((l) => l.message)).toEqual([expect.stringContaining('renewing it once')])
  })

  it('a second 401 → UNAUTHORIZED naming creds.json and the tokens page, after exactly one renewal', async () => {
    let calls = 0
    server.use(
      http.post(`${DIRECT}/v4/plans/4/run`, () => {
        calls++
        return HttpResponse.text('Unauthorized', {
          status: 401,
          headers: { 'x-trifacta-request-id': 'r-401' },
        })
      }),
    )
    const { client, tokens } = setup()
    const error = await failure(client.post('/v4/plans/4/run', {}))
    expect(error.code).toBe('UNAUTHORIZED')
    expect(error.message).toContain('rejected twice')
    expect(error.message).toContain('creds.json')
    expect(error.message).toContain('https://us1.alteryxcloud.com/cloud-portal/preferences/oauth2-api-tokens')
    expect(error).toMatchObject({ status: 401, method: 'POST', path: '/v4/plans/4/run', requestId: 'r-401' })
    expect(tokens.source.renewAccessToken).toHaveBeenCalledTimes(1)
    expect(calls).toBe(2)
  })

  it('403 → FORBIDDEN quoting the API', async () => {
    server.use(
      http.post(`${DIRECT}/v4/workflows`, () =>
        HttpResponse.json(
          { data: null, msg: 'User "51" does not have create privilege on workflow' },
          { status: 403 },
        ),
      ),
    )
    const { client } = setup()
    const error = await failure(client.post('/v4/workflows', { name: 'w' }))
    expect(error.code).toBe('FORBIDDEN')
    expect(error.message).toContain('User "51" does not have create privilege on workflow')
    expect(error.message).toContain('workspace admin')
  })

  it('RouteNotFoundException → ROUTE_NOT_FOUND naming the host used and the right one', async () => {
    server.use(
      http.get(`${DIRECT}/iam/v1/workspaces/current`, () =>
        HttpResponse.json(
          {
            exception: {
              name: 'RouteNotFoundException',
              message: 'This route does not exist',
              details: 'Cannot GET /iam/v1/workspaces/current',
            },
          },
          { status: 404 },
        ),
      ),
    )
    const { client } = setup()
    const error = await failure(client.get(`${DIRECT}/iam/v1/workspaces/current`))
    expect(error.code).toBe('ROUTE_NOT_FOUND')
    expect(error.message).toContain(`${DIRECT} has no such route`)
    expect(error.message).toContain(`The path may belong to the other host: ${API}`)
    expect(error.message).toContain('/v4 and /svc-workflow paths go to https://us1.alteryxcloud.com')
  })

  it('other 404 → NOT_FOUND, other 4xx → HTTP_ERROR with the API message', async () => {
    server.use(
      http.get(`${DIRECT}/v4/flows/999`, () =>
        HttpResponse.json(
          { exception: { name: 'NotFoundError', message: 'Flow 999 not found' } },
          { status: 404 },
        ),
      ),
      http.post(`${DIRECT}/v4/flows`, () =>
        HttpResponse.json(
          { exception: { name: 'ValidationFailed', message: 'name is required' } },
          { status: 400 },
        ),
      ),
    )
    const { client } = setup()
    const notFound = await failure(client.get('/v4/flows/999'))
    expect(notFound.code).toBe('NOT_FOUND')
    expect(notFound.message).toContain('Flow 999 not found')
    const bad = await failure(client.post('/v4/flows', {}))
    expect(bad.code).toBe('HTTP_ERROR')
    expect(bad.message).toContain('name is required')
    expect((bad as ApiError).status).toBe(400)
  })

  it('429 with x-retry-after → waits about that long, then succeeds', async () => {
    const times: number[] = []
    server.use(
      http.get(`${DIRECT}/v4/people`, () => {
        times.push(performance.now())
        return times.length === 1
          ? HttpResponse.json(
              { exception: { name: 'TooManyRequestsException' } },
              { status: 429, headers: { 'x-retry-after': '0.05' } },
            )
          : HttpResponse.json({ data: [] })
      }),
    )
    const { client, logs } = setup()
    expect(await client.get('/v4/people')).toEqual({ data: [] })
    expect(times).toHaveLength(2)
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45)
    expect(logs[0]?.details).toMatchObject({ method: 'GET', path: '/v4/people', status: 429, waitMs: 50 })
  })

  it('429 with an HTTP-date Retry-After → waits until that date', async () => {
    // Only Date is faked: the HTTP date has whole seconds, so "now" is put 60 ms before one.
    const target = Date.UTC(2030, 0, 1, 0, 0, 0)
    vi.useFakeTimers({ toFake: ['Date'], now: target - 60 })
    let calls = 0
    server.use(
      http.get(`${DIRECT}/v4/schedules`, () => {
        calls++
        return calls === 1
          ? new HttpResponse(null, {
              status: 429,
              headers: { 'retry-after': new Date(target).toUTCString() },
            })
          : HttpResponse.json({ data: [1] })
      }),
    )
    const { client, logs } = setup()
    expect(await client.get('/v4/schedules')).toEqual({ data: [1] })
    expect(logs[0]?.details).toMatchObject({ status: 429, waitMs: 60 })
    expect(parseRetryAfter(new Headers({ 'retry-after': '3' }))).toBe(3000)
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined()
  })

  it('caps the server-asked wait at maxRetryAfterMs', async () => {
    let calls = 0
    server.use(
      http.get(`${DIRECT}/v4/plans`, () =>
        ++calls === 1
          ? new HttpResponse(null, { status: 503, headers: { 'retry-after': '3600' } })
          : HttpResponse.json({ data: [] }),
      ),
    )
    const { client, logs } = setup({ retry: { maxRetryAfterMs: 10 } })
    await client.get('/v4/plans')
    expect(logs[0]?.details).toMatchObject({ status: 503, waitMs: 10 })
  })

  it('5xx → retried for GET, not for POST (unless asked)', async () => {
    let gets = 0
    let posts = 0
    server.use(
      http.get(`${DIRECT}/v4/connections`, () =>
        ++gets < 3 ? new HttpResponse('bad gateway', { status: 502 }) : HttpResponse.json({ data: ['c'] }),
      ),
      http.post(`${DIRECT}/v4/jobGroups/5/cancel`, () => {
        posts++
        return HttpResponse.json({ exception: { name: 'InternalError', message: 'boom' } }, { status: 500 })
      }),
    )
    const { client } = setup()
    expect(await client.get('/v4/connections')).toEqual({ data: ['c'] })
    expect(gets).toBe(3)
    const error = await failure(client.post('/v4/jobGroups/5/cancel'))
    expect(error.code).toBe('SERVER_ERROR')
    expect(posts).toBe(1)
    await failure(client.post('/v4/jobGroups/5/cancel', undefined, { retry: true }))
    expect(posts).toBe(5)
  })

  it('retries exhausted → SERVER_ERROR, and RateLimitError with retryAfterMs', async () => {
    let fives = 0
    let limited = 0
    server.use(
      http.get(`${DIRECT}/v4/flows`, () => {
        fives++
        return new HttpResponse(null, { status: 503, headers: { 'x-trifacta-request-id': 'r-503' } })
      }),
      http.get(`${API}/billing/v1/usage`, () => {
        limited++
        return HttpResponse.json(
          { exception: { name: 'TooManyRequestsException', message: 'Too many requests' } },
          { status: 429, headers: { 'x-retry-after': '0.01' } },
        )
      }),
    )
    const { client } = setup({ retry: { retries: 2, baseDelayMs: 1 } })
    const server5xx = await failure(client.get('/v4/flows'))
    expect(server5xx.code).toBe('SERVER_ERROR')
    expect(server5xx.message).toContain('3 times')
    expect(server5xx.message).toContain('r-503')
    expect(fives).toBe(3)
    const rate = await failure(client.get('/billing/v1/usage'))
    expect(rate).toBeInstanceOf(RateLimitError)
    expect(rate.code).toBe('RATE_LIMITED')
    expect((rate as RateLimitError).retryAfterMs).toBe(10)
    expect(limited).toBe(3)
  })

  it('a non-idempotent 429 → RateLimitError without retrying', async () => {
    let calls = 0
    server.use(
      http.post(`${DIRECT}/v4/flows/1/run`, () => {
        calls++
        return new HttpResponse(null, { status: 429, headers: { 'retry-after': '7' } })
      }),
    )
    const { client } = setup()
    const error = await failure(client.post('/v4/flows/1/run'))
    expect(error).toBeInstanceOf(RateLimitError)
    expect((error as RateLimitError).retryAfterMs).toBe(7000)
    expect(error.message).toContain('wait 7 s')
    expect(calls).toBe(1)
  })

  it('retry: false stops retries of a GET', async () => {
    let calls = 0
    server.use(
      http.get(`${DIRECT}/v4/flows`, () => {
        calls++
        return new HttpResponse(null, { status: 500 })
      }),
    )
    const { client } = setup()
    expect((await failure(client.get('/v4/flows', { retry: false }))).code).toBe('SERVER_ERROR')
    expect(calls).toBe(1)
  })
})

describe('timeouts, aborts and transport failures', () => {
  it('timeout → TIMEOUT naming the request and the timeoutMs option', async () => {
    server.use(
      http.post(`${DIRECT}/v4/flows/2/run`, async () => {
        await delay(500)
        return HttpResponse.json({})
      }),
    )
    const { client } = setup()
    const error = await failure(client.post('/v4/flows/2/run', {}, { timeoutMs: 30 }))
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toContain('POST /v4/flows/2/run timed out after 30 ms')
    expect(error.message).toContain('timeoutMs')
  })

  it('retries a timed-out GET, also without AbortSignal.any', async () => {
    const any = AbortSignal.any
    // @ts-expect-error: simulating a runtime that lacks AbortSignal.any
    AbortSignal.any = undefined
    try {
      let calls = 0
      server.use(
        http.get(`${DIRECT}/v4/flows`, async () => {
          if (++calls === 1) await delay(500)
          return HttpResponse.json({ data: [] })
        }),
      )
      const { client, logs } = setup({ timeoutMs: 30 })
      expect(await client.get('/v4/flows')).toEqual({ data: [] })
      expect(calls).toBe(2)
      expect(logs[0]?.details).toMatchObject({ error: 'TIMEOUT' })
    } finally {
      AbortSignal.any = any
    }
  })

  it('caller abort → ABORTED, before or during the request', async () => {
    server.use(
      http.get(`${DIRECT}/v4/flows`, async () => {
        await delay(500)
        return HttpResponse.json({})
      }),
    )
    const { client } = setup()
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 20)
    const during = await failure(client.get('/v4/flows', { signal: controller.signal }))
    expect(during.code).toBe('ABORTED')
    expect(during.message).toContain('GET /v4/flows was aborted by the caller')
    const before = await failure(client.get('/v4/flows', { signal: AbortSignal.abort() }))
    expect(before.code).toBe('ABORTED')
  })

  it('caller abort during a retry wait → ABORTED', async () => {
    server.use(
      http.get(
        `${DIRECT}/v4/flows`,
        () => new HttpResponse(null, { status: 429, headers: { 'x-retry-after': '5' } }),
      ),
    )
    const { client } = setup()
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 30)
    expect((await failure(client.get('/v4/flows', { signal: controller.signal }))).code).toBe('ABORTED')
  })

  it('network failure → NETWORK_ERROR naming the host, retried for GET only', async () => {
    let calls = 0
    server.use(
      http.all(`${API}/iam/v1/workspaces/current`, () => {
        calls++
        return HttpResponse.error()
      }),
    )
    const { client } = setup()
    const error = await failure(client.get('/iam/v1/workspaces/current'))
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.message).toContain(`could not reach ${API}`)
    expect(error.message).toContain('proxy')
    expect(calls).toBe(4)
    calls = 0
    expect((await failure(client.post('/iam/v1/workspaces/current'))).code).toBe('NETWORK_ERROR')
    expect(calls).toBe(1)
  })

  it('certificate problem in the cause chain → TLS_ERROR with the NODE_EXTRA_CA_CERTS hint, not retried', async () => {
    const fetch = vi.fn(async () => {
      const inner = Object.assign(new Error('unable to get local issuer certificate'), {
        code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      })
      throw new TypeError('fetch failed', { cause: inner })
    })
    const { client } = setup({ fetch })
    const error = await failure(client.get('/v4/flows'))
    expect(error.code).toBe('TLS_ERROR')
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS=/path/to/corporate-ca.pem')
    expect(error.message).toContain(DIRECT)
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('gives each runtime its own CA advice', () => {
    const denoError = new TypeError('error sending request', {
      cause: new Error('invalid peer certificate: UnknownIssuer'),
    })
    const deno = describeFetchFailure(denoError, `${API}/x`, { runtime: { name: 'deno', version: '2.1.4' } })
    expect(deno.code).toBe('TLS_ERROR')
    expect(deno.message).toMatch(/--cert .*DENO_CERT/)
    const bun = describeFetchFailure({ code: 'SELF_SIGNED_CERT_IN_CHAIN' }, `${API}/x`, {
      runtime: { name: 'bun', version: '1.1.0' },
    })
    expect(bun.message).toContain('NODE_EXTRA_CA_CERTS')
    expect(tlsHint({ name: 'browser', version: undefined })).toContain('trust store')
    const refused = describeFetchFailure(
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      }),
      'http://127.0.0.1:9/as/token',
    )
    expect(refused.code).toBe('NETWORK_ERROR')
    expect(refused.message).toContain('http://127.0.0.1:9')
    expect(refused.message).toContain('ECONNREFUSED')
  })
})

describe('secrets', () => {
  const leaks = (error: unknown) => {
    const views = [String((error as Error).message), JSON.stringify(error), inspect(error, { depth: 10 })]
    for (const view of views) {
      for (const token of [TOKEN_A, TOKEN_B]) {
        expect(view).not.toContain(token)
        expect(view).not.toContain(token.split('.')[2])
        expect(view).not.toContain(token.split('.')[1])
      }
    }
  }

  it('keeps tokens out of every error, even when the API echoes them', async () => {
    const echo = (request: Request) => request.headers.get('authorization') ?? ''
    server.use(
      http.get(`${DIRECT}/v4/401`, () => HttpResponse.text('Unauthorized', { status: 401 })),
      http.get(`${DIRECT}/v4/403`, ({ request }) =>
        HttpResponse.json({ data: null, msg: `token ${echo(request)} lacks privilege` }, { status: 403 }),
      ),
      http.get(`${DIRECT}/v4/400`, ({ request }) =>
        HttpResponse.json(
          { exception: { message: `bad ${echo(request).slice(7)}` }, access_token: echo(request).slice(7) },
          { status: 400 },
        ),
      ),
      http.get(`${DIRECT}/v4/500`, ({ request }) =>
        HttpResponse.text(`oops ${echo(request)}`, { status: 500 }),
      ),
      http.get(`${DIRECT}/v4/429`, ({ request }) =>
        HttpResponse.text(echo(request).slice(7), { status: 429, headers: { 'content-type': 'text/plain' } }),
      ),
      http.get(`${DIRECT}/v4/net`, () => HttpResponse.error()),
      http.get(`${DIRECT}/v4/slow`, async () => {
        await delay(300)
        return HttpResponse.json({})
      }),
    )
    const { client } = setup({ retry: { retries: 0 }, timeoutMs: 20 })
    const paths = [
      '/v4/401',
      '/v4/403',
      '/v4/400',
      '/v4/500',
      '/v4/429',
      '/v4/net',
      '/v4/slow',
      `/v4/x?t=${TOKEN_A}`,
    ]
    server.use(http.get(`${DIRECT}/v4/x`, () => new HttpResponse(null, { status: 418 })))
    const codes: string[] = []
    for (const path of paths) {
      const error = await failure(client.get(path))
      codes.push(error.code)
      leaks(error)
    }
    expect(codes).toEqual([
      'UNAUTHORIZED',
      'FORBIDDEN',
      'HTTP_ERROR',
      'SERVER_ERROR',
      'RATE_LIMITED',
      'NETWORK_ERROR',
      'TIMEOUT',
      'HTTP_ERROR',
    ])
  })

  it('redacts extra secrets from the secrets option and logs no tokens', async () => {
    const refresh = 'rt-opaque-refresh-token-value'
    let calls = 0
    server.use(
      http.get(`${DIRECT}/v4/flows`, () =>
        ++calls === 1
          ? new HttpResponse(null, { status: 503 })
          : HttpResponse.json({ error: `cannot use ${refresh}` }, { status: 400 }),
      ),
    )
    const { client, logs } = setup({ secrets: () => [refresh] })
    const error = await failure(client.get('/v4/flows'))
    expect(error.message).toContain('[REDACTED]')
    expect(JSON.stringify((error as ApiError).body)).not.toContain(refresh)
    expect(logs).toHaveLength(1)
    expect(JSON.stringify(logs)).not.toContain(TOKEN_A.slice(0, 40))
  })
})

describe('runtime and version', () => {
  it('detects runtimes from their globals', () => {
    expect(detectRuntime()).toEqual({ name: 'node', version: process.versions.node })
    expect(
      detectRuntime({ Deno: { version: { deno: '2.1.4' } }, process: { versions: { node: '20' } } }),
    ).toEqual({
      name: 'deno',
      version: '2.1.4',
    })
    expect(detectRuntime({ Bun: { version: '1.1.38' }, process: { versions: { node: '22' } } })).toEqual({
      name: 'bun',
      version: '1.1.38',
    })
    expect(detectRuntime({ navigator: { userAgent: 'Mozilla/5.0' }, document: {} }).name).toBe('browser')
    expect(detectRuntime({}).name).toBe('unknown')
    expect(isBrowserLike()).toBe(false)
    expect(isBrowserLike({ navigator: {} })).toBe(true)
    expect(isBrowserLike({ document: {}, process: { versions: { node: '20' } } })).toBe(true)
  })

  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    expect(`${PACKAGE_NAME}@${VERSION}`).toBe(`${pkg.name}@${pkg.version}`)
  })
})
