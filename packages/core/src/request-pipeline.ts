/**
 * One API request in its stages, as the client runs it: prepare (route the path, encode the body), attempt
 * (send once, with a per-attempt timeout), classify (what the answer or the failure means), renew the token
 * once on a 401 that blames it, and send again what the API_REQUESTS rule of retry-policy.ts allows.
 */

import { AacError, ConfigError, NetworkError } from './errors.ts'
import { createApiError, gatewayErrorCode, REQUEST_ID_HEADER } from './http/api-error.ts'
import { readResponseBody } from './http/body.ts'
import { describeFetchFailure } from './http/fetch-failure.ts'
import { attemptSignal, sleep } from './internal/abort.ts'
import { parseUrl } from './internal/url.ts'
import { redactPath } from './redact.ts'
import { isDirectHostPath } from './regions.ts'
import type { AacResponse, Query, RequestOptions } from './request-options.ts'
import { API_REQUESTS, type Backoff, discardBody, mayRetry, retryDelay } from './retry-policy.ts'
import type { AacConfig, AccessTokenSource, FetchLike, Logger } from './types.ts'

/** What every request of one client shares. */
export interface ClientContext {
  readonly config: AacConfig
  readonly tokens: AccessTokenSource
  readonly apiBase: URL
  readonly directBase: URL
  readonly defaultTimeoutMs: number
  readonly backoff: Backoff
  readonly userAgent: string | undefined
  readonly logger: Logger | undefined
  readonly fetch: FetchLike | undefined
  /** Known secrets (the caller's and the token manager's), for redaction by value. */
  readonly secrets: () => readonly string[]
}

const IDEMPOTENT = /^(?:GET|HEAD|OPTIONS|PUT|DELETE)$/
const ABSOLUTE = /^[a-z][a-z\d+.-]*:\/\//i

/** A request made ready to send. */
interface Prepared {
  readonly verb: string
  readonly url: URL
  readonly encoded: EncodedBody
  readonly options: RequestOptions
  readonly timeoutMs: number
  readonly mayRetry: boolean
  /** The access tokens this request used, for redaction. */
  readonly used: string[]
}

/** Sends `method path` and returns the decoded answer; every failure is an AacError that says what to do. */
export async function performRequest<T>(
  ctx: ClientContext,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<AacResponse<T>> {
  const req = prepare(ctx, method, path, options)
  const { signal } = options
  if (signal?.aborted) throw callerAbort(ctx, req)
  let token = await ctx.tokens.getAccessToken(signal)
  req.used.push(token)
  let renewed = false
  let retried = 0
  for (let sent = 1; ; sent++) {
    const canRetry = req.mayRetry && retried < ctx.backoff.retries
    const result = await attempt(ctx, req, token, canRetry, sent)
    if (result.kind === 'failure') {
      const { error } = result
      // Only our own NETWORK_ERROR and TIMEOUT are transient: TLS_ERROR, ABORTED and a caller's reason are not.
      const code = error instanceof AacError ? error.code : undefined
      const failure = code === 'NETWORK_ERROR' ? 'network' : code === 'TIMEOUT' ? 'timeout' : undefined
      if (!canRetry || !failure || !mayRetry(API_REQUESTS, { failure }, retried, ctx.backoff)) throw error
      await wait(ctx, req, retryDelay(retried++, undefined, ctx.backoff), retried, { error: code })
      continue
    }
    const { response, body } = result
    const status = response.status
    const context = {
      method: req.verb,
      url: req.url,
      config: ctx.config,
      secrets: secretsOf(ctx, req),
      attempts: sent,
      renewed,
    }
    // Only a token problem is worth a renewal: the gateway's own 401s are about client_id.txt.
    if (status === 401 && !renewed && gatewayErrorCode(body) === undefined) {
      renewed = true
      token = await renewOn401(ctx, req, token)
      // A stream was consumed by the first attempt: the caller has to send again, with the renewed token.
      if (req.encoded.stream) throw createApiError(response, body, { ...context, renewed: false })
      continue
    }
    if (canRetry && mayRetry(API_REQUESTS, { status }, retried, ctx.backoff)) {
      await wait(ctx, req, retryDelay(retried++, response.headers, ctx.backoff), retried, { status })
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

function prepare(ctx: ClientContext, method: string, path: string, options: RequestOptions): Prepared {
  const verb = method.toUpperCase()
  const url = resolveUrl(ctx, path, options.query)
  const encoded = encodeBody(options.body)
  if (encoded.body !== undefined && (verb === 'GET' || verb === 'HEAD')) {
    throw new AacError(
      'HTTP_ERROR',
      `${verb} requests cannot have a body: pass the values as \`query\` instead.`,
    )
  }
  return {
    verb,
    url,
    encoded,
    options,
    timeoutMs: options.timeoutMs ?? ctx.defaultTimeoutMs,
    mayRetry: !encoded.stream && (options.retry ?? IDEMPOTENT.test(verb)),
    used: [],
  }
}

type Attempt =
  | { kind: 'answer'; response: Response; body: unknown }
  | { kind: 'failure'; error: AacError | Error }

/** One send. An answer that will be retried is not read: only its status and headers matter. */
async function attempt(
  ctx: ClientContext,
  req: Prepared,
  token: string,
  canRetry: boolean,
  sent: number,
): Promise<Attempt> {
  const { signal } = req.options
  const timing = attemptSignal(req.timeoutMs, signal)
  try {
    const response = await fetchFunction(ctx)(req.url.href, buildInit(ctx, req, token, timing.signal))
    if (canRetry && API_REQUESTS.statuses.has(response.status)) {
      discardBody(response)
      return { kind: 'answer', response, body: undefined }
    }
    // An error answer is decoded whatever the caller asked: its ApiError quotes the body.
    const as = response.ok ? req.options.responseType : 'auto'
    return { kind: 'answer', response, body: await readResponseBody(response, req.verb, as) }
  } catch (error) {
    const secrets = secretsOf(ctx, req)
    const describe = { method: req.verb, attempts: sent, secrets }
    const failure = timing.timedOut()
      ? describeFetchFailure(error, req.url, { ...describe, reason: 'timeout', timeoutMs: req.timeoutMs })
      : signal?.aborted
        ? callerAbort(ctx, req)
        : describeFetchFailure(error, req.url, describe)
    return { kind: 'failure', error: failure }
  } finally {
    timing.dispose()
  }
}

/** The API rejected `token` with a 401 that blames it: one renewal, then the request is sent again. */
async function renewOn401(ctx: ClientContext, req: Prepared, token: string): Promise<string> {
  log(ctx, req, (request) => `access token rejected by ${request}: renewing it once and retrying`, {
    status: 401,
  })
  const renewed = await ctx.tokens.renewAccessToken(token, req.options.signal)
  req.used.push(renewed)
  return renewed
}

async function wait(
  ctx: ClientContext,
  req: Prepared,
  waitMs: number,
  retry: number,
  why: { status: number } | { error: string | undefined },
): Promise<void> {
  const after = 'status' in why ? why.status : why.error
  log(ctx, req, (request) => `retrying ${request} after ${after}`, { ...why, waitMs, retry })
  try {
    await sleep(waitMs, req.options.signal)
  } catch {
    throw callerAbort(ctx, req)
  }
}

/** The caller's signal fired: its own Error back, as fetch does, else ABORTED or TIMEOUT naming the request. */
function callerAbort(ctx: ClientContext, req: Prepared): Error {
  const reason: unknown = req.options.signal?.reason
  if (reason instanceof Error && reason.name !== 'AbortError' && reason.name !== 'TimeoutError') return reason
  return describeFetchFailure(reason, req.url, {
    method: req.verb,
    reason: reason instanceof Error && reason.name === 'TimeoutError' ? 'timeout' : 'abort',
    secrets: secretsOf(ctx, req),
  })
}

function secretsOf(ctx: ClientContext, req: Prepared): string[] {
  let extra: readonly string[] = []
  try {
    extra = ctx.secrets()
  } catch {
    // A failing secrets callback must not hide the real error; JWT-shaped values are still redacted.
  }
  return [...req.used, ...extra]
}

/** A line for the logger, naming the request by method and redacted path (in the line and in its details). */
function log(
  ctx: ClientContext,
  req: Prepared,
  line: (request: string) => string,
  details: Record<string, unknown>,
): void {
  if (!ctx.logger) return
  const path = redactPath(req.url, secretsOf(ctx, req))
  ctx.logger(line(`${req.verb} ${path}`), { method: req.verb, path, ...details })
}

/** The absolute URL of `path`: `/v4` and `/svc-workflow` on the direct host, the rest on the gateway. */
export function resolveUrl(ctx: ClientContext, path: string, query?: Query): URL {
  let url: URL
  if (ABSOLUTE.test(path)) {
    url = new URL(path)
    // The bearer token must never leave for a host the user did not configure.
    if (url.origin !== ctx.apiBase.origin && url.origin !== ctx.directBase.origin) {
      throw new AacError(
        'HTTP_ERROR',
        `Refusing to send the access token to ${url.origin}: absolute URLs must start with ${ctx.apiBase.origin} or ${ctx.directBase.origin}. Pass a path such as /v4/flows instead.`,
      )
    }
  } else {
    const relative = path.startsWith('/') ? path : `/${path}`
    const base = isDirectHostPath(relative) ? ctx.directBase : ctx.apiBase
    url = new URL(base.href.replace(/\/+$/, '') + relative)
  }
  for (const [key, value] of Object.entries(query ?? {})) {
    // An array repeats the key (`?id=1&id=2`); undefined leaves it out.
    if (value !== undefined) for (const item of [value].flat()) url.searchParams.append(key, String(item))
  }
  return url
}

function fetchFunction(ctx: ClientContext): FetchLike {
  if (ctx.fetch) return ctx.fetch
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

function buildInit(
  ctx: ClientContext,
  req: Prepared,
  token: string,
  signal: AbortSignal | undefined,
): RequestInit {
  const headers = new Headers({ accept: 'application/json' })
  if (req.encoded.json) headers.set('content-type', 'application/json')
  if (ctx.userAgent) headers.set('user-agent', ctx.userAgent)
  // Without a project id the gateway answers MISSING_API_KEY, which names client_id.txt: better than a blank.
  if (ctx.config.projectId) {
    headers.set('x-api-project-id', ctx.config.projectId)
    headers.set('x-client-id', ctx.config.projectId)
  }
  for (const [name, value] of Object.entries(req.options.headers ?? {})) {
    if (name.toLowerCase() !== 'authorization') headers.set(name, value)
  }
  headers.set('authorization', `Bearer ${token}`)
  const init: RequestInit & { duplex?: 'half' } = { method: req.verb, headers }
  if (signal) init.signal = signal
  if (req.encoded.body !== undefined) init.body = req.encoded.body
  // Node's fetch refuses a stream body unless told it is sent in one direction.
  if (req.encoded.stream) init.duplex = 'half'
  return init
}

interface EncodedBody {
  body: BodyInit | undefined
  json: boolean
  stream: boolean
}

/** Sent as given: what fetch takes as a body. Anything else is sent as JSON. */
function encodeBody(body: unknown): EncodedBody {
  const stream = isInstance(body, 'ReadableStream')
  const raw =
    body === undefined ||
    stream ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    ['Blob', 'URLSearchParams', 'FormData'].some((type) => isInstance(body, type))
  if (raw) return { body: body as BodyInit | undefined, json: false, stream }
  return { body: JSON.stringify(body), json: true, stream: false }
}

/** `value instanceof globalThis[type]`, false where the runtime lacks that class. */
function isInstance(value: unknown, type: string): boolean {
  const Class = (globalThis as Record<string, unknown>)[type]
  return typeof Class === 'function' && value instanceof Class
}

/** The gateway or direct base URL, which must be http(s). */
export function baseOf(value: string, option: 'apiUrl' | 'directUrl'): URL {
  const url = parseUrl(value)
  if (url?.protocol === 'https:' || url?.protocol === 'http:') return url
  throw new ConfigError(
    'CONFIG_INVALID',
    'aac_url.txt',
    `config.${option} is not an http(s) URL. aac_url.txt must hold the API URL of your region, like https://api.us1.alteryxcloud.com.`,
  )
}
