/**
 * The network, without a token: whether the token endpoint and the API hosts answer (and how fast), whether the
 * gateway accepts client_id.txt, and the clock against the server's Date header. No refresh token is spent.
 */

import { apiErrorFromResponse, describeFetchFailure } from '@aac/core/diagnostics'
import { URL_FILE } from '@aac/core/fs'
import { EXIT } from '../exit-codes.ts'
import { USER_AGENT } from '../session.ts'
import { duration } from '../time.ts'
import { type ApiUrl, type Check, type DoctorSession, OFFLINE, type Probe } from './check.ts'
import { PROJECT_ID_FILE } from './files.ts'
import { failed, type Step, skipped } from './steps.ts'

/** Clock differences up to this are normal (the Date header has 1 s resolution). */
const CLOCK_OK_MS = 10_000
/** Beyond this, token expiry is judged wrongly by more than the refresh margin (60 s). */
const CLOCK_BAD_MS = 60_000

export const tokenEndpointReachable: Check = async (session) => {
  const name = 'token endpoint reachable'
  const { endpoint } = session.found
  if (session.offline) return { steps: [skipped(name, OFFLINE)] }
  if (!endpoint) return { steps: [skipped(name, 'needs a trusted token endpoint')] }
  return { steps: [(await probeStep(session, name, endpoint)).step] }
}

export const apiHostReachable: Check = async (session) => {
  const name = 'API host reachable'
  const { url, projectId } = session.found
  if (session.offline) return { steps: [skipped(name, OFFLINE)] }
  if (!url) return { steps: [skipped(name, `needs a valid ${URL_FILE}`)] }
  // The project id (not a secret) and no token: the gateway checks the key before the token, so its 401 judges
  // client_id.txt whatever the token's state, and no refresh token is spent.
  const { step, probe } = await probeStep(
    session,
    name,
    `${url.apiUrl}/iam/v1/workspaces/current`,
    projectId ? { 'x-api-project-id': projectId } : {},
  )
  return { steps: [step], found: probe ? { apiProbe: probe, apiReachable: true } : { apiReachable: false } }
}

/** Whether the gateway accepts client_id.txt: judged by the API host probe, which sends it. */
export const apiProjectId: Check = ({ offline, found: { url, projectId, projectIdFile, apiProbe } }) => {
  const name = 'API project id'
  if (offline) return { steps: [skipped(name, OFFLINE)] }
  if (!url) return { steps: [skipped(name, `needs a valid ${URL_FILE}`)] }
  if (!projectId) return { steps: [skipped(name, `needs a valid ${PROJECT_ID_FILE}`)] }
  const host = new URL(url.apiUrl).host
  const code = apiProbe?.error?.code
  // Apigee's key faults name client_id.txt; a plain 401 means the key passed and a token was asked for.
  if (code === 'INVALID_API_KEY' || code === 'MISSING_API_KEY') {
    return { steps: [failed(name, apiProbe?.error)], found: { projectIdRejected: true } }
  }
  if (code === 'UNAUTHORIZED') {
    const detail = `${projectIdFile ?? PROJECT_ID_FILE}: accepted by ${host} (it asked for a token, not for another key)`
    return { steps: [{ name, status: 'pass', detail }] }
  }
  const why = apiProbe
    ? `not checked: ${host} answered ${apiProbe.status}, not the gateway's 401`
    : 'needs a reachable API host'
  return { steps: [skipped(name, why)] }
}

/** `/v4` lives on a host of its own on Alteryx Cloud; on loopback both families share one (nothing to add). */
export const directHostReachable: Check = async (session) => {
  const { url, apiReachable } = session.found
  if (session.offline || !url || url.directUrl === url.apiUrl) return { steps: [] }
  const { step, probe } = await probeStep(
    session,
    'direct host reachable',
    `${url.directUrl}/v4/people/current`,
  )
  return { steps: [step], found: { apiReachable: probe !== undefined && apiReachable === true } }
}

export const clock: Check = ({ offline, found: { url, apiProbe } }) => {
  if (offline) return { steps: [skipped('clock', OFFLINE)] }
  if (apiProbe?.skewMs !== undefined && url) return { steps: [clockStep(apiProbe.skewMs, url.apiUrl)] }
  return {
    steps: [skipped('clock', apiProbe ? 'the server sent no Date header' : 'needs a reachable API host')],
  }
}

/** Probes `target`: any HTTP answer passes (a 5xx warns), no answer fails with the core's network message. */
async function probeStep(
  session: DoctorSession,
  name: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<{ step: Step; probe?: Probe }> {
  try {
    const answer = await probe(target, {
      timeoutMs: session.timeoutMs,
      signal: session.io.signal,
      headers,
      config: session.found.url,
    })
    const detail = `${new URL(target).origin} answered ${answer.status} in ${Math.round(answer.ms)} ms`
    if (answer.status >= 500) {
      const fix = 'The service answered with a server error: try again in a few minutes.'
      return { step: { name, status: 'warn', detail, fix }, probe: answer }
    }
    return { step: { name, status: 'pass', detail }, probe: answer }
  } catch (error) {
    return { step: failed(name, error, 'no answer') }
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
  config: ApiUrl | undefined
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
