/**
 * The API client: one `request` that routes the path to the right host, adds the headers, renews the token once
 * on a 401, retries what is safe to retry, times out, and turns every failure into a typed error.
 */

import { isBrowserLike, runtimeLabel } from './internal/runtime.ts'
import { type PaginateOptions, paginate } from './paginate.ts'
import type {
  AacResponse,
  Query,
  RequestOptions,
  RequestOptionsWithoutBody,
  ResponseType,
  RetryOptions,
} from './request-options.ts'
import { baseOf, type ClientContext, performRequest, resolveUrl } from './request-pipeline.ts'
import type { TokenStorage } from './storage/types.ts'
import { createTokenManager, type TokenManagerOptions } from './token-manager.ts'
import type { AacConfig, AccessTokenSource, FetchLike, Logger } from './types.ts'
import { PACKAGE_NAME, VERSION } from './version.ts'

export type {
  AacResponse,
  Query,
  QueryValue,
  RequestOptions,
  RequestOptionsWithoutBody,
  ResponseType,
  RetryOptions,
} from './request-options.ts'

/**
 * Give either `storage` (the client then runs its own token manager on it) or `tokens` (a token manager you
 * share between clients, or any source of access tokens).
 */
export type ClientOptions = ClientBaseOptions &
  (
    | { storage: TokenStorage; tokens?: undefined; tokenOptions?: ClientTokenOptions }
    | { tokens: AccessTokenSource; storage?: undefined; tokenOptions?: undefined }
  )

/** Token-manager settings used when the client creates it from `storage`. */
export type ClientTokenOptions = Omit<TokenManagerOptions, 'storage' | 'fetch' | 'logger' | 'userAgent'>

/** What every client takes, whichever way it gets its tokens: the config, and how requests are sent. */
export interface ClientBaseOptions {
  /** The parsed aac_url.txt / client_id.txt. */
  config: AacConfig
  /** Injected fetch (a proxy-aware one, a test double); else the global fetch, looked up at each call. */
  fetch?: FetchLike | undefined
  /** Your app, put before ours in the User-Agent: `my-app/1.2`. */
  userAgent?: string | undefined
  /**
   * Per attempt, in ms. 0 or Infinity: no timeout.
   * @default 30000
   */
  timeoutMs?: number | undefined
  /** How failed requests are retried (429, 5xx, network errors, timeouts); see {@link RetryOptions}. */
  retry?: RetryOptions | undefined
  /** Receives a line per retry and per token renewal: method, path, status, wait. Never headers or tokens. */
  logger?: Logger | undefined
  /** Extra values to keep out of errors and logs (the token manager's `secrets`). */
  secrets?: (() => readonly string[]) | undefined
}

/**
 * A client for the Alteryx Cloud REST APIs, made by {@link createClient}: JSON in and out, the managed token on
 * every call, retries on 429/5xx, every failure an {@link AacError}.
 *
 * @example
 * const workspace = await client.get('/iam/v1/workspaces/current')
 * await client.post('/v4/jobGroups', { wrangledDataset: { id: 28629 } })
 */
export interface Client {
  /** The API URLs, region and project id the client sends requests with. */
  readonly config: AacConfig
  /** Where access tokens come from: the token manager built on `storage`, or the `tokens` you passed. */
  readonly tokens: AccessTokenSource
  /**
   * Sends a request and returns its decoded body (or its bytes, with `responseType`); rejects with an
   * {@link AacError} on failure.
   *
   * @example
   * const zip = await client.request<Blob>('GET', '/v4/flows/7/package', { responseType: 'blob' })
   */
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>
  /** Like `request`, keeping status and headers. */
  requestRaw<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<AacResponse<T>>
  /** `GET path`: the decoded body. `options.query` becomes the query string. */
  get<T = unknown>(path: string, options?: RequestOptionsWithoutBody): Promise<T>
  /** `POST path` with `body` (JSON unless it is a string, Blob, FormData…): the decoded answer. */
  post<T = unknown>(path: string, body?: unknown, options?: RequestOptionsWithoutBody): Promise<T>
  /** `PUT path` with `body`: the decoded answer. */
  put<T = unknown>(path: string, body?: unknown, options?: RequestOptionsWithoutBody): Promise<T>
  /** `PATCH path` with `body`: the decoded answer. */
  patch<T = unknown>(path: string, body?: unknown, options?: RequestOptionsWithoutBody): Promise<T>
  /** `DELETE path`: the decoded answer, `undefined` when the body is empty. */
  delete<T = unknown>(path: string, options?: RequestOptionsWithoutBody): Promise<T>
  /**
   * Every item of a `/v4` list (`{"data": [...], "count": N}`), fetched page by page with `limit`/`offset`.
   *
   * @example
   * for await (const person of client.paginate('/v4/people', { limit: 500 })) console.log(person)
   */
  paginate<T = unknown>(path: string, options?: PaginateOptions): AsyncGenerator<T, void, undefined>
  /** The absolute URL a path resolves to: `/v4` and `/svc-workflow` on the direct host, the rest on the gateway. */
  url(path: string, query?: Query): string
}

/**
 * Creates a client for one Alteryx Cloud setup.
 *
 * @example
 * const client = createClient({ config, tokens })
 * const workspace = await client.get<{ id: number; name: string }>('/iam/v1/workspaces/current')
 * const flows = await client.get('/v4/flows', { query: { limit: 100, includeCount: true } })
 */
export function createClient(options: ClientOptions): Client {
  const { config, logger } = options
  const tokens: AccessTokenSource =
    options.tokens ??
    createTokenManager({
      region: config.region,
      ...options.tokenOptions,
      storage: options.storage,
      ...(options.fetch && { fetch: options.fetch }),
      ...(logger && { logger }),
    })
  const ctx: ClientContext = {
    config,
    tokens,
    apiBase: baseOf(config.apiUrl, 'apiUrl'),
    directBase: baseOf(config.directUrl, 'directUrl'),
    defaultTimeoutMs: options.timeoutMs ?? 30_000,
    backoff: {
      retries: Math.max(0, options.retry?.retries ?? 3),
      baseDelayMs: options.retry?.baseDelayMs ?? 500,
      maxDelayMs: options.retry?.maxDelayMs ?? 8_000,
      maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 60_000,
    },
    // The browser owns the User-Agent (see isBrowserLike); everywhere else we name ourselves and the runtime.
    userAgent: isBrowserLike()
      ? undefined
      : `${options.userAgent ? `${options.userAgent} ` : ''}${PACKAGE_NAME}/${VERSION} (${runtimeLabel()})`,
    logger,
    fetch: options.fetch,
    secrets: () => [...(options.secrets?.() ?? []), ...(tokens.secrets?.() ?? [])],
  }
  const requestRaw = async <T>(method: string, path: string, requestOptions?: RequestOptions) => {
    checkResponseType(requestOptions?.responseType)
    return performRequest<T>(ctx, method, path, requestOptions)
  }
  const request = async <T>(method: string, path: string, requestOptions?: RequestOptions) =>
    (await requestRaw<T>(method, path, requestOptions)).data
  const withBody = (body: unknown, rest: RequestOptionsWithoutBody | undefined): RequestOptions =>
    body === undefined ? { ...rest } : { ...rest, body }

  return {
    config,
    tokens,
    request,
    requestRaw,
    get: (path, requestOptions) => request('GET', path, requestOptions),
    post: (path, body, requestOptions) => request('POST', path, withBody(body, requestOptions)),
    put: (path, body, requestOptions) => request('PUT', path, withBody(body, requestOptions)),
    patch: (path, body, requestOptions) => request('PATCH', path, withBody(body, requestOptions)),
    delete: (path, requestOptions) => request('DELETE', path, requestOptions),
    paginate: (path, paginateOptions) =>
      paginate({ get: (p, o) => request('GET', p, o), retry: ctx.backoff }, path, paginateOptions),
    url: (path, query) => resolveUrl(ctx, path, query).href,
  }
}

const RESPONSE_TYPES: ReadonlySet<string> = new Set<ResponseType>([
  'auto',
  'text',
  'arrayBuffer',
  'blob',
  'stream',
])

/** Before anything is sent: a misspelt responseType found after a POST went out would be too late. */
function checkResponseType(responseType: unknown): void {
  if (responseType === undefined || RESPONSE_TYPES.has(responseType as string)) return
  throw new TypeError(
    `responseType must be 'auto', 'text', 'arrayBuffer', 'blob' or 'stream', got ${JSON.stringify(responseType)}.`,
  )
}
