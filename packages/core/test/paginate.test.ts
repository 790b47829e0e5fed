import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../src/client.ts'
import { isAacError } from '../src/errors.ts'
import { type PageInfo, type PageSource, paginate } from '../src/paginate.ts'
import { memoryStorage } from '../src/storage/memory.ts'

/** A list of `total` numbered items served the way /v4 serves them; records every query it gets. */
function listSource(
  total: number,
  options: { count?: boolean; ignoreOffset?: boolean; maxPage?: number } = {},
) {
  const queries: Array<Record<string, unknown>> = []
  const source: PageSource = {
    async get<T>(path: string, request?: { query?: Record<string, unknown> | undefined }) {
      const query: Record<string, unknown> = { path, ...request?.query }
      queries.push(query)
      // A server may cap the page size below the limit asked for, without saying so.
      const limit = Math.min(Number(query['limit']), options.maxPage ?? Number.POSITIVE_INFINITY)
      const offset = options.ignoreOffset ? 0 : Number(query['offset'])
      const data = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => ({
        id: offset + i + 1,
      }))
      return (options.count === false ? { data } : { data, count: total }) as T
    },
  }
  return { source, queries }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

describe('paginate', () => {
  let cloud: FakeCloud
  beforeAll(async () => {
    cloud = await startFakeCloud()
  })
  afterAll(() => cloud.stop())

  it('walks the 137 people of the fake cloud through client.paginate: every record once, in order', async () => {
    const { accessToken, refreshToken } = cloud.issueTokens()
    const client = createClient({
      config: { apiUrl: cloud.url, directUrl: cloud.url, projectId: cloud.projectId, region: undefined },
      storage: memoryStorage({ accessToken, refreshToken }),
    })
    const pages: PageInfo[] = []
    const people = await collect(
      client.paginate<{ id: number }>('/v4/people', { limit: 25, onPage: (page) => pages.push(page) }),
    )
    expect(people.map((p) => p.id)).toEqual(Array.from({ length: 137 }, (_, i) => i + 1))
    expect(pages.map((p) => [p.offset, p.items, p.received, p.count])).toEqual([
      [0, 25, 25, 137],
      [25, 25, 50, 137],
      [50, 25, 75, 137],
      [75, 25, 100, 137],
      [100, 25, 125, 137],
      [125, 12, 137, 137],
    ])
    expect(cloud.stats().byRoute['GET /v4/people']).toBe(6)
  })

  it('stops at offset >= count without asking for an empty page', async () => {
    const { source, queries } = listSource(200)
    expect(await collect(paginate(source, '/v4/flows', { limit: 100 }))).toHaveLength(200)
    expect(queries.map((q) => q['offset'])).toEqual([0, 100])
    expect(queries.every((q) => q['includeCount'] === true)).toBe(true)
  })

  it('with a count, walks on past pages that a server capped below the limit', async () => {
    const { source, queries } = listSource(2500, { maxPage: 1000 })
    const items = await collect(paginate<{ id: number }>(source, '/v4/people', { limit: 2000 }))
    expect(items).toHaveLength(2500)
    expect(new Set(items.map((item) => item.id)).size).toBe(2500)
    expect(queries.map((q) => q['offset'])).toEqual([0, 1000, 2000])
  })

  it('without a count, stops at the first short or empty page', async () => {
    const short = listSource(150, { count: false })
    expect(await collect(paginate(short.source, '/v4/flows', { limit: 100 }))).toHaveLength(150)
    expect(short.queries.map((q) => q['offset'])).toEqual([0, 100])
    const exact = listSource(200, { count: false })
    expect(await collect(paginate(exact.source, '/v4/flows', { limit: 100 }))).toHaveLength(200)
    expect(exact.queries.map((q) => q['offset'])).toEqual([0, 100, 200])
  })

  it('takes limit and offset from the path or the query, and keeps the other parameters', async () => {
    const { source, queries } = listSource(30)
    const items = await collect(
      paginate<{ id: number }>(source, '/v4/people?limit=10&sort=-id', {
        query: { offset: 5, includeCount: false },
      }),
    )
    expect(items.map((i) => i.id)).toEqual(Array.from({ length: 25 }, (_, i) => i + 6))
    expect(queries[0]).toEqual({ path: '/v4/people', sort: '-id', limit: 10, offset: 5, includeCount: false })
  })

  it('refuses an answer that is not a {data} list, and a server that ignores offset', async () => {
    const notList: PageSource = { get: async <T>() => ({ id: 1 }) as T }
    const error = await collect(paginate(notList, '/iam/v1/workspaces/current')).catch((e: unknown) => e)
    expect(isAacError(error) && error.code).toBe('UNEXPECTED_RESPONSE')
    expect(String(error)).toContain('only /v4 lists page with limit and offset')

    const { source, queries } = listSource(500, { ignoreOffset: true })
    const stuck = await collect(paginate(source, '/v4/people', { limit: 100, concurrency: 1 })).catch(
      (e: unknown) => e,
    )
    expect(isAacError(stuck) && stuck.code).toBe('UNEXPECTED_RESPONSE')
    expect(queries).toHaveLength(2)
    // Concurrently, the pages already asked for are the only extra ones: the walk still stops at the second.
    const eager = listSource(5000, { ignoreOffset: true })
    const stuckToo = await collect(
      paginate(eager.source, '/v4/people', { limit: 100, concurrency: 3 }),
    ).catch((e: unknown) => e)
    expect(isAacError(stuckToo) && stuckToo.code).toBe('UNEXPECTED_RESPONSE')
    expect(eager.queries).toHaveLength(4)
  })

  it('rejects a limit or concurrency that is not a positive integer before sending anything', async () => {
    const { source, queries } = listSource(10)
    await expect(collect(paginate(source, '/v4/people', { limit: 0 }))).rejects.toThrow(/limit must be/)
    await expect(collect(paginate(source, '/v4/people?limit=abc'))).rejects.toThrow(/limit must be/)
    await expect(collect(paginate(source, '/v4/people', { concurrency: 0 }))).rejects.toThrow(
      /concurrency must be an integer >= 1/,
    )
    expect(queries).toHaveLength(0)
  })
})
