/**
 * Walking a `/v4` list. The API pages with `limit` and `offset` and wraps each page as `{"data": [...],
 * "count": N}` (`count` only with `includeCount=true`); there are no cursors. Once the first page has told the
 * count, the other pages can be asked for a few at a time (`concurrency`); they are still yielded in order.
 */

import { AacError, isAacError } from './errors.ts'
import { anySignal, sleep } from './internal/abort.ts'
import type { Query, RequestOptionsWithoutBody, RetryOptions } from './request-options.ts'
import { API_REQUESTS, type Backoff, mayRetry, type RetryableFailure, retryDelay } from './retry-policy.ts'

/**
 * Options of {@link paginate} and `client.paginate`: the page size and start, how many pages at once, a
 * progress callback, and any request option.
 *
 * @example
 * client.paginate('/v4/people', { limit: 500, onPage: ({ received, count }) => console.error(received, count) })
 */
export interface PaginateOptions extends Omit<RequestOptionsWithoutBody, 'responseType'> {
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
  /**
   * Pages requested at once after the first, when the first page says how long the list is (`count`). Items
   * still come in the list's order, and at most this many pages are held in memory. A 429 on any page pauses
   * every page for the server's `x-retry-after` / `Retry-After`, then that page is asked again. `1` walks the
   * list one page after another. The default is 4, like the few connections a browser opens per host: it cuts a
   * long walk to about a quarter of the time without sending more requests than the sequential walk, and the
   * shared pause keeps it polite when the API says to slow down.
   * @default 4
   */
  concurrency?: number | undefined
  /** Called after each page, in the list's order, for progress: how many items so far, and the total when the API says. */
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

/** What `paginate` needs of a client: its `get`, and its retry settings for pages fetched concurrently. */
export interface PageSource {
  /** Fetches one page: `client.get` with the page's `limit` and `offset` in the query. */
  get<T = unknown>(path: string, options?: RequestOptionsWithoutBody): Promise<T>
  /**
   * How the client retries: concurrent pages are sent with `retry: false` and retried by `paginate` itself,
   * so that a 429 pauses them all. Defaults to the client's defaults.
   */
  retry?: RetryOptions | undefined
}

const DEFAULT_LIMIT = 100
const DEFAULT_CONCURRENCY = 4

interface Page {
  offset: number
  data: unknown[]
  count: number | undefined
}

/**
 * Yields every item of a `/v4` list. It stops when a page is shorter than the limit, when the offset reaches
 * `count`, or on an empty page. `includeCount=true` is sent unless the query sets it, so the walk can stop
 * without asking for an empty last page, progress can show the total, and the pages after the first can be
 * requested `concurrency` at a time.
 *
 * @example
 * for await (const person of client.paginate<{ id: number; email: string }>('/v4/people')) {
 *   console.log(person.email)
 * }
 * const flows: unknown[] = []
 * for await (const flow of client.paginate('/v4/flows', { limit: 500 })) flows.push(flow) // Node 20 has no Array.fromAsync
 * // One page after another:
 * for await (const job of client.paginate('/v4/jobGroups', { concurrency: 1 })) console.log(job)
 */
export async function* paginate<T = unknown>(
  client: PageSource,
  path: string,
  options: PaginateOptions = {},
): AsyncGenerator<T, void, undefined> {
  const {
    limit: limitOption,
    offset: offsetOption,
    concurrency: concurrencyOption,
    onPage,
    query: queryOption,
    ...request
  } = options
  const [pathname, query] = splitQuery(path, queryOption)
  const limit = positiveInt(limitOption ?? query['limit'], 'limit', DEFAULT_LIMIT)
  let offset = positiveInt(offsetOption ?? query['offset'], 'offset', 0, true)
  const concurrency = positiveInt(concurrencyOption, 'concurrency', DEFAULT_CONCURRENCY)
  query['includeCount'] ??= true
  const walk = { received: 0, previousFirst: undefined as string | undefined }

  /** Checks a page, reports it, and says whether the walk goes on after it. */
  const accept = (page: Page, size: number): void => {
    const { data } = page
    if (data.length > 0) {
      // A server that ignores `offset` would send page one forever.
      const first = JSON.stringify(data[0])
      if (page.offset > 0 && first === walk.previousFirst) {
        throw new AacError(
          'UNEXPECTED_RESPONSE',
          `GET ${pathname} sent the same page for offset ${page.offset - size} and ${page.offset}: it does not seem to page with limit/offset, so it cannot be paginated. Request it once, without paginate.`,
        )
      }
      walk.previousFirst = first
    }
    walk.received += data.length
    onPage?.({ offset: page.offset, items: data.length, received: walk.received, count: page.count })
  }

  let concurrentDone = false
  for (;;) {
    const body = await client.get(pathname, { ...request, query: { ...query, limit, offset } })
    const page = { offset, ...envelope(body, pathname) }
    const { data, count } = page
    accept(page, data.length)
    for (const item of data) yield item as T
    offset += data.length
    // With a count, only it (or an empty page) ends the walk: a server that quietly caps the page size below
    // `limit` would otherwise cut the list short. Without one, a short page is the last.
    if (data.length === 0 || (count !== undefined ? offset >= count : data.length < limit)) return
    if (count === undefined || concurrency === 1 || concurrentDone) continue
    // The first page's length is the page size the server really uses (it may cap `limit`).
    const size = data.length
    const pages = concurrentPages(
      client,
      pathname,
      { ...request, query },
      { offset, size, count, concurrency },
    )
    for await (const next of pages) {
      accept(next, size)
      for (const item of next.data) yield item as T
      offset = next.offset + size
      if (next.count !== undefined) page.count = next.count
    }
    // The plan covered the count the first page gave; a list that grew meanwhile is finished page by page.
    concurrentDone = true
    if (page.count === undefined || offset >= page.count) return
  }
}

interface Plan {
  /** The first offset to fetch. */
  offset: number
  /** Items per page. */
  size: number
  /** The list's length, as the first page said. */
  count: number
  concurrency: number
}

/**
 * The pages from `plan.offset` to `plan.count`, up to `plan.concurrency` in flight, yielded in order. Pages are
 * sent with the client's retries off and retried here: a 429 on one pauses them all (see {@link PauseGate}).
 */
async function* concurrentPages(
  client: PageSource,
  pathname: string,
  request: RequestOptionsWithoutBody & { query: Query },
  plan: Plan,
): AsyncGenerator<Page, void, undefined> {
  const backoff = backoffOf(client.retry)
  const retries = request.retry === false ? 0 : backoff.retries
  // Stops the pages still in flight when the caller stops early or a page fails.
  const stop = new AbortController()
  const signal = request.signal ? anySignal([request.signal, stop.signal]) : stop.signal
  const gate = new PauseGate()
  const inFlight: Array<Promise<Page>> = []
  let next = plan.offset

  const fetchPage = async (offset: number): Promise<Page> => {
    for (let retried = 0; ; ) {
      await gate.wait(signal)
      try {
        const query = { ...request.query, limit: plan.size, offset }
        const body = await client.get(pathname, { ...request, signal, retry: false, query })
        return { offset, ...envelope(body, pathname) }
      } catch (error) {
        const outcome = retryOutcome(error)
        if (!outcome || signal.aborted || !mayRetry(API_REQUESTS, outcome, retried, { retries })) throw error
        const headers = (error as { response?: Response }).response?.headers
        const waitMs = retryDelay(retried++, headers, backoff)
        // A rate limit is the account's, not this page's: every page waits.
        if ('status' in outcome && outcome.status === 429) gate.pause(waitMs)
        else await sleep(waitMs, signal)
      }
    }
  }

  try {
    for (;;) {
      while (inFlight.length < plan.concurrency && next < plan.count) {
        const page = fetchPage(next)
        // Handled when its turn comes; until then a failure must not count as unhandled.
        page.catch(() => undefined)
        inFlight.push(page)
        next += plan.size
      }
      const head = inFlight.shift()
      if (!head) return
      yield await head
    }
  } finally {
    stop.abort()
  }
}

/** Sends wait here while a 429's pause lasts; a later 429 can only lengthen it. */
class PauseGate {
  #until = 0

  pause(ms: number): void {
    this.#until = Math.max(this.#until, Date.now() + ms)
  }

  async wait(signal: AbortSignal): Promise<void> {
    for (let left = this.#until - Date.now(); left > 0; left = this.#until - Date.now()) {
      await sleep(left, signal)
    }
  }
}

/** The transient failures the client itself would retry, in the terms of retry-policy.ts. */
function retryOutcome(error: unknown): { status: number } | { failure: RetryableFailure } | undefined {
  if (!isAacError(error)) return undefined
  if (error.code === 'NETWORK_ERROR') return { failure: 'network' }
  if (error.code === 'TIMEOUT') return { failure: 'timeout' }
  const status = (error as { status?: unknown }).status
  return typeof status === 'number' ? { status } : undefined
}

/** The client's defaults (see `RetryOptions`), for a source that does not say. */
function backoffOf(retry: RetryOptions | undefined): Backoff {
  return {
    retries: Math.max(0, retry?.retries ?? 3),
    baseDelayMs: retry?.baseDelayMs ?? 500,
    maxDelayMs: retry?.maxDelayMs ?? 8_000,
    maxRetryAfterMs: retry?.maxRetryAfterMs ?? 60_000,
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
