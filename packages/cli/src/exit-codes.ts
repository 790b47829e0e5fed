/**
 * Exit codes, so scripts can tell what kind of failure happened without parsing messages. Part of the
 * command's interface: documented in `aac --help` and the README, never renumbered.
 */

import { type AacErrorCode, isAacError } from '@aac/core'

export const EXIT = {
  OK: 0,
  /** The API answered with an error, or anything not listed below. */
  ERROR: 1,
  /** Bad command line. */
  USAGE: 2,
  /** aac_url.txt, client_id.txt or creds.json is missing or wrong (including an API project id the API rejects). */
  CONFIG: 3,
  /** The tokens cannot be used or renewed: generate a new pair in the web app. */
  AUTH: 4,
  /** No answer: network, TLS (corporate proxy), timeout; or the token endpoint is temporarily unavailable. */
  NETWORK: 5,
  /** The token store (creds.json and its lock, the keychain, Redis, PostgreSQL) could not be read, written or locked. */
  STORAGE: 6,
  /** Ctrl-C (SIGINT); SIGTERM and SIGHUP end with 143 and 129 (see stopOnSignals in @aac/core/process). */
  INTERRUPTED: 130,
} as const

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the API answered with an error (or any other failure)
  2  usage error (unknown option, bad -f/-H syntax, a path that is not a path or URL)
  3  configuration: aac_url.txt, client_id.txt or creds.json missing or wrong
  4  authentication: the tokens cannot be used or renewed (generate a new pair), or the answer to a
     refresh was lost (TOKEN_REFRESH_UNCERTAIN: run again once)
  5  network: unreachable host, TLS (corporate proxy), timeout, or the token service is down for now
  6  storage: the token store (creds.json and its lock, the keychain, Redis, PostgreSQL) could not be used
  129, 130, 143 stopped by SIGHUP, Ctrl-C (SIGINT) or SIGTERM, after a refresh already sent was saved`

/** A mistake on the command line. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

const BY_CODE: Partial<Record<AacErrorCode, number>> = {
  CONFIG_MISSING: EXIT.CONFIG,
  CONFIG_INVALID: EXIT.CONFIG,
  // The gateway's 401s are about client_id.txt, not the token.
  INVALID_API_KEY: EXIT.CONFIG,
  MISSING_API_KEY: EXIT.CONFIG,
  REAUTH_REQUIRED: EXIT.AUTH,
  TOKEN_REFRESH_FAILED: EXIT.AUTH,
  // The answer to a sent refresh was lost: the pair may be lost; the next run tries it once and says.
  TOKEN_REFRESH_UNCERTAIN: EXIT.AUTH,
  UNTRUSTED_TOKEN_ENDPOINT: EXIT.AUTH,
  UNAUTHORIZED: EXIT.AUTH,
  // The token endpoint answered 429/5xx after retries: temporary, like an unreachable host.
  TOKEN_ENDPOINT_UNAVAILABLE: EXIT.NETWORK,
  NETWORK_ERROR: EXIT.NETWORK,
  TLS_ERROR: EXIT.NETWORK,
  TIMEOUT: EXIT.NETWORK,
  ABORTED: EXIT.INTERRUPTED,
  STORAGE_ERROR: EXIT.STORAGE,
  LOCK_TIMEOUT: EXIT.STORAGE,
  TOKENS_NOT_SAVED: EXIT.STORAGE,
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE
  if (isAacError(error)) return BY_CODE[error.code] ?? EXIT.ERROR
  return EXIT.ERROR
}
