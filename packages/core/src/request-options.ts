/**
 * What a request takes and gives back, apart from the client itself: `paginate.ts` and the endpoints use these
 * without importing the client (which imports them).
 */

/** A query parameter: `undefined` is left out, an array repeats the key (`?id=1&id=2`). */
export type QueryValue = string | number | boolean | undefined | ReadonlyArray<string | number | boolean>

/** Query parameters of a request, by name; see {@link QueryValue} for how each value is sent. */
export type Query = Record<string, QueryValue>

/**
 * How a client retries 429, 5xx, network errors and timeouts: the number of retries and the backoff.
 *
 * @example
 * createClient({ config, storage, retry: { retries: 5, maxDelayMs: 30_000 } })
 */
export interface RetryOptions {
  /**
   * Retries after the first attempt.
   * @default 3
   */
  retries?: number | undefined
  /**
   * First step of the full-jitter exponential backoff, in ms.
   * @default 500
   */
  baseDelayMs?: number | undefined
  /**
   * Largest backoff step, in ms.
   * @default 8000
   */
  maxDelayMs?: number | undefined
  /**
   * Longest wait honoured from `x-retry-after` / `Retry-After`, in ms.
   * @default 60000
   */
  maxRetryAfterMs?: number | undefined
}

/**
 * Options of one request: query, body, headers, abort signal, timeout, and whether it may be retried.
 *
 * @example
 * await client.request('GET', '/v4/people', { query: { limit: 10 }, timeoutMs: 5_000, signal })
 */
export interface RequestOptions {
  /** Query parameters, added to any already in the path (see {@link QueryValue}). */
  query?: Query | undefined
  /**
   * Sent as JSON unless it is a string, Blob, ArrayBuffer (or view), URLSearchParams, FormData or
   * ReadableStream, which go as they are. A ReadableStream can be sent once only, so it disables retries.
   */
  body?: unknown | undefined
  /** Extra headers; they override ours, except Authorization, which is always the managed token. */
  headers?: Record<string, string> | undefined
  /** Stops the request, its retries and any wait for the token lock: it rejects as `ABORTED` (or with the signal's Error). */
  signal?: AbortSignal | undefined
  /** Per attempt, in ms; overrides the client's. */
  timeoutMs?: number | undefined
  /**
   * Whether 429, 5xx, network errors and timeouts may be retried. Default: only for idempotent methods
   * (GET, HEAD, OPTIONS, PUT, DELETE). The single retry after a 401 token renewal happens either way.
   */
  retry?: boolean | undefined
  /**
   * How the body of a successful answer is returned. `'auto'` (the default) decodes it: JSON when it is JSON,
   * text otherwise, `undefined` when empty. The others keep every byte: `'arrayBuffer'`, `'blob'`, `'text'`
   * (UTF-8), or `'stream'`, the body's `ReadableStream` unread (the timeout then covers the answer's arrival, not
   * the reading; `signal` still stops it). An error answer is always decoded, into its `ApiError`.
   *
   * @example
   * const zip = await client.get<ArrayBuffer>('/v4/flows/7/package', { responseType: 'arrayBuffer' })
   * const { data } = await client.requestRaw<ReadableStream<Uint8Array>>('GET', path, { responseType: 'stream' })
   * @default 'auto'
   */
  responseType?: ResponseType | undefined
}

/**
 * What a successful answer's body becomes; see {@link RequestOptions.responseType}.
 *
 * @example
 * const type: ResponseType = 'blob'
 * const file = await client.get<Blob>('/v4/flows/7/package', { responseType: type })
 */
export type ResponseType = 'auto' | 'text' | 'arrayBuffer' | 'blob' | 'stream'

/** Options of `post`, `put` and `patch`, whose body is their second argument. */
export type RequestOptionsWithoutBody = Omit<RequestOptions, 'body'>

/** A response with its status and headers kept (for a CLI's `--include`). */
export interface AacResponse<T> {
  /** The HTTP status. */
  status: number
  /** The response headers. */
  headers: Headers
  /** Parsed JSON, text, or `undefined` for an empty body; or what `responseType` asked for. */
  data: T
  /** `x-trifacta-request-id`. */
  requestId: string | undefined
}
