import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import { getCurrentPerson, listPeople, type Person } from '../../src/endpoints/index.ts'
import { isAacError } from '../../src/errors.ts'
import type { PageInfo } from '../../src/paginate.ts'
import { collect, type SplitCloud, startSplitCloud } from './fake.ts'

/** The user the fake's tokens belong to (CURRENT_USER_ID of @aac/fake-cloud). */
const CURRENT_USER = 51

describe('people endpoints against the fake cloud', () => {
  let fake: SplitCloud
  beforeAll(async () => {
    fake = await startSplitCloud({ people: 57 })
  })
  afterAll(() => fake.cloud.stop())
  beforeEach(() => {
    fake.sent.length = 0
  })

  it('getCurrentPerson asks the direct host for /v4/people/current and answers a typed Person', async () => {
    const me = await getCurrentPerson(fake.client)
    expect(fake.sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      `GET ${fake.cloud.directUrl}/v4/people/current`,
    ])
    expect(me).toMatchObject({ id: CURRENT_USER, state: 'active', isAdmin: false, isDisabled: false })
    expect(me.email).toMatch(/^[^@\s]+@fake\.example\.com$/)
    expect(me.name).toMatch(/^\S+ \S+$/)
    expect(new Date(me.createdAt ?? '').toISOString()).toBe(me.createdAt)
    expectTypeOf(me).toEqualTypeOf<Person>()
    expectTypeOf(me.email).toEqualTypeOf<string | undefined>()
    const nothing: Person = {}
    expect(nothing).toEqual({})
  })

  it('listPeople walks /v4/people on the direct host page by page: every person once, in order', async () => {
    const pages: PageInfo[] = []
    const people = await collect(listPeople(fake.client, { limit: 20, onPage: (page) => pages.push(page) }))
    expect(people.map((p) => p.id)).toEqual(Array.from({ length: 57 }, (_, i) => i + 1))
    expect(people.find((p) => p.id === CURRENT_USER)).toEqual(await getCurrentPerson(fake.client))
    expect(pages.map((p) => [p.offset, p.items])).toEqual([
      [0, 20],
      [20, 20],
      [40, 17],
    ])
    const lists = fake.sent.filter((s) => s.url.endsWith('/v4/people'))
    expect(lists.map((s) => `${s.method} ${s.url}`)).toEqual(
      Array(3).fill(`GET ${fake.cloud.directUrl}/v4/people`),
    )
    expect(lists.map((s) => [s.query.get('limit'), s.query.get('offset')])).toEqual([
      ['20', '0'],
      ['20', '20'],
      ['20', '40'],
    ])
    expectTypeOf(listPeople(fake.client)).toEqualTypeOf<AsyncGenerator<Person, void, undefined>>()
  })

  it('listPeople: the default page is 100, the people count is the workspace member count', async () => {
    const people = await collect(listPeople(fake.client))
    expect(people).toHaveLength(57)
    expect(fake.sent.map((s) => s.query.get('limit'))).toEqual(['100'])
  })

  it('listPeople passes the query and the signal on', async () => {
    const some = await collect(listPeople(fake.client, { query: { offset: 50 } }))
    expect(some.map((p) => p.id)).toEqual([51, 52, 53, 54, 55, 56, 57])
    const reason = new Error('stop')
    await expect(collect(listPeople(fake.client, { signal: AbortSignal.abort(reason) }))).rejects.toBe(reason)
  })

  it('an answer that is not a JSON object → UNEXPECTED_RESPONSE naming the request', async () => {
    const text = { get: async <T>() => 'Bad gateway' as T }
    const error = await getCurrentPerson(text).catch((e: unknown) => e)
    expect(isAacError(error) && error.code).toBe('UNEXPECTED_RESPONSE')
    expect(String(error)).toContain('The answer of GET /v4/people/current is a string')
    const list = { get: async <T>() => ({ data: [{ id: 1 }, 7], count: 2 }) as T }
    const listError = await collect(listPeople(list)).catch((e: unknown) => e)
    expect(isAacError(listError) && listError.code).toBe('UNEXPECTED_RESPONSE')
    expect(String(listError)).toContain('An item of GET /v4/people is a number')
  })
})
