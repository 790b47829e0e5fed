import type { IncomingMessage, ServerResponse } from 'node:http'
import { type ServerContext, TOKEN_PATH } from './context.ts'
import { pathMatches, sendStatusFault, UNTRUSTED_ISSUER_DEFAULT } from './faults.ts'
import { readBody, sendJson, sendText } from './http.ts'
import type { AccessTokenChoice } from './tokens.ts'
import type { Fault } from './types.ts'

export { TOKEN_PATH }

/** Token responses must never be cached by anything between the client and the server (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

function oauthError(res: ServerResponse, status: number, error: string, description?: string): void {
  sendJson(res, status, description ? { error, error_description: description } : { error }, NO_STORE)
}

/** `POST /as/token`: the refresh_token grant of a public client, the only grant this API's users have. */
export async function handleTokenRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse) {
  const redirect = ctx.faults.take('redirect')
  if (redirect) {
    // Read (and ignore) the body so the client has sent all of it, as a real redirecting proxy would have.
    await readBody(req)
    sendText(res, redirect.status ?? 307, '', { location: redirect.location, ...NO_STORE })
    return
  }
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

  // The access-token fault is taken inside redeem, once the refresh is accepted: a refused one leaves it queued.
  const result = ctx.tokens.redeem(refreshToken, () => accessTokenChoice(ctx))
  if (!result.ok) {
    if (result.reason === 'reused') ctx.stats.reuseDetected += 1
    ctx.stats.invalidGrants += 1
    oauthError(res, 400, 'invalid_grant', result.description)
    return
  }
  const stats = ctx.stats
  stats.refreshes += 1

  // From here on the rotation stands, whatever happens to the answer.
  const answer = ctx.faults.takeFirst(
    (f) =>
      f.kind === 'drop-after-rotate' ||
      f.kind === 'late-after-rotate' ||
      (f.kind === 'status' && f.afterRotate === true && pathMatches(f, TOKEN_PATH)),
  )
  if (answer?.kind === 'drop-after-rotate') {
    // Only the answer is lost, exactly like a connection cut after the server committed. The client now holds a
    // dead refresh token and the live one exists nowhere but here.
    req.socket.destroy()
    return
  }
  if (answer?.kind === 'status') {
    // A gateway's error after its backend rotated: the client cannot tell whether the refresh happened.
    if (answer.status === 400) stats.invalidGrants += 1
    sendStatusFault(res, answer, true)
    return
  }
  if (answer?.kind === 'late-after-rotate') {
    await ctx.sleep(answer.ms)
    // The client timed out or was killed meanwhile (or the fake is stopping): the new pair is lost with it.
    if (res.destroyed || req.socket.destroyed) return
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

/** The access token a successful refresh answers with, as the first queued access-token fault says. */
function accessTokenChoice(ctx: ServerContext): AccessTokenChoice {
  const fault: Fault | undefined = ctx.faults.takeFirst(
    (f) => f.kind === 'same-access-token' || f.kind === 'expired-access-token' || f.kind === 'untrusted-iss',
  )
  switch (fault?.kind) {
    case 'same-access-token':
      return { kind: 'same' }
    case 'expired-access-token':
      return { kind: 'expired' }
    case 'untrusted-iss':
      return { kind: 'issuer', issuer: fault.issuer ?? UNTRUSTED_ISSUER_DEFAULT }
    default:
      return { kind: 'new' }
  }
}
