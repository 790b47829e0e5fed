// Alteryx Cloud serves no CORS headers to localhost, so the page's API and token calls go through the dev
// server. It forwards to the configured hosts and trusted token endpoints only: it is not an open proxy.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AacConfig, StoredTokens } from '@aac/core'
import { tokenEndpoint } from '@aac/core/diagnostics'
import { writablePair } from '@aac/core/storage/pair-codec'
import { PROXY_ERROR_HEADER } from '../src/protocol.ts'

/** Where the page may send requests through the dev server. */
export interface Allowed {
  config: AacConfig | undefined
  /** The issuer of the token in creds.json (its token endpoint may be on a loopback fake cloud). */
  issuer: string | undefined
  /** Token hosts trusted besides https `*.alteryxcloud.com`, as in the token manager's option. */
  trustedTokenHosts: readonly string[]
}

/** What a request through the proxy is: a call to the API, a refresh at a token endpoint, or neither. */
export type Destination = 'api' | 'token'

const REQUEST_HEADERS = ['accept', 'authorization', 'content-type', 'x-api-project-id', 'x-client-id']
// `date`: the server's clock, from which the token manager learns how far this machine's is off (else the dev
// server's own Date header would stand in for it, and a skewed clock would make every page refresh at once).
const RESPONSE_HEADERS =
  /^(content-type|date|retry-after|x-retry-after|x-rate-limit-[a-z-]+|x-trifacta-request-id)$/
const MAX_BODY_BYTES = 8 * 1024 * 1024
const UPSTREAM_TIMEOUT_MS = 120_000
/** Alteryx Cloud's issuers: `https://pingauth.alteryxcloud.com/as`, `https://pingauth-eu1.alteryxcloud.com/as`. */
const ALTERYX_ISSUER_HOST = /^pingauth(-[a-z]{2}\d+)?\.alteryxcloud\.com$/

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

/**
 * Token endpoints take POSTs only, and only these: `${iss}/token` of the token in creds.json (when
 * tokenEndpoint() trusts that issuer), and Alteryx Cloud's own issuers, `https://pingauth[-<region>]
 * .alteryxcloud.com/as/token`, for standalone mode, whose pair lives in the browser and may be all there is
 * (creds.json can hold placeholders then). The configured API and direct hosts take any method and path.
 * Anything else is refused: the proxy is not open.
 */
export function classify(target: URL, method: string, allowed: Allowed): Destination | undefined {
  const atTokenEndpoint = target.href === issuerTokenEndpoint(allowed) || isAlteryxTokenEndpoint(target)
  if (method === 'POST' && target.search === '' && atTokenEndpoint) return 'token'
  const { config } = allowed
  const configured = config ? [new URL(config.apiUrl).origin, new URL(config.directUrl).origin] : []
  return configured.includes(target.origin) ? 'api' : undefined
}

function issuerTokenEndpoint(allowed: Allowed): string | undefined {
  if (!allowed.issuer) return undefined
  try {
    return tokenEndpoint(allowed.issuer, allowed.trustedTokenHosts)
  } catch {
    // An issuer the token manager would not trust either: nothing is forwarded to it.
    return undefined
  }
}

function isAlteryxTokenEndpoint(target: URL): boolean {
  return (
    target.protocol === 'https:' &&
    target.port === '' &&
    ALTERYX_ISSUER_HOST.test(target.hostname) &&
    target.pathname === '/as/token'
  )
}

export interface ForwardOptions {
  /** The request body, when the caller has read it already (to look at a token request). */
  body?: Buffer
  /**
   * Set for token requests. The upstream call then runs to its end even if the page goes away: the server
   * has spent the old refresh token once it processed the request, so its answer is the only copy of the
   * new pair. If the page is gone when a token response arrives, it goes here instead of being dropped.
   */
  onOrphanedTokens?: (tokens: StoredTokens) => Promise<void>
  /**
   * For token requests: the new pair in an answer that is being handed to the page, called just before it is
   * sent. Until the page has saved it, this is the only other copy (the page, or the dev server, may stop first).
   */
  onDeliveredTokens?: (tokens: StoredTokens) => void
}

/** Sends the page's request on to `target` and streams the answer back, headers filtered both ways. */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  options: ForwardOptions = {},
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase()
  const headers = new Headers({ 'user-agent': 'aac-browser-example (vite dev server)' })
  for (const name of REQUEST_HEADERS) {
    const value = req.headers[name]
    if (typeof value === 'string') headers.set(name, value)
  }
  const body = method === 'GET' || method === 'HEAD' ? undefined : (options.body ?? (await readBody(req)))
  if (body === 'too-large') {
    return proxyError(res, 413, 'HTTP_ERROR', `The request body is larger than ${MAX_BODY_BYTES} bytes.`)
  }
  const tokenRequest = options.onOrphanedTokens !== undefined
  // Before the answer is written, 'close' means the page went away (tab closed, reload, client timeout).
  const gone = new AbortController()
  res.on('close', () => gone.abort())
  const signals = [AbortSignal.timeout(UPSTREAM_TIMEOUT_MS)]
  // An API call the page no longer waits for is cancelled; a token request never is (see ForwardOptions).
  if (!tokenRequest) signals.push(gone.signal)
  let upstream: Response
  let bytes: Buffer
  try {
    upstream = await fetch(target, {
      method,
      headers,
      ...(body !== undefined && { body: new Uint8Array(body) }),
      redirect: 'manual',
      signal: AbortSignal.any(signals),
    })
    bytes = Buffer.from(await upstream.arrayBuffer())
  } catch (error) {
    if (gone.signal.aborted) return
    const { code, message } = describeFailure(error, target)
    return proxyError(res, 502, code, message)
  }
  if (gone.signal.aborted) {
    const tokens = tokenRequest && upstream.ok ? tokenResponse(bytes) : undefined
    if (tokens) await options.onOrphanedTokens?.(tokens)
    return
  }
  const out: Record<string, string> = {}
  upstream.headers.forEach((value, name) => {
    if (RESPONSE_HEADERS.test(name)) out[name] = value
  })
  if (tokenRequest && upstream.ok) {
    const tokens = tokenResponse(bytes)
    if (tokens) options.onDeliveredTokens?.(tokens)
  }
  res.writeHead(upstream.status, out)
  res.end(bytes)
}

/**
 * The new pair in a token endpoint's answer, if it holds one a store would write (no pair, nothing was lost):
 * the pair codec's rule, the same as creds.json's.
 */
function tokenResponse(bytes: Buffer): StoredTokens | undefined {
  let data: unknown
  try {
    data = JSON.parse(bytes.toString('utf8'))
  } catch {
    // Not JSON: not a token response.
    return undefined
  }
  const pair = writablePair(data)
  return pair && { accessToken: pair.accessToken, refreshToken: pair.refreshToken }
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

export async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
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
