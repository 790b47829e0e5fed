/**
 * The API client: one `request` that routes the path to the right host, adds the headers, renews the token once
 * on a 401, retries what is safe to retry, times out, and turns every failure into a typed error.
 */

import { AacError, ConfigError, NetworkError } from './errors.ts'
import {
  createApiError,
  describeFetchFailure,
  gatewayErrorCode,
  parseRetryAfter,
  REQUEST_ID_HEADER,
  readResponseBody,
} from './internal/http-errors.ts'
import { redactText } from './internal/redact.ts'
import { isBrowserLike, runtimeLabel } from './internal/runtime.ts'
import { backoffDelay, sleep } from './internal/sleep.ts'
import { type PaginateOptions, paginate } from './paginate.ts'
import { isDirectHostPath } from './regions.ts'
import type { TokenStorage } from './storage/types.ts'
import { createTokenManager, type TokenManagerOptions } from './token-manager.ts'
import type { AacConfig, AccessTokenSource, FetchLike, Logger } from './types.ts'
import { PACKAGE_NAME, VERSION } from './version.ts'

/** A query parameter: `undefined` is left out, an array repeats the key (`?id=1&id=2`). */
export type QueryValue = string | number | boolean | undefined | ReadonlyArray<string | number | boolean>

export type Query = Record<string, QueryValue>

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number
  /** First step of the full-jitter exponential backoff (default 500 ms). */
  baseDelayMs?: number
  /** Largest backoff step (default 8 s). */
  maxDelayMs?: number
  /** Longest wait honoured from `x-retry-after` / `Retry-After` (default 60 s). */
  maxRetryAfterMs?: number
}

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

export interface ClientBaseOptions {
  /** The parsed aac_url.txt / client_id.txt. */
  config: AacConfig
  /** Injected fetch (a proxy-aware one, a test double); else the global fetch, looked up at each call. */
  fetch?: FetchLike
  /** Your app, put before ours in the User-Agent: `my-app/1.2`. */
  userAgent?: string
  /** Per attempt, in ms (default 30 s). 0 or Infinity: no timeout. */
  timeoutMs?: number
  retry?: RetryOptions
  /** Receives a line per retry and per token renewal: method, path, status, wait. Never headers or tokens. */
  logger?: Logger
  /** Extra values to keep out of errors and logs (the token manager's `secrets`). */
  secrets?: () => readonly string[]
}

export interface RequestOptions {
  query?: Query
  /**
   * Sent as JSON unless it is a string, Blob, ArrayBuffer (or view), URLSearchParams, FormData or
   * ReadableStream, which go as they are. A ReadableStream can be sent once only, so it disables retries.
   */
  body?: unknown
  /** Extra headers; they override ours, except Authorization, which is always the managed token. */
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Per attempt, in ms; overrides the client's. */
  timeoutMs?: number
  /**
   * Whether 429, 5xx, network errors and timeouts may be retried. Default: only for idempotent methods
   * (GET, HEAD, OPTIONS, PUT, DELETE). The single retry after a 401 token renewal happens either way.
   */
  retry?: boolean
}

/** Options of `post`, `put` and `patch`, whose body is their second argument. */
export type RequestOptionsWithoutBody = Omit<RequestOptions, 'body'>

/** A response with its status and headers kept (for a CLI's `--include`). */
export interface AacResponse<T> {
  status: number
  headers: Headers
  /** Parsed JSON, text, or `undefined` for an empty body. */
  data: T
  /** `x-trifacta-request-id`. */
  requestId: string | undefined
}

export interface Client {
  readonly config: AacConfig
  /** Where access tokens come from: the token manager built on `storage`, or the `tokens` you passed. */
  readonly tokens: AccessTokenSource
  /** Sends a request and returns its decoded body; rejects with an {@link AacError} on failure. */
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>
  /** Like `request`, keeping status and headers. */
  requestRaw<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<AacResponse<T>>
  get<T = unknown>(path: string, options?: RequestOptionsWithoutBody): Promise<T>
  post<T = unknown>(path: string, body?: unknown, options?: RequestOptionsWithoutBody): Promise<T>
  put<T = unknown>(path: string, body?: unknown, options?: RequestOptionsWithoutBody): Promise<T>
  patch<T = unknown>(path: string, body?: unknown, options?: RequestOptionsWithoutBody): Promise<T>
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

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504])
const ABSOLUTE = /^[a-z][a-z\d+.-]*:\/\//i

interface EncodedBody {
  body: BodyInit | undefined
  json: boolean
  stream: boolean
}

function encodeBody(body: unknown): EncodedBody {
  if (body === undefined) return { body: undefined, json: false, stream: false }
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) {
    return { body, json: false, stream: true }
  }
  const raw =
    typeof body === 'string' ||
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) ||
    (typeof FormData !== 'undefined' && body instanceof FormData)
  if (raw) return { body: body as BodyInit, json: false, stream: false }
  return { body: JSON.stringify(body), json: true, stream: false }
}

function baseOf(value: string, option: 'apiUrl' | 'directUrl'): URL {
  try {
    const url = new URL(value)
    if (url.protocol === 'https:' || url.protocol === 'http:') return url
  } catch {
    // reported below
  }
  throw new ConfigError(
    'CONFIG_INVALID',
    'aac_url.txt',
    `config.${option} is not an http(s) URL. aac_url.txt must hold the API URL of your region, like https://api.us1.alteryxcloud.com.`,
  )
}

function appendQuery(url: URL, query: Query | undefined): void {
  if (!query) return
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (Array.isArray(value)) {
      for (const item of value as ReadonlyArray<string | number | boolean>)
        url.searchParams.append(key, String(item))
    } else {
      url.searchParams.append(key, String(value))
    }
  }
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
  const tokenSecrets =
    'secrets' in tokens && typeof tokens.secrets === 'function' ? tokens.secrets.bind(tokens) : undefined
  const apiBase = baseOf(config.apiUrl, 'apiUrl')
  const directBase = baseOf(config.directUrl, 'directUrl')
  const defaultTimeoutMs = options.timeoutMs ?? 30_000
  const retries = Math.max(0, options.retry?.retries ?? 3)
  const baseDelayMs = options.retry?.baseDelayMs ?? 500
  const maxDelayMs = options.retry?.maxDelayMs ?? 8_000
  const maxRetryAfterMs = options.retry?.maxRetryAfterMs ?? 60_000
  // The browser owns the User-Agent (see isBrowserLike); everywhere else we name ourselves and the runtime.
  const userAgent = isBrowserLike()
    ? undefined
    : `${options.userAgent ? `${options.userAgent} ` : ''}${PACKAGE_NAME}/${VERSION} (${runtimeLabel()})`

  function resolve(path: string, query?: Query): URL {
    let url: URL
    if (ABSOLUTE.test(path)) {
      url = new URL(path)
      // The bearer token must never leave for a host the user did not configure.
      if (url.origin !== apiBase.origin && url.origin !== directBase.origin) {
        throw new AacError(
          'HTTP_ERROR',
          `Refusing to send the access token to ${url.origin}: absolute URLs must start with ${apiBase.origin} or ${directBase.origin}. Pass a path such as /v4/flows instead.`,
        )
      }
    } else {
      const relative = path.startsWith('/') ? path : `/${path}`
      const base = isDirectHostPath(relative) ? directBase : apiBase
      url = new URL(base.href.replace(/\/+$/, '') + relative)
    }
    appendQuery(url, query)
    return url
  }

  function fetchFunction(): FetchLike {
    if (options.fetch) return options.fetch
    // Looked up now, not at createClient, so msw and other patches of the global apply.
    const global = (globalThis as { fetch?: FetchLike }).fetch
    if (typeof global !== 'function') {
      throw new NetworkError(
        'NETWORK_ERROR',
        'This runtime has no global fetch: pass one to createClient({ config, tokens, fetch }).',
      )
    }
    // Browsers throw "Illegal invocation" when fetch is called detached from the global object.
    return (input, init) => global.call(globalThis, input, init)
  }

  function secretsWith(used: readonly string[]): string[] {
    let extra: readonly string[] = []
    try {
      extra = [...(options.secrets?.() ?? []), ...(tokenSecrets?.() ?? [])]
    } catch {
      // A failing secrets callback must not hide the real error; JWT-shaped values are still redacted.
    }
    return [...used, ...extra]
  }

  async function requestRaw<T>(
    method: string,
    path: string,
    requestOptions: RequestOptions = {},
  ): Promise<AacResponse<T>> {
    const verb = method.toUpperCase()
    const signal = requestOptions.signal
    const url = resolve(path, requestOptions.query)
    const encoded = encodeBody(requestOptions.body)
    if (encoded.body !== undefined && (verb === 'GET' || verb === 'HEAD')) {
      throw new AacError(
        'HTTP_ERROR',
        `${verb} requests cannot have a body: pass the values as \`query\` instead.`,
      )
    }
    const doFetch = fetchFunction()
    const timeoutMs = requestOptions.timeoutMs ?? defaultTimeoutMs
    const mayRetry = !encoded.stream && (requestOptions.retry ?? IDEMPOTENT.has(verb))
    const used: string[] = []
    const shownPath = () => redactText(url.pathname + url.search, secretsWith(used))

    const callerAbort = (): Error => {
      const reason: unknown = signal?.reason
      // A reason of the caller's own making is theirs to get back, as fetch does.
      if (reason instanceof Error && reason.name !== 'AbortError' && reason.name !== 'TimeoutError')
        return reason
      return describeFetchFailure(reason, url, {
        method: verb,
        reason: reason instanceof Error && reason.name === 'TimeoutError' ? 'timeout' : 'abort',
        secrets: secretsWith(used),
      })
    }
    const pause = async (ms: number) => {
      try {
        await sleep(ms, signal)
      } catch {
        throw callerAbort()
      }
    }

    if (signal?.aborted) throw callerAbort()
    let token = await tokens.getAccessToken(signal)
    used.push(token)
    let renewed = false
    let sent = 0
    let retried = 0

    for (;;) {
      sent++
      const canRetry = mayRetry && retried < retries
      const attempt = attemptSignal(timeoutMs, signal)
      let response: Response
      let body: unknown
      try {
        response = await doFetch(
          url.href,
          buildInit(verb, token, encoded, requestOptions.headers, attempt.signal),
        )
        if (canRetry && RETRY_STATUSES.has(response.status)) {
          // Only status and headers matter; an unread body would hold the connection. Not awaited: a cancel
          // may never settle (msw 2.15's mocked bodies don't), and nothing depends on it.
          void response.body?.cancel().catch(() => undefined)
        } else {
          body = await readResponseBody(response, verb)
        }
      } catch (error) {
        const secrets = secretsWith(used)
        const failure = attempt.timedOut()
          ? describeFetchFailure(error, url, {
              method: verb,
              reason: 'timeout',
              timeoutMs,
              attempts: sent,
              secrets,
            })
          : signal?.aborted
            ? callerAbort()
            : describeFetchFailure(error, url, { method: verb, attempts: sent, secrets })
        const retryable =
          failure instanceof AacError && (failure.code === 'NETWORK_ERROR' || failure.code === 'TIMEOUT')
        if (!retryable || !canRetry) throw failure
        const waitMs = backoffDelay(retried, baseDelayMs, maxDelayMs)
        retried++
        logger?.(`retrying ${verb} ${shownPath()} after ${failure.code}`, {
          method: verb,
          path: shownPath(),
          error: failure.code,
          waitMs,
          retry: retried,
        })
        await pause(waitMs)
        continue
      } finally {
        attempt.dispose()
      }

      const status = response.status
      const context = { method: verb, url, config, secrets: secretsWith(used), attempts: sent, renewed }
      if (status === 401 && !renewed && gatewayErrorCode(body) === undefined) {
        // Only a token problem is worth a renewal: the gateway's own 401s are about client_id.txt.
        renewed = true
        logger?.(`access token rejected by ${verb} ${shownPath()}: renewing it once and retrying`, {
          method: verb,
          path: shownPath(),
          status,
        })
        token = await tokens.renewAccessToken(token, signal)
        used.push(token)
        // A stream was consumed by the first attempt: the caller has to send again, with the renewed token.
        if (encoded.stream) throw createApiError(response, body, { ...context, renewed: false })
        continue
      }
      if (canRetry && RETRY_STATUSES.has(status)) {
        const hinted = parseRetryAfter(response.headers)
        const waitMs =
          hinted !== undefined
            ? Math.min(hinted, maxRetryAfterMs)
            : backoffDelay(retried, baseDelayMs, maxDelayMs)
        retried++
        logger?.(`retrying ${verb} ${shownPath()} after ${status}`, {
          method: verb,
          path: shownPath(),
          status,
          waitMs,
          retry: retried,
        })
        await pause(waitMs)
        continue
      }
      if (!response.ok) throw createApiError(response, body, context)
      return {
        status,
        headers: response.headers,
        data: body as T,
        requestId: response.headers.get(REQUEST_ID_HEADER) ?? undefined,
      }
    }
  }

  function buildInit(
    verb: string,
    token: string,
    encoded: EncodedBody,
    extra: Record<string, string> | undefined,
    signal: AbortSignal | undefined,
  ): RequestInit {
    const headers = new Headers({ accept: 'application/json' })
    if (encoded.json) headers.set('content-type', 'application/json')
    if (userAgent) headers.set('user-agent', userAgent)
    // Without a project id the gateway answers MISSING_API_KEY, which names client_id.txt: better than a blank.
    if (config.projectId) {
      headers.set('x-api-project-id', config.projectId)
      headers.set('x-client-id', config.projectId)
    }
    for (const [name, value] of Object.entries(extra ?? {})) {
      if (name.toLowerCase() !== 'authorization') headers.set(name, value)
    }
    headers.set('authorization', `Bearer ${token}`)
    const init: RequestInit & { duplex?: 'half' } = { method: verb, headers }
    if (signal) init.signal = signal
    if (encoded.body !== undefined) init.body = encoded.body
    // Node's fetch refuses a stream body unless told it is sent in one direction.
    if (encoded.stream) init.duplex = 'half'
    return init
  }

  async function request<T>(method: string, path: string, requestOptions?: RequestOptions): Promise<T> {
    return (await requestRaw<T>(method, path, requestOptions)).data
  }

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
      paginate({ get: (p, o) => request('GET', p, o) }, path, paginateOptions),
    url: (path, query) => resolve(path, query).href,
  }
}

interface AttemptSignal {
  signal: AbortSignal | undefined
  /** True when this attempt's own timeout fired (as opposed to the caller's signal). */
  timedOut(): boolean
  dispose(): void
}

/** The caller's signal combined with a per-attempt timeout, with a fallback where AbortSignal.any is missing. */
function attemptSignal(timeoutMs: number, caller: AbortSignal | undefined): AttemptSignal {
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    return { signal: caller, timedOut: () => false, dispose: () => undefined }
  }
  if (typeof AbortSignal.timeout === 'function' && typeof AbortSignal.any === 'function') {
    const timeout = AbortSignal.timeout(timeoutMs)
    return {
      signal: caller ? AbortSignal.any([caller, timeout]) : timeout,
      timedOut: () => timeout.aborted,
      dispose: () => undefined,
    }
  }
  const controller = new AbortController()
  let fired = false
  const timer = setTimeout(() => {
    fired = true
    controller.abort(new DOMException('The request timed out.', 'TimeoutError'))
  }, timeoutMs)
  const onAbort = () => controller.abort(caller?.reason)
  if (caller?.aborted) onAbort()
  else caller?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    timedOut: () => fired,
    dispose: () => {
      clearTimeout(timer)
      caller?.removeEventListener('abort', onAbort)
    },
  }
}
