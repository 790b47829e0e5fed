/**
 * Every failure the library raises is an {@link AacError} with a stable `code` that programs can branch on
 * and a message that says what to do. Subclasses exist only where callers branch differently.
 *
 * Errors never carry a token: messages are built from our own words, response bodies are redacted before
 * they are kept, and the raw Response is non-enumerable so loggers that walk an error do not dump it.
 */

/** Stable codes, one per failure a caller may want to handle. Never renamed once released. */
export type AacErrorCode =
  // configuration files (aac_url.txt, client_id.txt, creds.json)
  | 'CONFIG_MISSING'
  | 'CONFIG_INVALID'
  // tokens and the token endpoint
  | 'REAUTH_REQUIRED'
  | 'TOKEN_REFRESH_FAILED'
  // the token endpoint kept answering 429 or 5xx: temporary, the tokens are unchanged
  | 'TOKEN_ENDPOINT_UNAVAILABLE'
  // a refresh was sent and its outcome is unknown (connection lost after sending, timeout, 500/502/504):
  // the pair may be lost; it was not sent again
  | 'TOKEN_REFRESH_UNCERTAIN'
  | 'UNTRUSTED_TOKEN_ENDPOINT'
  // API responses, one per row of the error table in docs/api-facts.md
  | 'INVALID_API_KEY'
  | 'MISSING_API_KEY'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'ROUTE_NOT_FOUND'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'SERVER_ERROR'
  | 'HTTP_ERROR'
  // an answer of an unexpected shape (a list without `data`, a job without `id`)
  | 'UNEXPECTED_RESPONSE'
  // jobs started with runJob
  | 'JOB_FAILED'
  | 'JOB_CANCELED'
  // transport
  | 'NETWORK_ERROR'
  | 'TLS_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  // token storage
  | 'STORAGE_ERROR'
  | 'LOCK_TIMEOUT'
  | 'TOKENS_NOT_SAVED'

export interface AacErrorOptions {
  cause?: unknown
}

/** Base class of every error this library throws. */
export class AacError extends Error {
  override readonly name: string = 'AacError'
  /** What went wrong, stable across versions: branch on it, not on the message. */
  readonly code: AacErrorCode

  constructor(code: AacErrorCode, message: string, options: AacErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined)
    this.code = code
  }

  /** A plain, token-free view for structured logs. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message }
  }
}

/** A config file is missing, empty, still holds placeholders, or does not parse. `file` names it. */
export class ConfigError extends AacError {
  override readonly name = 'ConfigError'
  /** The file (or option) at fault, as the user would type it: `creds.json`, `/home/me/aac/aac_url.txt`. */
  readonly file: string

  constructor(
    code: 'CONFIG_MISSING' | 'CONFIG_INVALID',
    file: string,
    message: string,
    options?: AacErrorOptions,
  ) {
    super(code, message, options)
    this.file = file
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), file: this.file }
  }
}

/**
 * The token pair cannot be used or renewed. `REAUTH_REQUIRED` means only the user can fix it by generating a
 * new pair in the web UI; `url` is that page for the user's region.
 */
export class AuthError extends AacError {
  override readonly name = 'AuthError'
  /** The page where the user generates a new token pair, when the fix is to generate one. */
  readonly url: string | undefined

  constructor(
    code:
      | 'REAUTH_REQUIRED'
      | 'TOKEN_REFRESH_FAILED'
      | 'TOKEN_ENDPOINT_UNAVAILABLE'
      | 'TOKEN_REFRESH_UNCERTAIN'
      | 'UNTRUSTED_TOKEN_ENDPOINT',
    message: string,
    options: AacErrorOptions & { url?: string } = {},
  ) {
    super(code, message, options)
    this.url = options.url
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), ...(this.url ? { url: this.url } : {}) }
  }
}

/** The API answered with an error status. */
export class ApiError extends AacError {
  override readonly name: string = 'ApiError'
  /** The HTTP status the API answered. */
  readonly status: number
  /** The request's method: `GET`, `POST`… */
  readonly method: string
  /** Path and query of the request (never its headers or body). */
  readonly path: string
  /** `x-trifacta-request-id`, worth quoting to Alteryx support. */
  readonly requestId: string | undefined
  /** The parsed (redacted) response body, or its text. */
  readonly body: unknown
  /** The raw response (body already read), not enumerable so that logging the error does not dump it. */
  declare readonly response: Response

  constructor(
    code: AacErrorCode,
    message: string,
    details: {
      status: number
      method: string
      path: string
      requestId?: string
      body?: unknown
      response: Response
    },
    options?: AacErrorOptions,
  ) {
    super(code, message, options)
    this.status = details.status
    this.method = details.method
    this.path = details.path
    this.requestId = details.requestId
    this.body = details.body
    // Non-enumerable: a logger that walks the error must not dump headers and streams.
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false })
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      method: this.method,
      path: this.path,
      ...(this.requestId ? { requestId: this.requestId } : {}),
    }
  }
}

/** 429 Too Many Requests. `retryAfterMs` comes from `x-retry-after` or `Retry-After`. */
export class RateLimitError extends ApiError {
  override readonly name = 'RateLimitError'
  /** How long the API asked to wait before the next request, in ms, when it said. */
  readonly retryAfterMs: number | undefined

  constructor(
    message: string,
    details: ConstructorParameters<typeof ApiError>[2] & { retryAfterMs?: number },
    options?: AacErrorOptions,
  ) {
    super('RATE_LIMITED', message, details, options)
    this.retryAfterMs = details.retryAfterMs
  }
}

/** No answer: DNS, refused connection, reset, TLS. `TLS_ERROR` carries the runtime's CA hint. */
export class NetworkError extends AacError {
  override readonly name = 'NetworkError'
}

/** The request, refresh or wait took longer than its timeout (`TIMEOUT`). */
export class TimeoutError extends AacError {
  override readonly name = 'TimeoutError'
}

/**
 * The caller stopped waiting (`ABORTED`): its signal fired (Ctrl-C, a signal handler, a UI's cancel). Apart from
 * {@link TimeoutError}: nothing was too slow, and nothing needs retrying.
 */
export class AbortedError extends AacError {
  override readonly name = 'AbortedError'

  constructor(message: string, options?: AacErrorOptions) {
    super('ABORTED', message, options)
  }
}

/** The token store could not be read, written or locked. `location` names the file or store. */
export class StorageError extends AacError {
  override readonly name = 'StorageError'
  /** The file or store that failed: a path, `memory`, an IndexedDB key. */
  readonly location: string | undefined

  constructor(
    code: 'STORAGE_ERROR' | 'LOCK_TIMEOUT' | 'TOKENS_NOT_SAVED',
    message: string,
    options: AacErrorOptions & { location?: string } = {},
  ) {
    super(code, message, options)
    this.location = options.location
  }
}

/**
 * True for any error of this library, also across realms (a worker, an iframe, a second copy of the package)
 * where `instanceof` fails.
 */
export function isAacError(error: unknown): error is AacError {
  return (
    error instanceof AacError ||
    (typeof error === 'object' &&
      error !== null &&
      typeof (error as { code?: unknown }).code === 'string' &&
      typeof (error as { name?: unknown }).name === 'string' &&
      /^(Aac|Config|Auth|Api|RateLimit|Network|Timeout|Aborted|Storage|Job)Error$/.test(
        (error as { name: string }).name,
      ))
  )
}

/** True when the user must generate a new token pair in the web UI. */
export function isReauthRequired(error: unknown): error is AuthError {
  return isAacError(error) && error.code === 'REAUTH_REQUIRED'
}
