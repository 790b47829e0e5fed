import type { ServerResponse } from 'node:http'
import { STATUS_CODES } from 'node:http'
import { TOKEN_PATH } from './context.ts'
import { sendJson, sendText, v4Exception } from './http.ts'
import type { Fault } from './types.ts'

/** The `iss` an `untrusted-iss` fault puts in the access token when it names none. */
export const UNTRUSTED_ISSUER_DEFAULT = 'https://login.evil.example/as'

/** Faults that apply only at the token endpoint: a `path`, if any, can only be the token endpoint's. */
const TOKEN_ONLY_KINDS = [
  'drop-after-rotate',
  'late-after-rotate',
  'same-access-token',
  'expired-access-token',
  'untrusted-iss',
  'redirect',
] as const satisfies ReadonlyArray<Fault['kind']>
const TOKEN_ONLY = new Set<string>(TOKEN_ONLY_KINDS)

const KINDS = ['status', 'delay', 'unauthorized', ...TOKEN_ONLY_KINDS] as const satisfies ReadonlyArray<
  Fault['kind']
>

const REDIRECT_STATUSES = [301, 302, 303, 307, 308]

interface Queued {
  fault: Fault
  remaining: number
}

/** Queued faults, consumed in injection order by the first request each one matches. */
export class FaultQueue {
  #queue: Queued[] = []

  add(fault: Fault): void {
    const problem = faultProblem(fault)
    if (problem) throw new TypeError(`invalid fault ${JSON.stringify(fault)}: ${problem}`)
    this.#queue.push({ fault: { ...fault }, remaining: fault.times ?? 1 })
  }

  /** Consumes one use of the first queued fault `matches` accepts. */
  take<K extends Fault['kind']>(
    kind: K,
    matches: (fault: Extract<Fault, { kind: K }>) => boolean = () => true,
  ) {
    return this.takeFirst((fault) => fault.kind === kind && matches(fault as Extract<Fault, { kind: K }>)) as
      | Extract<Fault, { kind: K }>
      | undefined
  }

  /** Consumes one use of the first queued fault, of whatever kind, that `matches` accepts. */
  takeFirst(matches: (fault: Fault) => boolean): Fault | undefined {
    const index = this.#queue.findIndex((q) => matches(q.fault))
    const queued = this.#queue[index]
    if (!queued) return undefined
    queued.remaining -= 1
    if (queued.remaining <= 0) this.#queue.splice(index, 1)
    return queued.fault
  }

  clear(): void {
    this.#queue = []
  }
}

/** Why `value` is not a {@link Fault}, or undefined if it is one. Control API bodies arrive untyped. */
export function faultProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a fault is an object with a "kind"'
  const f = value as Record<string, unknown>
  const times = f['times']
  if (times !== undefined && !(Number.isInteger(times) && (times as number) > 0)) {
    return '"times" must be a positive integer'
  }
  const path = f['path']
  if (path !== undefined && !(typeof path === 'string' && path.startsWith('/'))) {
    return '"path" must be a pathname starting with "/"'
  }
  const kind = f['kind']
  if (path !== undefined && path !== TOKEN_PATH && typeof kind === 'string' && TOKEN_ONLY.has(kind)) {
    return `"${kind}" applies to the token endpoint only: "path" must be "${TOKEN_PATH}" or absent`
  }
  switch (kind) {
    case 'status': {
      const status = f['status']
      if (!(Number.isInteger(status) && (status as number) >= 400 && (status as number) <= 599)) {
        return '"status" must be an integer from 400 to 599'
      }
      const retry = f['retryAfterSeconds']
      if (retry !== undefined && !(typeof retry === 'number' && retry >= 0 && Number.isFinite(retry))) {
        return '"retryAfterSeconds" must be a number >= 0'
      }
      const afterRotate = f['afterRotate']
      if (afterRotate !== undefined && typeof afterRotate !== 'boolean')
        return '"afterRotate" must be a boolean'
      if (afterRotate && path !== undefined && path !== TOKEN_PATH) {
        return `"afterRotate" applies to the token endpoint only: "path" must be "${TOKEN_PATH}" or absent`
      }
      return undefined
    }
    case 'delay':
    case 'late-after-rotate': {
      const ms = f['ms']
      return typeof ms === 'number' && ms >= 0 && Number.isFinite(ms)
        ? undefined
        : '"ms" must be a number >= 0'
    }
    case 'untrusted-iss': {
      const issuer = f['issuer']
      return issuer === undefined || isHttpUrl(issuer)
        ? undefined
        : '"issuer" must be an absolute http(s) URL'
    }
    case 'redirect': {
      if (!isHttpUrl(f['location'])) return '"location" must be an absolute http(s) URL'
      const status = f['status']
      return status === undefined || REDIRECT_STATUSES.includes(status as number)
        ? undefined
        : `"status" of a redirect must be one of ${REDIRECT_STATUSES.join(', ')}`
    }
    case 'unauthorized':
    case 'drop-after-rotate':
    case 'same-access-token':
    case 'expired-access-token':
      return undefined
    default:
      return `"kind" must be one of ${KINDS.join(', ')}`
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** A fault's `path`, if any, is the exact pathname; without one it matches every (non-control) request. */
export function pathMatches(fault: { path?: string }, path: string): boolean {
  return fault.path === undefined || fault.path === path
}

/** Answers a request the way the real service answers with this status. */
export function sendStatusFault(
  res: ServerResponse,
  fault: Extract<Fault, { kind: 'status' }>,
  atTokenEndpoint: boolean,
): void {
  const { status } = fault
  if (status === 429) {
    const retryAfter = fault.retryAfterSeconds ?? 1
    sendJson(
      res,
      429,
      v4Exception(
        'TooManyRequestsException',
        'Too many requests',
        `Rate limit exceeded, retry in ${retryAfter} seconds`,
      ),
      {
        'x-retry-after': String(retryAfter),
        'x-rate-limit-user-limit': '30',
        'x-rate-limit-user-remaining': '0',
        'x-rate-limit-user-reset': String(retryAfter),
        'x-rate-limit-workspace-limit': '1000',
        'x-rate-limit-workspace-remaining': '970',
        'x-rate-limit-workspace-reset': String(retryAfter),
      },
    )
    return
  }
  if (atTokenEndpoint) {
    // OAuth error bodies, so a client's invalid_grant handling can be driven by a fault too.
    const error = status >= 500 ? 'server_error' : status === 400 ? 'invalid_grant' : 'invalid_request'
    sendJson(
      res,
      status,
      { error, error_description: `Injected fault: HTTP ${status}` },
      { 'cache-control': 'no-store' },
    )
    return
  }
  if (status === 401) {
    sendText(res, 401, 'Unauthorized')
    return
  }
  const name = status >= 500 ? 'InternalServerError' : 'HttpError'
  sendJson(res, status, v4Exception(name, STATUS_CODES[status] ?? 'Error', `Injected fault: HTTP ${status}`))
}
