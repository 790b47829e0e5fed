/**
 * Turns an error status into the typed errors of errors.ts: one code per row of the error table in
 * docs/api-facts.md, each with a message that says what to do. Messages are built from our own words plus
 * redacted snippets of the response; request headers and bodies are never looked at.
 */

import { type AacErrorCode, ApiError, RateLimitError } from '../errors.ts'
import { parseUrl } from '../internal/url.ts'
import { redactPath, redactValue } from '../redact.ts'
import { apiProjectsPage, apiTokensPage, isDirectHostPath } from '../regions.ts'
import { parseRetryAfter } from '../retry-policy.ts'
import type { AacConfig } from '../types.ts'
import { readResponseBody } from './body.ts'

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
  const path = redactPath(url, secrets)
  const status = response.status
  const requestId = response.headers.get(REQUEST_ID_HEADER) ?? undefined
  const redactedBody = redactValue(body, secrets)
  const said = apiMessage(redactedBody)
  const quoted = said ? ` The API said: "${said}".` : ''
  const idNote = requestId ? ` (request id ${requestId})` : ''
  const what = `${method} ${path} → ${status}${idNote}.`
  const region = context.config?.region ?? undefined
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
      const direct = parseUrl(context.config?.directUrl ?? '')?.origin ?? 'https://<region>.alteryxcloud.com'
      const gateway =
        parseUrl(context.config?.apiUrl ?? '')?.origin ?? 'https://api.<region>.alteryxcloud.com'
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
 * Reads the body of an error response and builds its typed error (see `createApiError`).
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
