/**
 * Explains a rejected `fetch`: TIMEOUT or ABORTED when its signal fired, TLS_ERROR with this runtime's CA advice,
 * else NETWORK_ERROR naming the host and what to check.
 */

import { AbortedError, NetworkError, TimeoutError } from '../errors.ts'
import { detectRuntime, proxyHint, type RuntimeInfo, tlsHint } from '../internal/runtime.ts'
import { parseUrl } from '../internal/url.ts'
import { redactPath, redactText } from '../redact.ts'

/** What {@link describeFetchFailure} may know besides the error and URL. */
export interface FetchFailureContext {
  /** The request's method, named in the message. */
  method?: string | undefined
  /** The per-attempt timeout, named in TIMEOUT messages. */
  timeoutMs?: number | undefined
  /** Why the request's signal fired, when the caller knows better than the error's name. */
  reason?: 'timeout' | 'abort' | undefined
  /** How many times the request was sent. */
  attempts?: number | undefined
  /** Token values to redact from the message besides anything token-shaped. */
  secrets?: readonly string[] | undefined
  /** The runtime whose CA advice to give (default: the current one). */
  runtime?: RuntimeInfo | undefined
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

/** One error of a cause chain: its code, if it has one, and its message. */
export interface Problem {
  code: string | undefined
  message: string
}

/** The error and its causes (and an AggregateError's errors), outermost first, cycle-safe. */
export function chain(error: unknown): Problem[] {
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
): NetworkError | TimeoutError | AbortedError {
  if (error instanceof NetworkError || error instanceof TimeoutError || error instanceof AbortedError)
    return error
  const secrets = context.secrets ?? []
  const target = parseUrl(String(url))
  const host = target?.origin ?? redactText(String(url), secrets)
  // With a method: `GET /v4/flows: could not reach …`; for a bare URL: `Could not reach …`.
  const request =
    context.method && target ? `${context.method.toUpperCase()} ${redactPath(target, secrets)}` : undefined
  const subject = request ?? `The request to ${host}`
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
      `${subject} timed out${limit}${times}. If the server is just slow, raise the timeoutMs option (per attempt) of createClient() or of this request; else check your connection to ${host}.`,
      { cause: error },
    )
  }
  if (reason === 'abort') {
    return new AbortedError(`${subject} was aborted by the caller.`, {
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
