import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerContext } from './context.ts'
import { iamWorkspace, person, v4Workspace } from './fixtures.ts'
import { flowPackage } from './flow-package.ts'
import { readBody, sendJson, sendRouteNotFound, sendText, v4Exception } from './http.ts'
import { CURRENT_USER_ID } from './tokens.ts'

/** Path prefixes served by the gateway host (api.<region>...), where Apigee checks the API key first. */
const GATEWAY_PREFIXES = ['/iam/', '/plans/', '/scheduling/', '/billing/']

/**
 * Which host family a listener plays: `both` when one listener serves everything (the default), else the
 * gateway (`api.<region>…`, also the token issuer here) or the direct host (`<region>…`).
 */
export type HostRole = 'both' | 'gateway' | 'direct'

/** Paths of the direct host, the same rule as the core's isDirectHostPath. */
export function isDirectPath(path: string): boolean {
  return /^\/(?:v4|svc-workflow)(?:\/|$)/.test(path)
}

/** False when `path` belongs to the other host family: the real hosts then answer RouteNotFoundException. */
function servedBy(host: HostRole, path: string): boolean {
  if (host === 'both') return true
  return isDirectPath(path) === (host === 'direct')
}

const MAX_PAGE = 1000
const DEFAULT_PAGE = 25

interface Call {
  ctx: ServerContext
  req: IncomingMessage
  res: ServerResponse
  url: URL
  params: string[]
}

interface Route {
  method: string
  pattern: RegExp
  handle(call: Call): void | Promise<void>
}

const routes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/iam\/v1\/workspaces\/current$/,
    handle: ({ ctx, res }) => sendJson(res, 200, iamWorkspace(ctx.people)),
  },
  {
    method: 'GET',
    pattern: /^\/v4\/workspaces\/current$/,
    handle: ({ ctx, res }) => sendJson(res, 200, v4Workspace(ctx.people)),
  },
  {
    method: 'GET',
    pattern: /^\/v4\/people\/current$/,
    handle: ({ res }) => sendJson(res, 200, person(CURRENT_USER_ID)),
  },
  { method: 'GET', pattern: /^\/v4\/people$/, handle: listPeople },
  { method: 'POST', pattern: /^\/v4\/jobGroups$/, handle: startJob },
  { method: 'GET', pattern: /^\/v4\/jobGroups\/([^/]+)$/, handle: getJob },
  { method: 'GET', pattern: /^\/v4\/jobGroups\/([^/]+)\/status$/, handle: jobStatus },
  { method: 'POST', pattern: /^\/v4\/jobGroups\/([^/]+)\/cancel$/, handle: cancelJob },
  { method: 'GET', pattern: /^\/v4\/flows\/([^/]+)\/package$/, handle: exportFlow },
]

/** Every request that is neither the token endpoint nor the control API. */
export async function handleApiRequest(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  host: HostRole = 'both',
): Promise<void> {
  const method = req.method ?? 'GET'
  const path = url.pathname
  // Before the API key check: the direct host has no Apigee in front, and neither host knows the other's paths.
  if (!servedBy(host, path)) {
    sendRouteNotFound(res, method, path)
    return
  }
  if (GATEWAY_PREFIXES.some((prefix) => path.startsWith(prefix))) {
    const fault = apiKeyFault(req, ctx.projectId)
    if (fault) {
      sendJson(res, 401, fault)
      return
    }
  }
  let match: { route: Route; params: string[] } | undefined
  for (const route of routes) {
    const m = route.method === method ? route.pattern.exec(path) : null
    if (m) {
      match = { route, params: m.slice(1) }
      break
    }
  }
  if (!match) {
    sendRouteNotFound(res, method, path)
    return
  }
  if (!bearerAccepted(ctx, req, res)) return
  if (hasBody(req) && !isJson(req.headers['content-type'])) {
    const type = req.headers['content-type'] ?? 'none'
    sendJson(
      res,
      415,
      v4Exception(
        'UnsupportedMediaType',
        'Unsupported Media Type',
        `Content-Type must be application/json, got ${type}`,
      ),
    )
    return
  }
  await match.route.handle({ ctx, req, res, url, params: match.params })
}

/** A body is announced by its length or by chunked encoding; an empty POST (e.g. a cancel) needs no type. */
function hasBody(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0)
  return length > 0 || req.headers['transfer-encoding'] !== undefined
}

function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? ''
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

/** Apigee's answers when the API project id header is missing or not the project's. */
function apiKeyFault(req: IncomingMessage, projectId: string): unknown {
  const raw = req.headers['x-api-project-id'] ?? req.headers['x-client-id']
  const key = (Array.isArray(raw) ? raw[0] : raw)?.trim()
  if (!key) {
    return {
      fault: {
        faultstring: 'Failed to resolve API Key variable request.header.x-api-project-id',
        detail: { errorcode: 'steps.oauth.v2.FailedToResolveAPIKey' },
      },
    }
  }
  if (key !== projectId) {
    return { fault: { faultstring: 'Invalid ApiKey', detail: { errorcode: 'oauth.v2.InvalidApiKey' } } }
  }
  return undefined
}

/** Answers the 401 itself and returns false when the bearer token does not let the request through. */
function bearerAccepted(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): boolean {
  const m = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  if (!m?.[1]) {
    sendText(res, 401, 'Unauthorized')
    return false
  }
  const result = ctx.signer.verify(m[1], Math.floor(ctx.now() / 1000))
  if (!result.ok) {
    if (result.reason === 'expired') sendJson(res, 401, { message: 'jwt expired' })
    else sendText(res, 401, 'Unauthorized')
    return false
  }
  // Only a request that would have passed consumes the fault, so it always means "valid token refused".
  if (ctx.faults.take('unauthorized')) {
    sendJson(res, 401, { message: 'invalid token' })
    return false
  }
  return true
}

function validationFailed(res: ServerResponse, details: string): void {
  sendJson(res, 400, v4Exception('ValidationFailed', 'Validation failed', details))
}

/** A query parameter as a non-negative integer, `fallback` if absent, undefined if malformed. */
function intParam(url: URL, name: string, fallback: number): number | undefined {
  const raw = url.searchParams.get(name)
  if (raw === null) return fallback
  return /^\d+$/.test(raw) ? Number(raw) : undefined
}

function listPeople({ ctx, res, url }: Call): void {
  const limit = intParam(url, 'limit', DEFAULT_PAGE)
  if (limit === undefined || limit > MAX_PAGE) {
    validationFailed(res, `limit must be an integer from 0 to ${MAX_PAGE}`)
    return
  }
  const offset = intParam(url, 'offset', 0)
  if (offset === undefined) {
    validationFailed(res, 'offset must be a non-negative integer')
    return
  }
  const data: unknown[] = []
  for (let id = offset + 1; id <= Math.min(ctx.people, offset + limit); id++) data.push(person(id))
  const body: Record<string, unknown> = { data }
  if (url.searchParams.get('includeCount') === 'true') body['count'] = ctx.people
  sendJson(res, 200, body)
}

async function startJob({ ctx, req, res }: Call): Promise<void> {
  let body: unknown
  try {
    body = JSON.parse(await readBody(req))
  } catch {
    validationFailed(res, 'The request body must be JSON')
    return
  }
  const datasetId = (body as { wrangledDataset?: { id?: unknown } } | null)?.wrangledDataset?.id
  if (!Number.isInteger(datasetId)) {
    validationFailed(res, 'wrangledDataset.id must be an integer')
    return
  }
  const job = ctx.jobs.create(datasetId as number)
  sendJson(res, 201, {
    id: job.id,
    reason: 'JobStarted',
    sessionId: job.sessionId,
    jobs: { data: [{ id: job.id * 10 + 1 }, { id: job.id * 10 + 2 }] },
  })
}

function jobId(params: string[]): number {
  const raw = params[0] ?? ''
  return /^\d+$/.test(raw) ? Number(raw) : Number.NaN
}

function jobNotFound(res: ServerResponse, raw: string | undefined): void {
  sendJson(res, 404, v4Exception('NotFoundException', 'Not found', `JobGroup with id ${raw} does not exist`))
}

function getJob({ ctx, res, params }: Call): void {
  const job = ctx.jobs.get(jobId(params))
  if (!job) {
    jobNotFound(res, params[0])
    return
  }
  sendJson(res, 200, {
    id: job.id,
    status: job.status,
    wrangledDataset: { id: job.datasetId },
    sessionId: job.sessionId,
    createdAt: job.createdAt,
    updatedAt: new Date(ctx.now()).toISOString(),
  })
}

function jobStatus({ ctx, res, params }: Call): void {
  const status = ctx.jobs.poll(jobId(params))
  // The real endpoint answers a bare JSON string, e.g. "Complete".
  if (status === undefined) jobNotFound(res, params[0])
  else sendJson(res, 200, status)
}

function cancelJob({ ctx, res, params }: Call): void {
  const job = ctx.jobs.cancel(jobId(params))
  if (!job) jobNotFound(res, params[0])
  else sendJson(res, 200, { jobIds: [job.id * 10 + 1, job.id * 10 + 2], jobgroupId: job.id })
}

/** A flow exported as a ZIP (invented: any positive id is a flow here). Binary, so clients must not decode it. */
function exportFlow({ res, params }: Call): void {
  const raw = params[0] ?? ''
  if (!/^[1-9]\d*$/.test(raw)) {
    sendJson(res, 404, v4Exception('NotFoundException', 'Not found', `Flow with id ${raw} does not exist`))
    return
  }
  const body = flowPackage(Number(raw))
  res.writeHead(200, {
    'content-type': 'application/zip',
    'content-disposition': `attachment; filename="flow-${raw}.zip"`,
    'content-length': body.length,
  })
  res.end(body)
}
