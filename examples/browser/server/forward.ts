// Alteryx Cloud serves no CORS headers to localhost, so the page's API and token calls go through the dev
// server. It forwards to the configured hosts and trusted token endpoints only: it is not an open proxy.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type AacConfig, tokenEndpoint } from '@aac/core'
import { PROXY_ERROR_HEADER } from '../src/protocol.ts'

/** Where the page may send requests through the dev server. */
export interface Allowed {
  config: AacConfig | undefined
  /** The issuer of the token in creds.json (its token endpoint may be on a loopback fake cloud). */
  issuer: string | undefined
  /** Token hosts trusted besides https `*.alteryxcloud.com`, as in the token manager's option. */
  trustedTokenHosts: readonly string[]
}

/** Failures of the forwarding itself (not of the upstream API) carry this header, so the page can tell them apart. */

const REQUEST_HEADERS = ['accept', 'authorization', 'content-type', 'x-api-project-id', 'x-client-id']
const RESPONSE_HEADERS =
  /^(content-type|retry-after|x-retry-after|x-rate-limit-[a-z-]+|x-trifacta-request-id)$/
const MAX_BODY_BYTES = 8 * 1024 * 1024
const UPSTREAM_TIMEOUT_MS = 120_000

/** `/<encoded origin>/<path>?<query>` (what follows the proxy prefix) → the target URL. */
export function proxyTarget(rest: string): URL | undefined {
  const match = /^\/([^/?]+)(\/[^?]*)?(\?.*)?$/.exec(rest)
  if (!match?.[1]) return undefined
  try {
    const origin = new URL(decodeURIComponent(match[1]))
    if (origin.origin !== decodeURIComponent(match[1])) return undefined
    return new URL(`${origin.origin}${match[2] ?? '/'}${match[3] ?? ''}`)
  } catch {
    return undefined
  }
}

/** The configured API and direct hosts, any path; token endpoints only for POST, only of trusted issuers. */
export function isAllowed(target: URL, method: string, allowed: Allowed): boolean {
  const { config } = allowed
  const configured = config ? [new URL(config.apiUrl).origin, new URL(config.directUrl).origin] : []
  if (configured.includes(target.origin)) return true
  if (method !== 'POST' || target.search !== '' || !target.pathname.endsWith('/token')) return false
  const issuer = target.origin + target.pathname.slice(0, -'/token'.length)
  try {
    if (tokenEndpoint(issuer, allowed.trustedTokenHosts) !== target.href) return false
  } catch {
    return false
  }
  // tokenEndpoint() trusts every loopback address (for local fakes); the proxy only the one creds.json names.
  const issuerOrigin = allowed.issuer ? safeOrigin(allowed.issuer) : undefined
  return !isLoopback(target.hostname) || target.origin === issuerOrigin
}

/** Sends the page's request on to `target` and streams the answer back, headers filtered both ways. */
export async function forward(req: IncomingMessage, res: ServerResponse, target: URL): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase()
  const headers = new Headers({ 'user-agent': 'aac-browser-example (vite dev server)' })
  for (const name of REQUEST_HEADERS) {
    const value = req.headers[name]
    if (typeof value === 'string') headers.set(name, value)
  }
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req)
  if (body === 'too-large') {
    return proxyError(res, 413, 'HTTP_ERROR', `The request body is larger than ${MAX_BODY_BYTES} bytes.`)
  }
  // A page that goes away (tab closed, client timeout) cancels the upstream call too.
  const gone = new AbortController()
  res.on('close', () => gone.abort())
  let upstream: Response
  try {
    upstream = await fetch(target, {
      method,
      headers,
      ...(body !== undefined && { body: new Uint8Array(body) }),
      redirect: 'manual',
      signal: AbortSignal.any([gone.signal, AbortSignal.timeout(UPSTREAM_TIMEOUT_MS)]),
    })
  } catch (error) {
    if (gone.signal.aborted) return
    const { code, message } = describeFailure(error, target)
    return proxyError(res, 502, code, message)
  }
  const out: Record<string, string> = {}
  upstream.headers.forEach((value, name) => {
    if (RESPONSE_HEADERS.test(name)) out[name] = value
  })
  const bytes = Buffer.from(await upstream.arrayBuffer())
  res.writeHead(upstream.status, out)
  res.end(bytes)
}

export function refuse(res: ServerResponse, target: URL | undefined, method: string, allowed: Allowed): void {
  const hosts = allowed.config
    ? `${allowed.config.apiUrl}, ${allowed.config.directUrl} and the token endpoint of the token's issuer`
    : 'the hosts in aac_url.txt (which is not valid right now)'
  proxyError(
    res,
    403,
    'HTTP_ERROR',
    `The dev server forwards only to ${hosts}; it refused ${method} ${target ? target.origin + target.pathname : 'a malformed proxy URL'}.`,
  )
}

export function proxyError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', [PROXY_ERROR_HEADER]: code })
  res.end(JSON.stringify({ error: { code, message } }))
}

const TLS_CODES =
  /^(CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/

/** Node's fetch hides the reason in `cause`: name it, and say what helps for the dev server's runtime. */
function describeFailure(error: unknown, target: URL): { code: string; message: string } {
  let cause: unknown = error
  while (cause instanceof Error && cause.cause !== undefined && !(cause as { code?: unknown }).code) {
    cause = cause.cause
  }
  const code = (cause as { code?: unknown } | null)?.code
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error'
  if (typeof code === 'string' && TLS_CODES.test(code)) {
    return {
      code: 'TLS_ERROR',
      message: `The dev server could not reach ${target.origin}: its TLS certificate is not trusted (${code}). This usually means a corporate proxy inspects HTTPS with its own CA certificate: restart the dev server with NODE_EXTRA_CA_CERTS=/path/to/corporate-ca.pem.`,
    }
  }
  if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
    return {
      code: 'TIMEOUT',
      message: `${target.origin} did not answer the dev server within ${UPSTREAM_TIMEOUT_MS / 1000} s.`,
    }
  }
  return {
    code: 'NETWORK_ERROR',
    message: `The dev server could not reach ${target.origin} (${reason}). Check your internet connection, that aac_url.txt holds the right URL, and any firewall (the dev server's Node fetch does not use HTTPS_PROXY).`,
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > MAX_BODY_BYTES) return 'too-large'
    chunks.push(buffer)
  }
  return Buffer.concat(chunks)
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host)
}
