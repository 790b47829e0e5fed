/**
 * `aac api --verbose`: each request the client sends and each answer's status line and headers, on stderr,
 * like `gh api --verbose` and `curl -v`. The access token shows as `Bearer ***`; bodies are never shown.
 */

import { type FetchLike, redactText } from '@aac/core'
import type { Output, Paint } from '../io.ts'
import { shownHeader, statusLine } from './headers.ts'

/**
 * A fetch that traces through `out` and then calls the global fetch (looked up per call, as the core does).
 *
 * @example
 * const client = cliClient(io, session.config, session.tokenManager, { fetch: tracingFetch(io.stderr, paint, secrets) })
 */
export function tracingFetch(out: Output, paint: Paint, secrets: () => readonly string[]): FetchLike {
  return async (input, init) => {
    // Not `new Request(input, init)`: that would take a stream body away from the real call.
    const url = new URL(input instanceof Request ? input.url : String(input))
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
    const known = secrets()
    let text = `${paint('bold', `> ${method} ${redactText(url.pathname + url.search, known)}`)}\n`
    text += `${paint('dim', '>')} ${paint('cyan', 'host')}: ${url.host}\n`
    for (const [name, value] of headers) {
      text += `${paint('dim', '>')} ${paint('cyan', name)}: ${shownHeader(name, value, known)}\n`
    }
    out.write(`${text}${paint('dim', '>')}\n`)
    const started = performance.now()
    const response = await globalThis.fetch(input, init)
    const ms = Math.round(performance.now() - started)
    let answer = `${paint('bold', `< ${statusLine(response.status)}`)} ${paint('dim', `(${ms} ms)`)}\n`
    for (const [name, value] of response.headers) {
      answer += `${paint('dim', '<')} ${paint('cyan', name)}: ${shownHeader(name, value, known)}\n`
    }
    out.write(`${answer}${paint('dim', '<')}\n`)
    return response
  }
}
