/** Headers as `aac api -i` and `--verbose` show them: every credential hidden, whatever its header's name. */

import { STATUS_CODES } from 'node:http'
import { redactText } from '@aac/core'
import type { Paint } from '../io.ts'

const REDACTED = '[REDACTED]'

/** Headers whose value is a credential whatever it looks like (`x-amzn-remapped-authorization`, `x-auth-token`…). */
const SECRET_HEADER = /authorization|cookie|token|secret|password|api-?key|session/i

/**
 * One header's value as it may be shown: our own `Authorization` as `Bearer ***`, other credential headers as
 * `[REDACTED]`, and every other value without the known tokens (and their parts) and anything token-shaped.
 *
 * @example
 * shownHeader('authorization', `Bearer ${token}`, secrets) // 'Bearer ***'
 */
export function shownHeader(name: string, value: string, secrets: readonly string[]): string {
  if (name.toLowerCase() === 'authorization') return /^bearer\s/i.test(value) ? 'Bearer ***' : '***'
  return SECRET_HEADER.test(name) ? REDACTED : redactText(value, secrets)
}

/** `HTTP 200 OK`. */
export function statusLine(status: number): string {
  return `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd()
}

/**
 * The status line and headers, as `curl -i` prints them, with credentials hidden: a server may echo the
 * request's Authorization (or a renamed copy), set a session cookie, or quote a token in any header.
 *
 * @example
 * responseHead(200, response.headers, paint, session.tokenManager.secrets())
 */
export function responseHead(
  status: number,
  headers: Headers,
  paint: Paint,
  secrets: readonly string[] = [],
): string {
  let text = `${paint('bold', statusLine(status))}\n`
  for (const [name, value] of headers) {
    // An echoed Authorization is the server's copy: hidden whole, like any other credential header.
    const shown = SECRET_HEADER.test(name) ? REDACTED : redactText(value, secrets)
    text += `${paint('cyan', name)}: ${shown}\n`
  }
  return `${text}\n`
}
