/**
 * The doctor's checks, in the order a setup is built: folder, the three files, the token's claims and issuer,
 * the lock, the network, the clock, then real API calls. Each failure says what to do, in the core's words
 * wherever the core has them. The refresh token is spent only with `--refresh` (under the lock, like any
 * refresh): there is no way to test a single-use token without using it.
 */

import { constants } from 'node:fs'
import { access, lstat, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import {
  type AacConfig,
  type AccessTokenClaims,
  type AccessTokenSource,
  type ApiError,
  apiErrorFromResponse,
  apiTokensPage,
  createClient,
  createTokenManager,
  decodeAccessToken,
  describeFetchFailure,
  describeTrust,
  type FetchLike,
  isAacError,
  isFresh,
  regionOfHost,
  type StoredTokens,
  type TokenEndpointTrustReason,
  type TokenManager,
  tokenEndpointTrust,
} from '@aac/core'
import {
  CREDS_FILE,
  checkCredsFile,
  credsLockPath,
  fileStorage,
  findConfigDir,
  loadApiUrl,
  loadCreds,
  loadProjectId,
  URL_FILE,
} from '@aac/core/fs'
import { EXIT, exitCodeFor } from '../exit-codes.ts'
import type { CliIo } from '../io.ts'
import { debugLogger, USER_AGENT } from '../session.ts'
import { duration } from '../time.ts'
import { checkLock } from './lock.ts'
import type { Step } from './steps.ts'

export interface DoctorOptions {
  /** Spend the refresh token (under the lock) to prove it works, and test the API with the new token. */
  refresh?: boolean
  /** Files only: no request leaves the machine. */
  offline?: boolean
  /** Per request, in ms (default 10 s). */
  timeoutMs?: number
}

/** Clock differences up to this are normal (the Date header has 1 s resolution). */
const CLOCK_OK_MS = 10_000
/** Beyond this, token expiry is judged wrongly by more than the refresh margin (60 s). */
const CLOCK_BAD_MS = 60_000

interface Probe {
  status: number
  ms: number
  /** Server time minus local time, from the Date header. */
  skewMs: number | undefined
  /** For a 401: the core's reading of it (INVALID_API_KEY, MISSING_API_KEY or UNAUTHORIZED). */
  error?: ApiError
}

/** Which of the core's trust rules lets the refresh token go to `reason`'s endpoint, for a person. */
export function trustedBecause(reason: TokenEndpointTrustReason): string {
  return `the refresh token may go there: ${describeTrust(reason)}`
}

/** Whether the gateway accepts client_id.txt: judged by the API host probe, which sends it. */
const PROJECT_ID_STEP = 'API project id'

/** Runs every check, handing each step to `report` as soon as it is known. */
export async function runChecks(
  io: CliIo,
  options: DoctorOptions,
  report: (step: Step) => void,
): Promise<Step[]> {
  const steps: Step[] = []
  const add = (step: Step) => {
    steps.push(step)
    report(step)
  }
  const fail = (name: string, error: unknown, detail?: string) =>
    add({
      name,
      status: 'fail',
      detail: detail ?? codeOf(error),
      fix: messageOf(error),
      exit: exitCodeFor(error),
    })
  const skip = (name: string, why: string) => add({ name, status: 'skip', detail: why })
  const timeoutMs = options.timeoutMs ?? 10_000

  // 1. The folder
  let dir: string
  try {
    dir = await findConfigDir(io.cwd, io.env)
    add({
      name: 'config folder',
      status: 'pass',
      detail: `${dir} (${io.env['AAC_CONFIG_DIR']?.trim() ? 'from AAC_CONFIG_DIR' : `the nearest folder with ${URL_FILE}`})`,
    })
  } catch (error) {
    fail('config folder', error, 'not found')
    return steps
  }

  // 2-4. The three files, read and judged by the same functions as loadConfig, so the two never disagree.
  let url: Pick<AacConfig, 'apiUrl' | 'directUrl' | 'region'> | undefined
  try {
    url = (await loadApiUrl(dir)).url
    add({
      name: URL_FILE,
      status: 'pass',
      detail: `${url.apiUrl} (${url.region ? `region ${url.region}` : 'no region in the host name'}; /v4 calls go to ${url.directUrl})`,
    })
  } catch (error) {
    fail(URL_FILE, error)
  }
  const region = url?.region

  let projectId: string | undefined
  let projectIdFile = 'client_id.txt'
  try {
    const found = await loadProjectId(dir, region)
    projectId = found.projectId
    projectIdFile = basename(found.path)
    add({ name: 'client_id.txt', status: 'pass', detail: `${basename(found.path)}: ${mask(projectId)}` })
  } catch (error) {
    fail('client_id.txt', error)
  }

  const credsPath = join(dir, CREDS_FILE)
  let tokens: StoredTokens | undefined
  // Whether a refresh could save its new pair: if not, --refresh must not spend the refresh token.
  let credsWritable = false
  try {
    tokens = await loadCreds(credsPath, region)
    const step = await credsFileStep(credsPath)
    credsWritable = step.status !== 'fail'
    add(step)
  } catch (error) {
    fail(CREDS_FILE, error)
  }

  // 5. The access token's claims
  let claims: AccessTokenClaims | undefined
  if (tokens) {
    const decoded = decodeAccessToken(tokens.accessToken)
    if (decoded.ok) {
      claims = decoded.claims
      const left = claims.exp * 1000 - Date.now()
      const until = new Date(claims.exp * 1000).toISOString()
      add({
        name: 'access token',
        status: 'pass',
        detail:
          left <= 0
            ? `expired ${duration(left)} ago (${until}): the next call refreshes it, as normal (access tokens live minutes)`
            : isFresh(claims, Date.now())
              ? `valid for ${duration(left)} (until ${until})`
              : `expires in ${duration(left)}: the next call refreshes it`,
      })
    }
  } else {
    skip('access token', `needs a valid ${CREDS_FILE}`)
  }

  // 6. Region of aac_url.txt against the token's issuer; 7. whether the refresh token may go to that issuer
  let trust: ReturnType<typeof tokenEndpointTrust> | undefined
  let untrusted: unknown
  if (claims) {
    try {
      trust = tokenEndpointTrust(claims.iss)
    } catch (error) {
      untrusted = error
    }
  }
  if (claims && url) add(regionStep(url, claims.iss, trust?.reason === 'alteryxcloud'))
  else skip('region', `needs a valid ${URL_FILE} and ${CREDS_FILE}`)
  if (trust) {
    add({
      name: 'token endpoint',
      status: 'pass',
      detail: `${trust.endpoint} (${trustedBecause(trust.reason)})`,
    })
  } else if (claims) {
    fail('token endpoint', untrusted, 'not trusted')
  } else {
    skip('token endpoint', `needs a valid ${CREDS_FILE}`)
  }
  const endpoint = trust?.endpoint

  // 8. The lock beside creds.json (beside its target, when it is a symbolic link)
  add(await checkLock(await credsLockPath(credsPath)))

  // 9. Network: reachability with timings, the API project id, and the clock from the server's Date header
  let apiProbe: Probe | undefined
  let apiReachable = false
  let projectIdRejected = false
  if (options.offline) {
    for (const name of ['token endpoint reachable', 'API host reachable', PROJECT_ID_STEP, 'clock'])
      skip(name, 'skipped (--offline)')
  } else {
    if (endpoint) await probeStep('token endpoint reachable', endpoint)
    else skip('token endpoint reachable', 'needs a trusted token endpoint')
    if (url) {
      // The project id (not a secret) and no token: the gateway checks the key before the token, so its 401
      // judges client_id.txt whatever the token's state, and no refresh token is spent.
      apiProbe = await probeStep(
        'API host reachable',
        `${url.apiUrl}/iam/v1/workspaces/current`,
        projectId ? { 'x-api-project-id': projectId } : {},
      )
      apiReachable = apiProbe !== undefined
      if (projectId) projectIdRejected = !projectIdStep(apiProbe, url.apiUrl)
      else skip(PROJECT_ID_STEP, `needs a valid ${projectIdFile}`)
      if (url.directUrl !== url.apiUrl) {
        apiReachable =
          (await probeStep('direct host reachable', `${url.directUrl}/v4/people/current`)) !== undefined &&
          apiReachable
      }
    } else {
      skip('API host reachable', `needs a valid ${URL_FILE}`)
      skip(PROJECT_ID_STEP, `needs a valid ${URL_FILE}`)
    }
    if (apiProbe?.skewMs !== undefined) add(clockStep(apiProbe.skewMs, url!.apiUrl))
    else skip('clock', apiProbe ? 'the server sent no Date header' : 'needs a reachable API host')
  }

  // 10. The refresh token (only with --refresh), then one real call per host family
  const config = url && projectId ? { ...url, projectId } : undefined
  if (!config || !tokens || !claims || !endpoint) {
    skip('refresh token', 'needs the files above to pass')
    skip('API calls', 'need the files above to pass')
    return steps
  }
  let source: AccessTokenSource | undefined
  let fetchFn: FetchLike | undefined
  if (!options.refresh) {
    skip('refresh token', 'not tested: that spends it. aac doctor --refresh does (safely, under the lock)')
    if (isFresh(claims, Date.now()))
      ({ source, fetch: fetchFn } = storedTokenOnly(tokens.accessToken, config))
  } else if (options.offline) {
    skip('refresh token', 'skipped (--offline)')
  } else if (!credsWritable) {
    skip(
      'refresh token',
      `not run: ${CREDS_FILE} cannot be written safely (see above), so the refresh would spend the refresh token and lose the new pair. Fix ${CREDS_FILE} first`,
    )
  } else {
    const logger = debugLogger(io)
    const manager: TokenManager = createTokenManager({
      storage: fileStorage({ path: credsPath }),
      region,
      userAgent: USER_AGENT,
      ...(logger && { logger }),
    })
    try {
      await manager.refresh(io.signal)
      const expiresAt = manager.state()?.expiresAt
      add({
        name: 'refresh token',
        status: 'pass',
        detail: `works: rotated under the lock and saved to ${credsPath}${expiresAt ? `; new access token valid for ${duration(expiresAt.getTime() - Date.now())}` : ''}`,
      })
      source = manager
    } catch (error) {
      fail('refresh token', error)
    }
  }
  if (options.offline) {
    skip('API calls', 'skipped (--offline)')
  } else if (!apiReachable) {
    skip('API calls', 'need a reachable API host')
  } else if (!source) {
    const left = claims.exp * 1000 - Date.now()
    skip(
      'API calls',
      options.refresh
        ? 'need a working token'
        : `${left <= 0 ? 'the access token has expired' : `the access token expires in ${duration(left)}, too soon to test with`}: run \`aac doctor --refresh\` to check the API calls, which spends the refresh token (safely, under the lock)`,
    )
  } else {
    const client = createClient({
      config,
      tokens: source,
      userAgent: USER_AGENT,
      timeoutMs,
      retry: { retries: 0 },
      ...(fetchFn && { fetch: fetchFn }),
    })
    const signal = io.signal ? { signal: io.signal } : {}
    if (projectIdRejected) {
      skip('gateway call', `needs an API project id the gateway accepts`)
    } else {
      await callStep('gateway call', '/iam/v1/workspaces/current', async () =>
        describeWorkspace(await client.get<unknown>('/iam/v1/workspaces/current', signal)),
      )
    }
    await callStep('direct call', '/v4/people/current', async () => {
      const person = await client.get<Record<string, unknown>>('/v4/people/current', signal)
      return `you are ${String(person['name'] ?? '?')}${person['email'] ? ` <${String(person['email'])}>` : ''}`
    })
  }
  return steps

  async function probeStep(
    name: string,
    target: string,
    headers: Record<string, string> = {},
  ): Promise<Probe | undefined> {
    try {
      const answer = await probe(target, {
        timeoutMs,
        signal: io.signal,
        headers,
        config: url,
      })
      const origin = new URL(target).origin
      if (answer.status >= 500) {
        add({
          name,
          status: 'warn',
          detail: `${origin} answered ${answer.status} in ${Math.round(answer.ms)} ms`,
          fix: `The service answered with a server error: try again in a few minutes.`,
        })
      } else {
        add({
          name,
          status: 'pass',
          detail: `${origin} answered ${answer.status} in ${Math.round(answer.ms)} ms`,
        })
      }
      return answer
    } catch (error) {
      fail(name, error, 'no answer')
      return undefined
    }
  }

  /** The gateway's 401 to the probe: Apigee's key faults name client_id.txt; a plain 401 means the key passed. */
  function projectIdStep(answer: Probe | undefined, apiUrl: string): boolean {
    const code = answer?.error?.code
    if (code === 'INVALID_API_KEY' || code === 'MISSING_API_KEY') {
      fail(PROJECT_ID_STEP, answer?.error)
      return false
    }
    if (code === 'UNAUTHORIZED') {
      add({
        name: PROJECT_ID_STEP,
        status: 'pass',
        detail: `${projectIdFile}: accepted by ${new URL(apiUrl).host} (it asked for a token, not for another key)`,
      })
    } else {
      skip(
        PROJECT_ID_STEP,
        answer
          ? `not checked: ${new URL(apiUrl).host} answered ${answer.status}, not the gateway's 401`
          : 'needs a reachable API host',
      )
    }
    return true
  }

  async function callStep(name: string, path: string, call: () => Promise<string>): Promise<void> {
    const started = performance.now()
    try {
      const what = await call()
      add({
        name,
        status: 'pass',
        detail: `GET ${path}: ${what} in ${Math.round(performance.now() - started)} ms`,
      })
    } catch (error) {
      fail(name, error)
    }
  }
}

/**
 * The files are valid; also check that the refresh can write (atomically, beside the file creds.json really is:
 * a link's target) and who can read.
 */
async function credsFileStep(credsPath: string): Promise<Step> {
  const name = CREDS_FILE
  // The same verdict as the storage's, which refuses the write before a refresh: a file with several names, one
  // mounted on its own, a FIFO or a folder, a link in a loop.
  const blocking = (await checkCredsFile(credsPath)).filter((problem) => problem.blocksWrite)
  if (blocking.length > 0) {
    const kinds: Record<string, string> = {
      'hard-linked': 'hard-linked (several names)',
      'mount-point': 'mounted on its own (a bind mount of the file)',
      'not-regular': 'not a regular file',
      'symlink-loop': 'a symbolic link loop',
      'dangling-symlink': 'a symbolic link to nowhere',
    }
    return {
      name,
      status: 'fail',
      detail: `${blocking.map((problem) => kinds[problem.kind] ?? problem.kind).join(', ')}: a refresh could not save the new pair`,
      fix: blocking.map((problem) => problem.message).join(' '),
      exit: EXIT.STORAGE,
    }
  }
  const target = (await credsLockPath(credsPath)).slice(0, -'.lock'.length)
  const dir = dirname(target)
  const linked = (await lstat(credsPath)).isSymbolicLink()
    ? ` (a link to ${target}: a refresh writes there)`
    : ''
  try {
    await access(dir, constants.W_OK)
  } catch {
    return {
      name,
      status: 'fail',
      detail: `${dir} is not writable`,
      fix: `A refresh writes the new pair to a temporary file in ${dir} and renames it over ${target}; make that folder writable for this user.`,
      exit: EXIT.STORAGE,
    }
  }
  const mode = (await stat(credsPath)).mode
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    return {
      name,
      status: 'warn',
      detail: `both tokens present${linked}, but readable by other users (mode ${(mode & 0o777).toString(8)})`,
      fix: `chmod 600 ${target} (the toolkit writes it so after its next refresh).`,
    }
  }
  return { name, status: 'pass', detail: `both tokens present${linked}` }
}

/**
 * `pingauth-eu1.alteryxcloud.com` names its region; plain `pingauth` is taken for us1 (the core's reading), but
 * only a named region is sure enough to fail on.
 */
function regionStep(url: Pick<AacConfig, 'apiUrl' | 'region'>, issuer: string, alteryxIssuer: boolean): Step {
  const name = 'region'
  let host: string
  try {
    host = new URL(issuer).hostname.toLowerCase()
  } catch {
    return { name, status: 'skip', detail: 'the token names no issuer URL' }
  }
  const issuerRegion = regionOfHost(host)
  if (issuerRegion && url.region && issuerRegion !== url.region) {
    return {
      name,
      status: host.includes(issuerRegion) ? 'fail' : 'warn',
      detail: `tokens from ${issuerRegion} (${host}), aac_url.txt for ${url.region}`,
      fix: `creds.json holds tokens issued by ${host} (region ${issuerRegion}), but aac_url.txt points at ${url.apiUrl} (region ${url.region}). If your workspace is in ${issuerRegion}, write https://api.${issuerRegion}.alteryxcloud.com in aac_url.txt; otherwise generate a new pair at ${apiTokensPage(url.region)}.`,
      exit: EXIT.CONFIG,
    }
  }
  if (alteryxIssuer !== (url.region !== undefined)) {
    return {
      name,
      status: 'warn',
      detail: `tokens issued by ${host}, API at ${url.apiUrl}`,
      fix: alteryxIssuer
        ? `These are Alteryx Cloud tokens, but aac_url.txt points at ${url.apiUrl}: write your region's API URL (https://api.us1.alteryxcloud.com…) unless that host is a proxy you meant to use.`
        : `aac_url.txt points at Alteryx Cloud, but the tokens come from ${host}: generate a pair at ${apiTokensPage(url.region)}.`,
    }
  }
  return {
    name,
    status: 'pass',
    detail: issuerRegion
      ? `tokens and aac_url.txt both for ${issuerRegion}`
      : `tokens issued by ${host}${url.region ? `, API in ${url.region}` : ''}`,
  }
}

export function clockStep(skewMs: number, apiUrl: string): Step {
  const name = 'clock'
  const host = new URL(apiUrl).host
  const how = `${duration(skewMs)} ${skewMs > 0 ? 'behind' : 'ahead of'} ${host}`
  if (Math.abs(skewMs) <= CLOCK_OK_MS)
    return { name, status: 'pass', detail: `within ${duration(CLOCK_OK_MS)} of ${host}'s clock` }
  const fix = `This computer's clock is ${how}. Tokens are judged fresh by their expiry time, so a wrong clock ${skewMs < 0 ? 'makes the toolkit refresh too early (on every call once it is minutes ahead)' : 'makes it send expired tokens and depend on the 401 to renew them'}. Turn on network time (Linux: timedatectl set-ntp true; macOS: System Settings > General > Date & Time; Windows: Settings > Time & language > Sync now).`
  if (Math.abs(skewMs) <= CLOCK_BAD_MS) return { name, status: 'warn', detail: how, fix }
  // Not a file to fix, so not exit 3: 1, "any other failure".
  return { name, status: 'fail', detail: how, fix, exit: EXIT.ERROR }
}

/**
 * Server time minus local time: the Date header is truncated to the second, so the server's clock read
 * somewhere in [date, date + 1 s) while the request was in flight.
 */
export function clockSkew(dateHeader: string | null, sentAt: number, receivedAt: number): number | undefined {
  const date = dateHeader ? Date.parse(dateHeader) : Number.NaN
  if (Number.isNaN(date)) return undefined
  return Math.round(date + 500 - (sentAt + receivedAt) / 2)
}

interface ProbeOptions {
  timeoutMs: number
  signal: AbortSignal | undefined
  /** Never a token or other secret. */
  headers: Record<string, string>
  /** For the pages named in the core's messages. */
  config: Pick<AacConfig, 'apiUrl' | 'directUrl' | 'region'> | undefined
}

/** A GET without a token: any HTTP answer proves the host is reachable; a 401 is read as the core reads it. */
async function probe(target: string, options: ProbeOptions): Promise<Probe> {
  const { timeoutMs, signal } = options
  const timeout = AbortSignal.timeout(timeoutMs)
  const sentAt = Date.now()
  const started = performance.now()
  let response: Response
  try {
    response = await fetch(target, {
      headers: { ...options.headers, accept: 'application/json', 'user-agent': USER_AGENT },
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    })
  } catch (error) {
    throw describeFetchFailure(error, target, {
      method: 'GET',
      ...(timeout.aborted && { reason: 'timeout' as const, timeoutMs }),
    })
  }
  const ms = performance.now() - started
  const receivedAt = Date.now()
  const skewMs = clockSkew(response.headers.get('date'), sentAt, receivedAt)
  if (response.status === 401) {
    const error = await apiErrorFromResponse(response, { method: 'GET', url: target, config: options.config })
    return { status: response.status, ms, skewMs, error }
  }
  await response.body?.cancel().catch(() => undefined)
  return { status: response.status, ms, skewMs }
}

/**
 * The access token from creds.json, never refreshed: without --refresh the doctor must not spend the refresh
 * token, so a 401 ends the call with the core's UNAUTHORIZED error instead of a renewal. The fetch keeps a copy
 * of the 401 for it: the client has read the original by the time it asks for a renewal.
 */
function storedTokenOnly(
  accessToken: string,
  config: AacConfig,
): { source: AccessTokenSource; fetch: FetchLike } {
  let rejected: Response | undefined
  return {
    fetch: async (input, init) => {
      const response = await fetch(input, init)
      if (response.status === 401) rejected = response.clone()
      return response
    },
    source: {
      getAccessToken: async () => accessToken,
      renewAccessToken: async () => {
        if (!rejected) throw new Error('renewAccessToken called without a 401')
        throw await apiErrorFromResponse(rejected, {
          method: 'GET',
          url: rejected.url,
          config,
          secrets: [accessToken],
        })
      },
    },
  }
}

/**
 * `GET /iam/v1/workspaces/current` in a few words, from its documented fields (`name`, `id`,
 * `workspace_member_count`, `workspace_tier`, `custom_url`), each optional: whatever is there is said.
 *
 * @example
 * describeWorkspace({ id: 31429, name: 'lukes-test-workspace', workspace_member_count: 2 })
 * // 'workspace "lukes-test-workspace" (id 31429, 2 members)'
 */
export function describeWorkspace(body: unknown): string {
  const workspace = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const text = (value: unknown) =>
    typeof value === 'string' && value.trim() !== ''
      ? value.trim()
      : typeof value === 'number'
        ? String(value)
        : undefined
  const name = text(workspace['name'])
  const id = text(workspace['id'])
  const members = workspace['workspace_member_count']
  const tier = text(workspace['workspace_tier'])
  const url = text(workspace['custom_url'])
  const facts = [
    id && `id ${id}`,
    typeof members === 'number' && Number.isFinite(members) && `${members} member${members === 1 ? '' : 's'}`,
    tier && `tier ${tier}`,
    url && `at ${url}`,
  ].filter((fact): fact is string => typeof fact === 'string')
  const named = name ? `workspace ${JSON.stringify(name)}` : 'a workspace without a name'
  return facts.length > 0 ? `${named} (${facts.join(', ')})` : named
}

/** The project id is not a secret like a token, but there is no need to print all of it. */
function mask(value: string): string {
  return value.length > 10 ? `${value.slice(0, 6)}…${value.slice(-2)}` : value
}

function codeOf(error: unknown): string {
  return isAacError(error) ? error.code : error instanceof Error ? error.name : 'error'
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
