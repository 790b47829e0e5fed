import type { IncomingMessage, ServerResponse } from 'node:http'
import { faultProblem } from './faults.ts'
import { readBody, sendJson, sendRouteNotFound } from './http.ts'
import type { FakeCloud, Fault } from './types.ts'

export const CONTROL_PREFIX = '/__control'

/**
 * The {@link FakeCloud} methods over HTTP, for tests running in another process or runtime (Deno, Bun, a
 * browser). Not counted in stats and never hit by faults, so observing the fake does not change it.
 *
 * - `GET /info`: `{url, directUrl, issuer, projectId, oauthClientId, clockOffsetSeconds}`
 * - `GET /stats`: `FakeCloudStats`; `POST /reset`
 * - `POST /faults` with a {@link Fault} as JSON: 200 `{ok: true}`, or 400 `{error}` saying what is wrong
 * - `POST /tokens` with `{expired?, ttlSeconds?}`: a new `TokenPair`
 * - `GET /refresh-token-valid?token=...`: `{valid}`
 * - `GET /clock`, `POST /clock` with `{offsetSeconds}`: `{offsetSeconds, now}` (`now` ISO, the server's clock)
 */
export async function handleControlRequest(
  cloud: FakeCloud,
  oauthClientId: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const route = `${req.method} ${url.pathname.slice(CONTROL_PREFIX.length)}`
  switch (route) {
    case 'GET /stats':
      sendJson(res, 200, cloud.stats())
      return
    case 'GET /info':
      sendJson(res, 200, {
        url: cloud.url,
        directUrl: cloud.directUrl,
        issuer: cloud.issuer,
        projectId: cloud.projectId,
        oauthClientId,
        clockOffsetSeconds: cloud.clockOffsetSeconds,
      })
      return
    case 'GET /clock':
      sendJson(res, 200, clock(cloud))
      return
    case 'POST /clock': {
      const body = await jsonBody(req)
      const seconds = (body as { offsetSeconds?: unknown } | undefined)?.offsetSeconds
      try {
        if (typeof seconds !== 'number') throw new RangeError('"offsetSeconds" must be a number of seconds')
        cloud.setClockOffset(seconds)
      } catch (error) {
        sendJson(res, 400, { error: (error as Error).message })
        return
      }
      sendJson(res, 200, clock(cloud))
      return
    }
    case 'POST /reset':
      cloud.reset()
      sendJson(res, 200, { ok: true })
      return
    case 'POST /faults': {
      const body = await jsonBody(req)
      const problem = faultProblem(body)
      if (problem) {
        sendJson(res, 400, { error: problem })
        return
      }
      cloud.inject(body as Fault)
      sendJson(res, 200, { ok: true })
      return
    }
    case 'POST /tokens': {
      const body = await jsonBody(req)
      const opts = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
      const ttl = opts['ttlSeconds']
      sendJson(
        res,
        200,
        cloud.issueTokens({
          expired: opts['expired'] === true,
          ...(typeof ttl === 'number' ? { ttlSeconds: ttl } : {}),
        }),
      )
      return
    }
    case 'GET /refresh-token-valid':
      sendJson(res, 200, { valid: cloud.isRefreshTokenValid(url.searchParams.get('token') ?? '') })
      return
    default:
      sendRouteNotFound(res, req.method ?? 'GET', url.pathname)
  }
}

/** The server's clock as the Date header and new tokens show it. */
function clock(cloud: FakeCloud): { offsetSeconds: number; now: string } {
  return {
    offsetSeconds: cloud.clockOffsetSeconds,
    now: new Date(Date.now() + cloud.clockOffsetSeconds * 1000).toISOString(),
  }
}

/** An empty body counts as `{}`; malformed JSON as undefined, which the callers reject. */
async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req)
  if (!text.trim()) return {}
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
