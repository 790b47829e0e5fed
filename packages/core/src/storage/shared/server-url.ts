/**
 * The URL of a token store on a server (Redis, PostgreSQL) as messages show it: without its password, which may
 * sit in the URL and must never reach a message, a log line or an error's `location`.
 */

import { StorageError } from '../../errors.ts'

/** A store URL, parsed and checked, and how messages show it. */
export interface ServerUrl {
  /** The URL for the client library: as given (with its password), less its fragment. */
  readonly url: string
  /** The chain's name the URL's fragment gives (`redis://cache/0#reporting`), if any. */
  readonly name: string | undefined
  /** The URL without its password (`redis://app@cache.internal:6379/0`), for messages. */
  readonly shown: string
  /** The URL's scheme without its colon: `redis`, `rediss`, `postgres`… */
  readonly scheme: string
}

/**
 * Parses `url`, refusing a scheme not in `schemes`, and hides its password for messages.
 *
 * @example
 * parseServerUrl('redis://app:s3cret@cache:6379/0', { store: 'redisStorage', schemes: ['redis', 'rediss'] }).shown
 * // 'redis://app@cache:6379/0'
 */
export function parseServerUrl(
  url: string,
  { store, schemes }: { store: string; schemes: readonly string[] },
): ServerUrl {
  const wanted = schemes.map((scheme) => `${scheme}://`).join(' or ')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // Never quote it: the text may hold a password.
    throw new StorageError('STORAGE_ERROR', `${store}({ url }) is not a URL: give ${wanted}host:port/….`)
  }
  const scheme = parsed.protocol.replace(/:$/, '')
  if (!schemes.includes(scheme)) {
    throw new StorageError('STORAGE_ERROR', `${store}({ url }) must start with ${wanted}, not ${scheme}://.`)
  }
  const name = parsed.hash.length > 1 ? decodeURIComponent(parsed.hash.slice(1)) : undefined
  const hash = url.indexOf('#')
  return { url: hash < 0 ? url : url.slice(0, hash), name, shown: withoutPassword(parsed), scheme }
}

/** The URL without its password, its query string (which may carry one too: `?password=`) and its fragment. */
function withoutPassword(url: URL): string {
  const user = url.username ? `${url.username}@` : ''
  return `${url.protocol}//${user}${url.host}${url.pathname === '/' ? '' : url.pathname}`
}
