// paginate with `concurrency`: order kept, memory bounded, one shared pause on a 429, early stops that stop.
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { delay, HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../src/client.ts'
import { isAacError } from '../src/errors.ts'
import { type PageInfo, type PageSource, paginate } from '../src/paginate.ts'
import type { RequestOptionsWithoutBody } from '../src/request-options.ts'
import { memoryStorage } from '../src/storage/memory.ts'
import { DIRECT, FIXED_TOKENS, US1_CONFIG } from './us1-client.ts'

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

/** A list whose pages take `latency(offset)` ms; counts the pages in flight. */
function slowList(total: number, latency: (offset: number) => number) {
  const state = { inFlight: 0, maxInFlight: 0, offsets: [] as number[], aborted: 0 }
  const source: PageSource = {
    async get<T>(_path: string, request?: RequestOptionsWithoutBody) {
      const offset = Number(request?.query?.['offset'])
      const limit = Number(request?.query?.['limit'])
      state.offsets.push(offset)
      state.inFlight++
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, latency(offset))
          request?.signal?.addEventListener('abort', () => {
            clearTimeout(timer)
            state.aborted++
            reject(request.signal?.reason)
          })
        })
      } finally {
        state.inFlight--
      }
      const data = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => ({
        id: offset + i + 1,
      }))
      return { data, count: total } as T
    },
  }
  return { source, state }
}

describe('paginate with concurrency', () => {
  it('keeps the list order when later pages answer first, with at most `concurrency` pages in flight', async () => {
    // Page 1 (offset 100) is the slowest, so pages 2-4 finish before it.
    const { source, state } = slowList(1000, (offset) => (offset === 100 ? 40 : 5))
    const pages: PageInfo[] = []
    const items = await collect(
      paginate<{ id: number }>(source, '/v4/people', { limit: 100, onPage: (p) => pages.push(p) }),
    )
    expect(items.map((item) => item.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
    expect(pages.map((p) => p.offset)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900])
    expect(pages.at(-1)).toMatchObject({ received: 1000, count: 1000 })
    // Exactly the requests of a sequential walk, four at a time at most.
    expect([...state.offsets].sort((a, b) => a - b)).toEqual(pages.map((p) => p.offset))
    expect(state.maxInFlight).toBe(4)

    const sequential = slowList(300, () => 1)
    await collect(paginate(sequential.source, '/v4/people', { limit: 100, concurrency: 1 }))
    expect(sequential.state.maxInFlight).toBe(1)
  })

  it('stops the pages in flight when the caller stops reading', async () => {
    const { source, state } = slowList(10_000, () => 20)
    let seen = 0
    for await (const _ of paginate(source, '/v4/people', { limit: 100, concurrency: 3 })) {
      if (++seen === 150) break
    }
    expect(state.aborted).toBe(3)
    expect(state.inFlight).toBe(0)
    // No page is asked for after the stop.
    const sent = state.offsets.length
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(state.offsets).toHaveLength(sent)
  })

  it('walks the fake cloud in order, fetching the pages after the first together', async () => {
    const cloud: FakeCloud = await startFakeCloud({ people: 10_000 })
    try {
      const { accessToken, refreshToken } = cloud.issueTokens()
      const client = createClient({
        config: { apiUrl: cloud.url, directUrl: cloud.url, projectId: cloud.projectId, region: undefined },
        storage: memoryStorage({ accessToken, refreshToken }),
      })
      // The first concurrent page (offset 1000) is held longest.
      cloud.inject({ kind: 'delay', ms: 0, path: '/v4/people' })
      cloud.inject({ kind: 'delay', ms: 80, path: '/v4/people' })
      const people = await collect(client.paginate<{ id: number }>('/v4/people', { limit: 1000 }))
      expect(people.map((p) => p.id)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1))
      expect(cloud.stats().byRoute['GET /v4/people']).toBe(10)
    } finally {
      await cloud.stop()
    }
  })
})

describe('paginate with concurrency, on a 429', () => {
  const server = setupServer()
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => server.resetHandlers())
  afterAll(() => server.close())

  it('pauses every page for the x-retry-after of one, then asks that page again', async () => {
    const sent: Array<{ offset: number; at: number }> = []
    let limitedAt = 0
    server.use(
      http.get(`${DIRECT}/v4/people`, async ({ request }) => {
        const offset = Number(new URL(request.url).searchParams.get('offset'))
        sent.push({ offset, at: performance.now() })
        if (offset === 200 && limitedAt === 0) {
          limitedAt = performance.now()
          return HttpResponse.json(
            { exception: { name: 'TooManyRequestsException', message: 'Too many requests' } },
            { status: 429, headers: { 'x-retry-after': '0.2' } },
          )
        }
        // The other pages already sent answer a little later: the next ones are asked for during the pause.
        if (offset > 0) await delay(20)
        const data = Array.from({ length: Math.min(100, 800 - offset) }, (_, i) => ({ id: offset + i + 1 }))
        return HttpResponse.json({ data, count: 800 })
      }),
    )
    const client = createClient({ config: US1_CONFIG, tokens: FIXED_TOKENS })
    const items = await collect(client.paginate<{ id: number }>('/v4/people', { limit: 100 }))
    expect(items.map((item) => item.id)).toEqual(Array.from({ length: 800 }, (_, i) => i + 1))
    // Nothing at all was sent while the pause lasted (timers may fire a millisecond early).
    const during = sent.filter((s) => s.at > limitedAt + 1 && s.at < limitedAt + 199)
    expect(during).toEqual([])
    // The limited page was asked for again, once, after the pause.
    const retried = sent.filter((s) => s.offset === 200)
    expect(retried).toHaveLength(2)
    expect(retried[1]!.at - limitedAt).toBeGreaterThanOrEqual(199)
    expect(sent).toHaveLength(9)
  })

  it('gives up on a page as the client would, after its retries, with the earlier pages already yielded', async () => {
    server.use(
      http.get(`${DIRECT}/v4/people`, ({ request }) => {
        const offset = Number(new URL(request.url).searchParams.get('offset'))
        if (offset === 300) return HttpResponse.json({ exception: { name: 'Boom' } }, { status: 503 })
        const data = Array.from({ length: 100 }, (_, i) => ({ id: offset + i + 1 }))
        return HttpResponse.json({ data, count: 1000 })
      }),
    )
    const client = createClient({
      config: US1_CONFIG,
      tokens: FIXED_TOKENS,
      retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    })
    const seen: number[] = []
    const error = await (async () => {
      for await (const item of client.paginate<{ id: number }>('/v4/people', { limit: 100 }))
        seen.push(item.id)
    })().catch((e: unknown) => e)
    expect(isAacError(error) && error.code).toBe('SERVER_ERROR')
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
  })
})
