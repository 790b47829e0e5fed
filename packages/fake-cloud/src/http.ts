import type { IncomingMessage, ServerResponse } from 'node:http'

export type Headers = Record<string, string>

/** Requests bigger than this are refused: every real body here is a few hundred bytes. */
const MAX_BODY_BYTES = 1024 * 1024

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  send(res, status, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8', ...headers })
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Headers = {}): void {
  send(res, status, text, { 'content-type': 'text/plain; charset=utf-8', ...headers })
}

function send(res: ServerResponse, status: number, body: string, headers: Headers): void {
  // The client may have gone away during an injected delay; writing then would only raise.
  if (res.destroyed || res.headersSent) return
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError'
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The error envelope of the `/v4` API and of the gateway's backends. */
export function v4Exception(name: string, message: string, details: unknown): unknown {
  return { exception: { name, message, details } }
}

export function sendRouteNotFound(res: ServerResponse, method: string, path: string): void {
  sendJson(
    res,
    404,
    v4Exception('RouteNotFoundException', 'This route does not exist', `Cannot ${method} ${path}`),
  )
}

/**
 * Lets a browser page on another origin call the fake directly. Only with the `cors` option: the real API
 * sends no CORS headers to a localhost page, and a page that works only thanks to them would break there.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('access-control-allow-origin', req.headers.origin ?? '*')
  res.setHeader('vary', 'origin')
  res.setHeader(
    'access-control-expose-headers',
    'x-trifacta-request-id, x-retry-after, retry-after, x-rate-limit-user-limit, x-rate-limit-user-remaining, ' +
      'x-rate-limit-user-reset, x-rate-limit-workspace-limit, x-rate-limit-workspace-remaining, ' +
      'x-rate-limit-workspace-reset',
  )
}

export function sendPreflight(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    'access-control-allow-headers':
      req.headers['access-control-request-headers'] ??
      'authorization, content-type, accept, x-api-project-id, x-client-id',
    'access-control-max-age': '600',
  })
  res.end()
}
