/**
 * Turns what came back from `fetch` (an error status, or a rejection) into the typed errors of errors.ts, one
 * code per row of the error table in api-facts.md, each with a message that says what to do.
 *
 * Messages are built from our own words plus redacted snippets of the response; request headers and bodies are
 * never looked at.
 */

import { type AacErrorCode, ApiError, NetworkError, RateLimitError, TimeoutError } from '../errors.ts'
import { apiProjectsPage, apiTokensPage, isDirectHostPath } from '../regions.ts'
import type { AacConfig } from '../types.ts'
import { redactText, redactValue } from './redact.ts'
import { detectRuntime, type RuntimeInfo, tlsHint } from './runtime.ts'

/** Alteryx's request id header, worth quoting to support. */
export const REQUEST_ID_HEADER = 'x-trifacta-request-id'

/** What the error needs to know about the request that failed. */
export interface ResponseErrorContext {
  /** `GET`, `POST`… */
  method: string
  /** The URL that was requested (its origin names the host in messages). */
  url: string | URL
  /** The hosts and region in use, for ROUTE_NOT_FOUND and for the pages named in messages. */
  config?: Partial<Pick<AacConfig, 'apiUrl' | 'directUrl' | 'region'>> | undefined
  /** Values to redact besides JWT-shaped strings (the tokens of this request). */
  secrets?: readonly string[] | undefined
  /** How many times the request was sent (for "answered 503 4 times"). */
  attempts?: number | undefined
  /** The 401 came after the token had been renewed once. */
  renewed?: boolean | undefined
}

/** What {@link describeFetchFailure} may know besides the error and URL. */
export interface FetchFailureContext {
  method?: string | undefined
  /** The per-attempt timeout, named in TIMEOUT messages. */
  timeoutMs?: number | undefined
  /** Why the request's signal fired, when the caller knows better than the error's name. */
  reason?: 'timeout' | 'abort' | undefined
  /** How many times the request was sent. */
  attempts?: number | undefined
  secrets?: readonly string[] | undefined
  /** The runtime whose CA advice to give (default: the current one). */
  runtime?: RuntimeInfo | undefined
}

type JsonRecord = Record<string, unknown>

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function field(value: unknown, ...keys: string[]): unknown {
  let current = value
  for (const key of keys) {
    if (!isRecord(current)) return undefined
    current = current[key]
  }
  return current
}

/**
 * Decodes a body: JSON when the content type says so or (for untyped and text/plain bodies) when it parses,
 * `undefined` when empty, else the text. `/v4/jobGroups/{id}/status` answers a bare JSON string.
 *
 * @example
 * parseBodyText('"Complete"', 'application/json') // 'Complete'
 * parseBodyText('', 'application/json') // undefined
 */
export function parseBodyText(text: string, contentType: string | null): unknown {
  if (text === '') return undefined
  const type = (contentType ?? '').toLowerCase()
  const saysJson = /[/+]json\b/.test(type)
  const mayBeJson = type === '' || type.startsWith('text/plain')
  if (saysJson || (mayBeJson && /^\s*[[{"]/.test(text))) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

/**
 * Reads and decodes a response body (see {@link parseBodyText}); bodiless answers give `undefined`.
 *
 * @example
 * const data = await readResponseBody(await fetch(url))
 */
export async function readResponseBody(response: Response, method = 'GET'): Promise<unknown> {
  if (method.toUpperCase() === 'HEAD' || response.status === 204 || response.status === 205) return undefined
  if (response.status === 304) return undefined
  return parseBodyText(await response.text(), response.headers.get('content-type'))
}

/**
 * How long the server asks us to wait, in ms: Alteryx's `x-retry-after` (seconds) first, else the standard
 * `Retry-After` (seconds or an HTTP date). Undefined when neither is usable.
 *
 * @example
 * parseRetryAfter(new Headers({ 'x-retry-after': '2' })) // 2000
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const alteryx = headers.get('x-retry-after')?.trim()
  if (alteryx && /^\d+(\.\d+)?$/.test(alteryx)) return Math.round(Number(alteryx) * 1000)
  const standard = headers.get('retry-after')?.trim()
  if (!standard) return undefined
  if (/^\d+(\.\d+)?$/.test(standard)) return Math.round(Number(standard) * 1000)
  const date = Date.parse(standard)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * The Apigee gateway's own error code (`oauth.v2.InvalidApiKey`…), present when the gateway rejected the
 * request before it reached Alteryx: those 401s are about the API project id, not the token.
 *
 * @example
 * gatewayErrorCode({ fault: { detail: { errorcode: 'oauth.v2.InvalidApiKey' } } }) // 'oauth.v2.InvalidApiKey'
 */
export function gatewayErrorCode(body: unknown): string | undefined {
  const code = field(body, 'fault', 'detail', 'errorcode')
  return typeof code === 'string' ? code : undefined
}

/** The API's own explanation, from whichever of its error shapes the body has. */
function apiMessage(body: unknown): string | undefined {
  let text: string | undefined
  if (typeof body === 'string') {
    // An HTML error page from a load balancer says little beyond its status: keep its text short.
    text = body
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  } else if (isRecord(body)) {
    const exception = body['exception']
    const candidates = [
      field(exception, 'message'),
      body['msg'],
      body['message'],
      body['error_description'],
      body['error'],
      field(body, 'fault', 'faultstring'),
      body['detail'],
      body['title'],
    ]
    text = candidates.find((c): c is string => typeof c === 'string' && c.trim() !== '')
    const details = field(exception, 'details')
    if (text && typeof details === 'string' && details.trim() !== '' && details !== text)
      text += ` (${details})`
  }
  if (!text) return undefined
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

function regionOf(context: ResponseErrorContext): string | undefined {
  return context.config?.region ?? undefined
}

function pathOf(url: URL, secrets: readonly string[]): string {
  return redactText(url.pathname + url.search, secrets)
}

function originOf(value: string | undefined): string | undefined {
  if (!value) return undefined
  try {
    return new URL(value).origin
  } catch {
    return undefined
  }
}

/**
 * Builds the typed error for an error response whose body was already read (see {@link readResponseBody}).
 *
 * @example
 * const body = await readResponseBody(response, 'GET')
 * if (!response.ok) throw createApiError(response, body, { method: 'GET', url, config })
 */
export function createApiError(response: Response, body: unknown, context: ResponseErrorContext): ApiError {
  const secrets = context.secrets ?? []
  const url = new URL(String(context.url))
  const method = context.method.toUpperCase()
  const path = pathOf(url, secrets)
  const status = response.status
  const requestId = response.headers.get(REQUEST_ID_HEADER) ?? undefined
  const redactedBody = redactValue(body, secrets)
  const said = apiMessage(redactedBody)
  const quoted = said ? ` The API said: "${said}".` : ''
  const idNote = requestId ? ` (request id ${requestId})` : ''
  const what = `${method} ${path} → ${status}${idNote}.`
  const region = regionOf(context)
  const details = {
    status,
    method,
    path,
    ...(requestId ? { requestId } : {}),
    body: redactedBody,
    response,
  }
  const fail = (code: AacErrorCode, advice: string) =>
    new ApiError(code, `${what}${quoted} ${advice}`, details)

  if (status === 401) {
    const gateway = gatewayErrorCode(body)
    if (gateway === 'oauth.v2.InvalidApiKey') {
      return fail(
        'INVALID_API_KEY',
        `The API gateway does not know the API project id sent in x-api-project-id: check client_id.txt. It must hold the Client ID of your API project, from ${apiProjectsPage(region)} (the project list, or "+ New" to create one), for the same region as aac_url.txt.`,
      )
    }
    if (gateway === 'steps.oauth.v2.FailedToResolveAPIKey') {
      return fail(
        'MISSING_API_KEY',
        `The request reached the API gateway without an x-api-project-id header: client_id.txt is empty or missing. Paste the Client ID of your API project from ${apiProjectsPage(region)} into client_id.txt.`,
      )
    }
    const rejected = context.renewed
      ? 'The access token was rejected twice, before and after renewing it once.'
      : 'The access token was rejected.'
    return fail(
      'UNAUTHORIZED',
      `${rejected} Check creds.json: the tokens must come from the same region and workspace as aac_url.txt and must not be revoked. If in doubt, generate a new pair at ${apiTokensPage(region)} and paste both tokens into creds.json.`,
    )
  }
  if (status === 403) {
    return fail(
      'FORBIDDEN',
      'Your Alteryx Cloud user lacks this permission in the workspace: ask a workspace admin to grant it, or use the tokens of a user who has it.',
    )
  }
  if (status === 404) {
    if (field(body, 'exception', 'name') === 'RouteNotFoundException') {
      const direct = originOf(context.config?.directUrl) ?? 'https://<region>.alteryxcloud.com'
      const gateway = originOf(context.config?.apiUrl) ?? 'https://api.<region>.alteryxcloud.com'
      const expected = isDirectHostPath(url.pathname) ? direct : gateway
      const hostNote =
        direct === gateway
          ? // A custom or loopback URL gives no direct host of its own: the config cannot tell us the right one.
            `Here both families go to the same host; on Alteryx Cloud, /v4 and /svc-workflow live on the host without "api." (https://<region>.alteryxcloud.com).`
          : expected === url.origin
            ? `This is the right host for the path, so check the path itself (spelling, API version).`
            : `The path may belong to the other host: ${expected}.`
      return fail(
        'ROUTE_NOT_FOUND',
        `${url.origin} has no such route. /v4 and /svc-workflow paths go to ${direct}; /iam, /plans, /scheduling and /billing paths go to ${gateway}. ${hostNote} aac_url.txt must hold the API URL (https://api.<region>.alteryxcloud.com).`,
      )
    }
    return fail(
      'NOT_FOUND',
      'Nothing exists at this path: check the id in it, and that it belongs to your workspace.',
    )
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers)
    const times = context.attempts && context.attempts > 1 ? ` after ${context.attempts} attempts` : ''
    const wait = retryAfterMs !== undefined ? `wait ${Math.ceil(retryAfterMs / 1000)} s` : 'wait a minute'
    return new RateLimitError(
      `${what}${quoted} Rate limited${times}: ${wait} before trying again, and send fewer requests per minute (some endpoints allow 30 per minute per user).`,
      { ...details, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
    )
  }
  if (status >= 500) {
    const times = context.attempts && context.attempts > 1 ? `, ${context.attempts} times` : ''
    return fail(
      'SERVER_ERROR',
      `Alteryx Cloud had a server error${times}. This is usually transient: try again in a few minutes${requestId ? ', and quote the request id to Alteryx support if it persists' : ''}.`,
    )
  }
  return fail(
    'HTTP_ERROR',
    status >= 400 && status < 500
      ? 'The API refused the request: check the path, query and body against the API reference (GET /v4/open-api-spec).'
      : 'The API answered with an unexpected status.',
  )
}

/**
 * Reads the body of an error response and builds its typed error (see {@link createApiError}).
 *
 * @example
 * if (!response.ok) throw await errorFromResponse(response, { method: 'GET', url })
 */
export async function errorFromResponse(
  response: Response,
  context: ResponseErrorContext,
): Promise<ApiError> {
  const body = await readResponseBody(response, context.method).catch(() => undefined)
  return createApiError(response, body, context)
}

const TLS_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

interface Problem {
  code: string | undefined
  message: string
}

/** The error and its causes (and an AggregateError's errors), outermost first, cycle-safe. */
function chain(error: unknown): Problem[] {
  const out: Problem[] = []
  const seen = new Set<unknown>()
  const queue: unknown[] = [error]
  while (queue.length > 0 && out.length < 16) {
    const current = queue.shift()
    if (current === undefined || current === null || seen.has(current)) continue
    seen.add(current)
    if (typeof current !== 'object') {
      out.push({ code: undefined, message: String(current) })
      continue
    }
    const record = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown }
    out.push({
      code: typeof record.code === 'string' ? record.code : undefined,
      message: typeof record.message === 'string' ? record.message : '',
    })
    queue.push(record.cause)
    if (Array.isArray(record.errors)) queue.push(...record.errors)
  }
  return out
}

/**
 * Finds a certificate problem anywhere in an error's cause chain: a Node/Bun TLS code, or a message naming a
 * certificate (Deno says `invalid peer certificate: UnknownIssuer`).
 *
 * @example
 * findTlsProblem(new TypeError('fetch failed', { cause: { code: 'CERT_HAS_EXPIRED' } })) // { code: 'CERT_HAS_EXPIRED', … }
 */
export function findTlsProblem(error: unknown): Problem | undefined {
  const problems = chain(error)
  return (
    problems.find((p) => p.code !== undefined && TLS_CODES.has(p.code)) ??
    problems.find((p) => /certificate|UnknownIssuer/i.test(p.message))
  )
}

/** The most specific code and message in the chain: `ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9`. */
function innermost(error: unknown, secrets: readonly string[]): string {
  const problems = chain(error)
  const useful = [...problems].reverse().find((p) => p.code !== undefined || p.message !== '')
  if (!useful) return 'no details'
  const text =
    useful.code && !useful.message.includes(useful.code) ? `${useful.code} ${useful.message}` : useful.message
  return redactText(text.trim(), secrets).slice(0, 200)
}

function proxyHint(runtime: RuntimeInfo): string {
  switch (runtime.name) {
    case 'node':
      return "behind a proxy, pass a proxy-aware `fetch` to createClient (Node's built-in fetch does not read HTTPS_PROXY by default)"
    case 'deno':
    case 'bun':
      return 'behind a proxy, set HTTPS_PROXY'
    case 'browser':
      return 'check the browser console for CORS or proxy errors'
    default:
      return 'behind a proxy, make sure this runtime’s fetch uses it'
  }
}

/**
 * Explains a `fetch` rejection for `url`: TIMEOUT / ABORTED when its signal fired, TLS_ERROR with this runtime's
 * CA advice for certificate problems, else NETWORK_ERROR naming the host. The original error is kept as `cause`.
 *
 * @example
 * try {
 *   response = await fetch(endpoint, init)
 * } catch (error) {
 *   throw describeFetchFailure(error, endpoint)
 * }
 */
export function describeFetchFailure(
  error: unknown,
  url: string | URL,
  context: FetchFailureContext = {},
): NetworkError | TimeoutError {
  if (error instanceof NetworkError || error instanceof TimeoutError) return error
  const secrets = context.secrets ?? []
  let target: URL | undefined
  try {
    target = new URL(String(url))
  } catch {
    target = undefined
  }
  const host = target?.origin ?? redactText(String(url), secrets)
  // With a method: `GET /v4/flows: could not reach …`; for a bare URL: `Could not reach …`.
  const request =
    context.method && target ? `${context.method.toUpperCase()} ${pathOf(target, secrets)}` : undefined
  const lead = (text: string) =>
    request ? `${request}: ${text}` : text.charAt(0).toUpperCase() + text.slice(1)
  const name = error instanceof Error ? error.name : undefined
  const reason =
    context.reason ?? (name === 'TimeoutError' ? 'timeout' : name === 'AbortError' ? 'abort' : undefined)
  const times = context.attempts && context.attempts > 1 ? ` in ${context.attempts} attempts` : ''

  if (reason === 'timeout') {
    const limit = context.timeoutMs !== undefined ? ` after ${context.timeoutMs} ms` : ''
    return new TimeoutError(
      'TIMEOUT',
      `${request ?? `The request to ${host}`} timed out${limit}${times}. If the server is just slow, raise the timeoutMs option (per attempt) of createClient() or of this request; else check your connection to ${host}.`,
      { cause: error },
    )
  }
  if (reason === 'abort') {
    return new TimeoutError('ABORTED', `${request ?? `The request to ${host}`} was aborted by the caller.`, {
      cause: error,
    })
  }

  const runtime = context.runtime ?? detectRuntime()
  const tls = findTlsProblem(error)
  if (tls) {
    const code = tls.code ?? redactText(tls.message, secrets).slice(0, 120)
    const extra =
      tls.code === 'CERT_HAS_EXPIRED' || tls.code === 'CERT_NOT_YET_VALID'
        ? ' Also check the system clock.'
        : tls.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? ' The certificate is for another host: check aac_url.txt.'
          : ''
    return new NetworkError(
      'TLS_ERROR',
      `${lead(`the TLS certificate of ${host} is not trusted (${code}).`)} This usually means a corporate proxy inspects HTTPS traffic with its own CA certificate. ${tlsHint(runtime)}${extra}`,
      { cause: error },
    )
  }
  return new NetworkError(
    'NETWORK_ERROR',
    `${lead(`could not reach ${host}${times}: ${innermost(error, secrets)}.`)} Check your internet connection, that aac_url.txt holds the right URL, and any firewall; ${proxyHint(runtime)}.`,
    { cause: error },
  )
}
