import { StorageError } from '../errors.ts'
import type { StoredTokens, TokenStorage } from './types.ts'

/** The part of the Web Storage API the adapter uses: `localStorage`, `sessionStorage` or a test double. */
export interface WebStorageArea {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/**
 * The part of the Web Locks API (`navigator.locks`) the adapter uses. Browsers grant a named lock to one
 * holder at a time across every tab, window and worker of the origin.
 */
export interface WebLocks {
  request<T>(
    name: string,
    options: { mode?: 'exclusive'; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>
}

export interface WebStorageOptions {
  /** The storage key holding the pair (default `aac.tokens`). */
  key?: string
  /** Where the pair lives (default `globalThis.localStorage`, shared by every tab of the origin). */
  storage?: WebStorageArea
  /** The lock manager (default `globalThis.navigator.locks`). */
  locks?: WebLocks
  /** The Web Lock every tab sharing `key` takes before a refresh (default `aac.tokens.lock:<key>`). */
  lockName?: string
  /** How long `withLock` waits for another tab before a `LOCK_TIMEOUT` StorageError (default 30 s). */
  lockTimeoutMs?: number
}

const PAIR_SHAPE = '{"access_token": "...", "refresh_token": "..."}'

/**
 * Keeps the pair in the browser (localStorage by default) and serializes refreshes across tabs with Web Locks,
 * so several tabs of one app spend each single-use refresh token once between them: the token manager re-reads
 * the store after taking the lock and adopts a pair another tab rotated meanwhile (the auth0-spa-js pattern).
 *
 * Security: anything stored here is readable by every script that runs on the origin (your code, each
 * dependency, an injected script) and by extensions with access to the page. Use it for local tools and
 * development; a deployed app should keep the refresh token on a server.
 *
 * There is no fallback to an in-tab mutex when Web Locks are missing: localStorage is shared by every tab, so a
 * lock that only one tab honours would let two tabs spend the same refresh token. Web Locks exist in every
 * current browser, but only in secure contexts (https, or http on localhost).
 *
 * @example
 * import { createClient, webStorage } from '@aac/core'
 *
 * const client = createClient({ config, storage: webStorage() })
 * const workspace = await client.get('/iam/v1/workspaces/current')
 */
export function webStorage(options: WebStorageOptions = {}): TokenStorage {
  const key = options.key ?? 'aac.tokens'
  const lockName = options.lockName ?? `aac.tokens.lock:${key}`
  const lockTimeoutMs = options.lockTimeoutMs ?? 30_000
  const storage = options.storage ?? defaultStorage()
  const locks = options.locks ?? defaultLocks()
  const location = `localStorage key "${key}"`

  return {
    location,
    async read() {
      let text: string | null
      try {
        text = storage.getItem(key)
      } catch (error) {
        throw new StorageError('STORAGE_ERROR', `Could not read ${location} (${describe(error)}).`, {
          cause: error,
          location,
        })
      }
      if (text === null) return undefined
      return parsePair(text, location)
    },
    async write(tokens) {
      if (!isToken(tokens.accessToken) || !isToken(tokens.refreshToken)) {
        throw new StorageError(
          'STORAGE_ERROR',
          `Refusing to store an empty or non-string token in ${location}; it was left unchanged.`,
          { location },
        )
      }
      const text = JSON.stringify({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken })
      try {
        storage.setItem(key, text)
      } catch (error) {
        // QuotaExceededError, or storage disabled by the user's privacy settings.
        throw new StorageError(
          'STORAGE_ERROR',
          `Could not save the tokens to ${location} (${describe(error)}): the browser's storage is full or disabled for this site.`,
          { cause: error, location },
        )
      }
    },
    async withLock(fn) {
      const signal = AbortSignal.timeout(lockTimeoutMs)
      // Once granted, the signal no longer matters, but it still fires: an error fn throws after lockTimeoutMs
      // (its own TimeoutError, say) is fn's, not a wait that timed out.
      let granted = false
      try {
        // The signal only cuts the wait: once granted, the lock is held until fn settles.
        return await locks.request(lockName, { mode: 'exclusive', signal }, () => {
          granted = true
          return fn()
        })
      } catch (error) {
        if (!granted && signal.aborted && isAbort(error)) {
          throw new StorageError(
            'LOCK_TIMEOUT',
            `Timed out after ${lockTimeoutMs} ms waiting for the Web Lock "${lockName}": another tab of this site is refreshing the tokens in ${location} and did not finish. Close tabs that hang, or reload this one.`,
            { cause: error, location },
          )
        }
        throw error
      }
    },
  }
}

function defaultStorage(): WebStorageArea {
  let storage: WebStorageArea | undefined
  try {
    storage = (globalThis as { localStorage?: WebStorageArea }).localStorage
  } catch (error) {
    // Reading localStorage throws a SecurityError on opaque origins and when the user blocks site data.
    throw new StorageError(
      'STORAGE_ERROR',
      `localStorage is not available here (${describe(error)}): allow site data for this page, or pass webStorage({ storage }).`,
      { cause: error },
    )
  }
  if (!storage) {
    throw new StorageError(
      'STORAGE_ERROR',
      'This runtime has no localStorage: webStorage() is for browsers. Pass webStorage({ storage }), or use memoryStorage() / fileStorage() outside a browser.',
    )
  }
  return storage
}

function defaultLocks(): WebLocks {
  const locks = (globalThis as { navigator?: { locks?: WebLocks } }).navigator?.locks
  if (!locks) {
    throw new StorageError(
      'STORAGE_ERROR',
      'navigator.locks (the Web Locks API) is not available, and without it two tabs could spend the same single-use refresh token. Browsers offer it only in secure contexts: serve the page over https or from http://localhost. Elsewhere pass webStorage({ locks }) with a lock that every user of the same storage honours.',
    )
  }
  return locks
}

function parsePair(text: string, location: string): StoredTokens {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new StorageError(
      'STORAGE_ERROR',
      `${location} does not hold valid JSON. Store a ${PAIR_SHAPE} pair there, or remove the key and store a new pair.`,
      { location },
    )
  }
  const record =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  const accessToken = record['access_token']
  const refreshToken = record['refresh_token']
  if (!isToken(accessToken) || !isToken(refreshToken)) {
    throw new StorageError(
      'STORAGE_ERROR',
      `${location} must hold ${PAIR_SHAPE} with both tokens. Store a new pair there.`,
      { location },
    )
  }
  return { accessToken, refreshToken }
}

function isToken(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== ''
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name
  return name === 'AbortError' || name === 'TimeoutError'
}

function describe(error: unknown): string {
  return error instanceof Error ? error.name : String(error)
}
