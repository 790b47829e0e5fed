import { isAacError } from './errors.ts'
import { permissionDenial } from './internal/permission-hint.ts'
import { redactText } from './internal/redact.ts'

export interface FormatErrorOptions {
  /** Append the stack trace (for `AAC_DEBUG`). */
  stack?: boolean
  /** Token values to redact besides anything token-shaped. */
  secrets?: Iterable<string>
}

/**
 * One line for a terminal: what failed and what to do, with the error's code and request id. Errors from other
 * libraries are redacted too, since their messages may quote a header or a body.
 *
 * @example
 * catch (error) { console.error(formatError(error)); process.exitCode = 1 }
 */
export function formatError(error: unknown, options: FormatErrorOptions = {}): string {
  const secrets = options.secrets ?? []
  let line: string
  const denial = permissionDenial(error)
  if (denial) {
    // Deno's sandbox, not the user's files: the one useful fact is the flag to add.
    const what =
      denial.target === undefined ? `${denial.kind} access` : `${denial.kind} access to "${denial.target}"`
    line = `error: Deno denied ${what}: run again with ${denial.flag} added to the deno command.`
  } else if (isAacError(error)) {
    // ApiError messages already quote their request id.
    const requestId = (error as { requestId?: unknown }).requestId
    const quoted = typeof requestId === 'string' && !error.message.includes(requestId)
    line = `error [${error.code}]: ${error.message}${quoted ? ` (request id ${requestId})` : ''}`
  } else if (error instanceof Error) {
    line = `error: ${error.message}`
  } else {
    line = `error: ${String(error)}`
  }
  if (options.stack && error instanceof Error && error.stack) {
    line += `\n${error.stack.split('\n').slice(1).join('\n')}`
    if (error.cause instanceof Error) line += `\ncaused by: ${error.cause.stack ?? error.cause.message}`
  }
  return redactText(line, secrets)
}
