/**
 * Walking a `/v4` list. The API pages with `limit` and `offset` and wraps each page as `{"data": [...],
 * "count": N}` (`count` only with `includeCount=true`); there are no cursors.
 */

import { AacError } from './errors.ts'
import type { Query, RequestOptionsWithoutBody } from './request-options.ts'

/**
 * Options of {@link paginate} and `client.paginate`: the page size and start, a progress callback, and any
 * request option.
 *
 * @example
 * client.paginate('/v4/people', { limit: 500, onPage: ({ received, count }) => console.error(received, count) })
 */
export interface PaginateOptions extends RequestOptionsWithoutBody {
  /**
   * Items per page (`limit` in `query` or in the path works too). Some lists cap it at 1000.
   * @default 100
   */
  limit?: number | undefined
  /**
   * Where to start (or `offset` from `query` or the path).
   * @default 0
   */
  offset?: number | undefined
  /** Called after each page, for progress: how many items so far, and the total when the API says. */
  onPage?: ((page: PageInfo) => void) | undefined
}

/** Progress of a walk through a list, given to `onPage` after each page. */
export interface PageInfo {
  /** Offset this page started at. */
  offset: number
  /** Items on this page. */
  items: number
  /** Items received so far, this page included. */
  received: number
  /** The list's total (`count`), when the API sent it. */
  count: number | undefined
}

/** What `paginate` needs of a client: its `get`. */
export interface PageSource {
  /** Fetches one page: `client.get` with the page's `limit` and `offset` in the query. */
  get<T = unknown>(path: string, options?: RequestOptionsWithoutBody): Promise<T>
}

const DEFAULT_LIMIT = 100

/**
 * Yields every item of a `/v4` list, requesting page after page. It stops when a page is shorter than the
 * limit, when the offset reaches `count`, or on an empty page. `includeCount=true` is sent unless the query sets
 * it, so the walk can stop without asking for an empty last page and progress can show the total.
 *
 * @example
 * for await (const person of client.paginate<{ id: number; email: string }>('/v4/people')) {
 *   console.log(person.email)
 * }
 * const flows: unknown[] = []
 * for await (const flow of client.paginate('/v4/flows', { limit: 500 })) flows.push(flow) // Node 20 has no Array.fromAsync
 */
export async function* paginate<T = unknown>(
  client: PageSource,
  path: string,
  options: PaginateOptions = {},
): AsyncGenerator<T, void, undefined> {
  const { limit: limitOption, offset: offsetOption, onPage, query: queryOption, ...request } = options
  const [pathname, query] = splitQuery(path, queryOption)
  const limit = positiveInt(limitOption ?? query['limit'], 'limit', DEFAULT_LIMIT)
  let offset = positiveInt(offsetOption ?? query['offset'], 'offset', 0, true)
  query['includeCount'] ??= true
  let received = 0
  let previousFirst: string | undefined

  for (;;) {
    const body = await client.get(pathname, { ...request, query: { ...query, limit, offset } })
    const { data, count } = envelope(body, pathname)
    if (data.length > 0) {
      // A server that ignores `offset` would send page one forever.
      const first = JSON.stringify(data[0])
      if (offset > 0 && first === previousFirst) {
        throw new AacError(
          'UNEXPECTED_RESPONSE',
          `GET ${pathname} sent the same page for offset ${offset - data.length} and ${offset}: it does not seem to page with limit/offset, so it cannot be paginated. Request it once, without paginate.`,
        )
      }
      previousFirst = first
    }
    received += data.length
    onPage?.({ offset, items: data.length, received, count })
    for (const item of data) yield item as T
    offset += data.length
    // With a count, only it (or an empty page) ends the walk: a server that quietly caps the page size below
    // `limit` would otherwise cut the list short. Without one, a short page is the last.
    if (data.length === 0 || (count !== undefined ? offset >= count : data.length < limit)) return
  }
}

/** `/v4/people?limit=10` → the path and its query, merged under the explicit query (which wins). */
function splitQuery(path: string, query: Query | undefined): [string, Query] {
  const at = path.indexOf('?')
  const merged: Query = {}
  if (at >= 0) {
    for (const [key, value] of new URLSearchParams(path.slice(at + 1))) merged[key] = value
  }
  return [at >= 0 ? path.slice(0, at) : path, Object.assign(merged, query)]
}

function positiveInt(value: unknown, name: string, fallback: number, zeroOk = false): number {
  if (value === undefined) return fallback
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number) || number < (zeroOk ? 0 : 1)) {
    throw new RangeError(
      `paginate: ${name} must be an integer ${zeroOk ? '>= 0' : '>= 1'}, got ${JSON.stringify(value)}.`,
    )
  }
  return number
}

function envelope(body: unknown, path: string): { data: unknown[]; count: number | undefined } {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined
  const data = record?.['data']
  if (!Array.isArray(data)) {
    throw new AacError(
      'UNEXPECTED_RESPONSE',
      `GET ${path} did not answer a {"data": [...]} list, so it cannot be paginated: only /v4 lists page with limit and offset. Request it once, without paginate.`,
    )
  }
  const count = record?.['count']
  return { data, count: typeof count === 'number' && Number.isFinite(count) ? count : undefined }
}
