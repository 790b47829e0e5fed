import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerContext } from './context.ts'
import { readBody, sendJson } from './http.ts'

export const TOKEN_PATH = '/as/token'

/** Token responses must never be cached by anything between the client and the server (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

function oauthError(res: ServerResponse, status: number, error: string, description?: string): void {
  sendJson(res, status, description ? { error, error_description: description } : { error }, NO_STORE)
}

/** `POST /as/token`: the refresh_token grant of a public client, the only grant this API's users have. */
export async function handleTokenRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse) {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST')
    oauthError(res, 405, 'invalid_request', 'The token endpoint only accepts POST')
    return
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    oauthError(res, 400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded')
    return
  }
  const form = new URLSearchParams(await readBody(req))

  if (form.get('grant_type') !== 'refresh_token') {
    oauthError(res, 400, 'unsupported_grant_type', 'Only grant_type=refresh_token is supported')
    return
  }
  const clientId = form.get('client_id')
  if (!clientId) {
    oauthError(res, 400, 'invalid_request', 'client_id is required')
    return
  }
  if (clientId !== ctx.oauthClientId) {
    oauthError(res, 400, 'invalid_client')
    return
  }
  const refreshToken = form.get('refresh_token')
  if (!refreshToken) {
    oauthError(res, 400, 'invalid_request', 'refresh_token is required')
    return
  }

  const result = ctx.tokens.redeem(refreshToken)
  if (!result.ok) {
    if (result.reason === 'reused') ctx.stats.reuseDetected += 1
    ctx.stats.invalidGrants += 1
    oauthError(res, 400, 'invalid_grant', result.description)
    return
  }
  ctx.stats.refreshes += 1

  if (ctx.faults.take('drop-after-rotate')) {
    // The rotation above stands; only the answer is lost, exactly like a connection cut after the server
    // committed. The client now holds a dead refresh token and the live one exists nowhere but here.
    req.socket.destroy()
    return
  }
  sendJson(
    res,
    200,
    {
      access_token: result.pair.accessToken,
      refresh_token: result.pair.refreshToken,
      token_type: 'Bearer',
      expires_in: ctx.tokens.ttlSeconds,
    },
    NO_STORE,
  )
}
