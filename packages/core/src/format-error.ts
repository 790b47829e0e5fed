import { isAacError } from './errors.ts'
import { permissionDenial } from './internal/permission-hint.ts'
import { redactOwnText, redactText } from './redact.ts'

/** Options of {@link formatError}: a stack trace, and more values to keep out of the text. */
export interface FormatErrorOptions {
  /** Append the stack trace (for `AAC_DEBUG`). */
  stack?: boolean | undefined
  /** Token values to redact besides anything token-shaped. */
  secrets?: Iterable<string> | undefined
}

/**
 * One line for a terminal: what failed and what to do, with the error's code and request id.
 *
 * Our own errors' messages are the library's sentences, built from its own words and from outside text that
 * was redacted where it was quoted: they lose known tokens and anything JWT-shaped, but no key pattern runs over
 * them (which would take `"access_token": "..."` in a sentence for a secret). Everything from outside — other
 * libraries' messages, causes, stack traces, request ids — is redacted in full.
 *
 * @example
 * catch (error) { console.error(formatError(error)); process.exitCode = 1 }
 */
export function formatError(error: unknown, options: FormatErrorOptions = {}): string {
  const secrets = [...(options.secrets ?? [])]
  const outside = (text: string) => redactText(text, secrets)
  let line: string
  const denial = permissionDenial(error)
  if (denial) {
    // Deno's sandbox, not the user's files: the one useful fact is the flag to add.
    const what =
      denial.target === undefined
        ? `${denial.kind} access`
        : `${denial.kind} access to "${outside(denial.target)}"`
    line = `error: Deno denied ${what}: run again with ${denial.flag} added to the deno command.`
  } else if (isAacError(error)) {
    // ApiError messages already quote their request id.
    const requestId = (error as { requestId?: unknown }).requestId
    const quoted = typeof requestId === 'string' && !error.message.includes(requestId)
    line = `error [${error.code}]: ${redactOwnText(error.message, secrets)}${quoted ? ` (request id ${outside(requestId)})` : ''}`
  } else if (error instanceof Error) {
    line = `error: ${outside(error.message)}`
  } else {
    line = `error: ${outside(String(error))}`
  }
  if (options.stack && error instanceof Error && error.stack) {
    line += `\n${outside(error.stack.split('\n').slice(1).join('\n'))}`
    if (error.cause instanceof Error)
      line += `\ncaused by: ${outside(error.cause.stack ?? error.cause.message)}`
  }
  return line
}
