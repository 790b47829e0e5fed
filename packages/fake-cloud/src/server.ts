import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type HostRole, handleApiRequest } from './api-routes.ts'
import { writeConfigFiles } from './config-files.ts'
import type { ServerContext } from './context.ts'
import { CONTROL_PREFIX, handleControlRequest } from './control.ts'
import { FaultQueue, pathMatches, sendStatusFault } from './faults.ts'
import { applyCors, BodyTooLargeError, sendJson, sendPreflight, v4Exception } from './http.ts'
import { JobBook } from './jobs.ts'
import { createJwtSigner } from './jwt.ts'
import { emptyStats, snapshot } from './stats.ts'
import { handleTokenRequest, TOKEN_PATH } from './token-endpoint.ts'
import { TokenService } from './tokens.ts'
import type { FakeCloud, FakeCloudOptions } from './types.ts'

/**
 * Starts a loopback server that plays the gateway host (`/iam/...`), the direct host (`/v4/...`) and the
 * token endpoint (`/as/token`) of Alteryx Cloud at once; with `splitHosts`, the direct host gets a listener of
 * its own (`directUrl`) and each host refuses the other's paths, as the real ones do.
 *
 * @example
 * const cloud = await startFakeCloud({ accessTokenTtlSeconds: 2 })
 * const { accessToken } = cloud.issueTokens()
 * const res = await fetch(`${cloud.url}/iam/v1/workspaces/current`, {
 *   headers: { authorization: `Bearer ${accessToken}`, 'x-api-project-id': cloud.projectId },
 * })
 * await cloud.stop()
 */
export async function startFakeCloud(options: FakeCloudOptions = {}): Promise<FakeCloud> {
  const host = options.host ?? '127.0.0.1'
  const projectId = options.projectId ?? 'fake-project-id'
  const oauthClientId = options.oauthClientId ?? 'fake-oauth-client'
  const people = options.people ?? 137
  const ttlSeconds = options.accessTokenTtlSeconds ?? 300
  let clockOffsetSeconds = checkedClockOffset(options.clockOffsetSeconds ?? 0)
  // The server's "now": tokens, the bearer check, jobs and the Date header all read this one clock.
  const now = () => Date.now() + clockOffsetSeconds * 1000

  const signer = await createJwtSigner()
  // Requests parked in a delay or late-after-rotate fault; stop() wakes them so no timer keeps the process alive.
  const parked = new Set<() => void>()
  let stopping: Promise<void> | undefined
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping) {
        resolve()
        return
      }
      const wake = () => {
        clearTimeout(timer)
        parked.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      parked.add(wake)
    })

  const cors = options.cors === true
  const split = options.splitHosts === true
  const main = await listen(host, options.port ?? 0)
  let direct: Listener | undefined
  try {
    // Any free port: the direct host's URL is handed out, never typed.
    if (split) direct = await listen(host, 0)
  } catch (error) {
    await closeServer(main.server)
    throw error
  }
  const servers = direct ? [main.server, direct.server] : [main.server]
  const url = main.url
  const directUrl = direct?.url ?? url
  const issuer = `${url}/as`

  const ctx: ServerContext = {
    signer,
    tokens: new TokenService({ signer, issuer, oauthClientId, ttlSeconds, now }),
    faults: new FaultQueue(),
    jobs: new JobBook(now),
    projectId,
    oauthClientId,
    people,
    stats: emptyStats(),
    now,
    sleep,
  }

  const cloud: FakeCloud = {
    url,
    directUrl,
    issuer,
    projectId,
    issueTokens: (opts = {}) => ctx.tokens.issue(opts),
    async writeConfig(dir, opts = {}) {
      const pair = ctx.tokens.issue(opts)
      await writeConfigFiles(dir, { url, projectId, ...pair })
      return pair
    },
    isRefreshTokenValid: (rt) => ctx.tokens.isRefreshTokenValid(rt),
    stats: () => snapshot(ctx.stats),
    inject: (fault) => ctx.faults.add(fault),
    setClockOffset(seconds) {
      clockOffsetSeconds = checkedClockOffset(seconds)
    },
    get clockOffsetSeconds() {
      return clockOffsetSeconds
    },
    reset() {
      ctx.stats = emptyStats()
      ctx.faults.clear()
    },
    stop() {
      stopping ??= (async () => {
        const closed = Promise.all(servers.map(closeServer))
        for (const wake of parked) wake()
        await closed
      })()
      return stopping
    },
  }

  const role = (listener: 'main' | 'direct'): HostRole =>
    !split ? 'both' : listener === 'main' ? 'gateway' : 'direct'
  main.server.on('request', (req: IncomingMessage, res: ServerResponse) => serve(req, res, role('main')))
  direct?.server.on('request', (req: IncomingMessage, res: ServerResponse) => serve(req, res, role('direct')))

  function serve(req: IncomingMessage, res: ServerResponse, host: HostRole): void {
    handle(req, res, host).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy()
        return
      }
      if (error instanceof BodyTooLargeError) {
        sendJson(res, 413, v4Exception('PayloadTooLarge', 'Request body too large', error.message))
        return
      }
      sendJson(res, 500, v4Exception('InternalServerError', 'Internal server error', String(error)))
    })
  }

  async function handle(req: IncomingMessage, res: ServerResponse, host: HostRole): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid')
    const path = url.pathname
    const method = req.method ?? 'GET'
    // Node would send the machine's time; clients learn the server's clock from this header and from `iat`.
    res.setHeader('date', new Date(now()).toUTCString())
    res.setHeader('x-trifacta-request-id', randomUUID())
    if (cors) {
      applyCors(req, res)
      // Preflights are the browser's business, not the client's: counting them or letting them eat faults
      // would make the same test behave differently in a browser and in Node.
      if (method === 'OPTIONS' && req.headers['access-control-request-method']) {
        sendPreflight(req, res)
        return
      }
    }
    // On both listeners: the control API is the test's, not part of either emulated host.
    if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) {
      await handleControlRequest(cloud, oauthClientId, req, res, url)
      return
    }

    // The issuer is the gateway's listener; on the direct one `/as/token` is just a route it does not have.
    const atTokenEndpoint = path === TOKEN_PATH && host !== 'direct'
    const stats = ctx.stats
    stats.requests += 1
    if (atTokenEndpoint) stats.tokenRequests += 1
    else stats.apiRequests += 1
    const key = `${method} ${path}`
    stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1

    const delay = ctx.faults.take('delay', (f) => pathMatches(f, path))
    if (delay) await sleep(delay.ms)
    if (res.destroyed) return

    // Faults with `afterRotate` wait for the token endpoint to rotate first; it takes them itself.
    const statusFault = ctx.faults.take('status', (f) => !f.afterRotate && pathMatches(f, path))
    if (statusFault) sendStatusFault(res, statusFault, atTokenEndpoint)
    else if (atTokenEndpoint) await handleTokenRequest(ctx, req, res)
    else await handleApiRequest(ctx, req, res, url, host)

    // Counted here once, whether the 401 came from Apigee, the bearer check or a fault. `ctx.stats` may have
    // been replaced by a reset meanwhile; the request then belongs to the old counters.
    if (!atTokenEndpoint && res.headersSent && res.statusCode === 401) stats.unauthorized += 1
    if (atTokenEndpoint && statusFault?.status === 400) stats.invalidGrants += 1
  }

  return cloud
}

/** A clock offset is a finite number of seconds, within {@link MAX_CLOCK_OFFSET_SECONDS} either way. */
function checkedClockOffset(seconds: unknown): number {
  if (
    typeof seconds !== 'number' ||
    !Number.isFinite(seconds) ||
    Math.abs(seconds) > MAX_CLOCK_OFFSET_SECONDS
  ) {
    throw new RangeError(
      `clock offset must be a number of seconds from -${MAX_CLOCK_OFFSET_SECONDS} to ${MAX_CLOCK_OFFSET_SECONDS}`,
    )
  }
  return seconds
}

/** Ten years either way: far more skew than any test needs, far less than a Date can hold. */
export const MAX_CLOCK_OFFSET_SECONDS = 10 * 366 * 24 * 3600

interface Listener {
  server: Server
  url: string
}

async function listen(host: string, port: number): Promise<Listener> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}` }
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve())
    // Keep-alive sockets would hold close() open.
    server.closeAllConnections()
  })
}
