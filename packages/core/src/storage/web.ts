import { StorageError } from '../errors.ts'
import { LOCK_TIMING } from '../lock-timing.ts'
import { assertWritable, decodePairText, encodePair, PAIR_SHAPE } from './pair-codec.ts'
import type { StoredTokens, TokenStorage } from './types.ts'
import type {
  IdbDatabase,
  IdbFactory,
  IdbObjectStore,
  IdbRequest,
  IdbTransaction,
  IdbTransactionMode,
} from './web/idb-types.ts'

/**
 * An asynchronous key-value store of strings: where {@link webStorage} keeps the pair. {@link indexedDbArea}
 * by default; tests pass an in-memory double.
 */
export interface WebStorageArea {
  /** The value stored under `key`; `null` or `undefined` when there is none. Never served from a cache. */
  get(key: string): Promise<string | null | undefined>
  /** Resolves once the value is stored for good: every later `get`, in any tab, sees it. */
  set(key: string, value: string): Promise<void>
  /** Where the value of `key` lives, for messages: `IndexedDB "aac" › tokens › "aac.tokens"`. */
  describe?(key: string): string
}

/**
 * The part of the Web Locks API (`navigator.locks`) the adapter uses. Browsers grant a named lock to one
 * holder at a time across every tab, window and worker of the origin.
 */
export interface WebLocks {
  /** Calls `callback` holding the lock `name`, waiting for it first; the lock is released when it settles. */
  request<T>(
    name: string,
    options: { mode?: 'exclusive'; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>
}

/**
 * Options of {@link webStorage}: the key, where the pair lives and the lock manager that tabs share.
 *
 * @example
 * const storage = webStorage({ key: 'my-app.tokens' })
 */
export interface WebStorageOptions {
  /** The key holding the pair (default `aac.tokens`). */
  key?: string
  /** Where the pair lives (default `indexedDbArea()`: IndexedDB database `aac`, object store `tokens`). */
  area?: WebStorageArea
  /** The lock manager (default `globalThis.navigator.locks`). */
  locks?: WebLocks
  /** The Web Lock every tab sharing `key` takes before a refresh (default `aac.tokens.lock:<key>`). */
  lockName?: string
  /**
   * How long `withLock` waits for another tab before a `LOCK_TIMEOUT` StorageError. Default
   * `LOCK_TIMING.waitMs` (62 s): more than the refresh budget plus a margin, so a tab outlasts another that uses its whole
   * refresh budget (the rule in `TokenStorage`'s doc comment). A browser releases a closed tab's lock itself,
   * so there is no stale age to set.
   */
  lockTimeoutMs?: number
}

/** Options of {@link indexedDbArea}: the database and object store to keep values in. */
export interface IndexedDbAreaOptions {
  /** The database name (default `aac`). */
  database?: string
  /** The object store holding the values, created on first use (default `tokens`). */
  store?: string
  /** The IndexedDB factory (default `globalThis.indexedDB`). */
  indexedDB?: IdbFactory
}

/** A {@link WebStorageArea} in IndexedDB, which can also delete a key. */
export interface IndexedDbArea extends WebStorageArea {
  /** Where the value of `key` lives, for messages: `IndexedDB "aac" › tokens › "aac.tokens"`. */
  describe(key: string): string
  /** Removes the value stored under `key`. */
  delete(key: string): Promise<void>
}

/**
 * Keeps the pair in IndexedDB and serializes refreshes across tabs with Web Locks, so several tabs of one app
 * spend each single-use refresh token once between them: the token manager re-reads the store after taking the
 * lock and adopts a pair another tab rotated meanwhile (the auth0-spa-js pattern).
 *
 * Why IndexedDB and not localStorage: Chromium gives each tab its own copy of localStorage and delivers other
 * tabs' writes later, so a tab that takes the lock right after another rotated can read the old pair and spend a
 * dead refresh token (measured: two tabs × 300 locked read-increment-writes of a localStorage counter ended at
 * 565 of 600). A transaction awaited to `complete` inside the lock, read back by a new transaction: 600 of 600.
 *
 * Security: anything stored here is readable by every script that runs on the origin (your code, each
 * dependency, an injected script) and by extensions with access to the page. Use it for local tools and
 * development; a deployed app should keep the refresh token on a server.
 *
 * There is no fallback to an in-tab mutex when Web Locks are missing: the store is shared by every tab, so a
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
  const lockTimeoutMs = options.lockTimeoutMs ?? LOCK_TIMING.waitMs
  const area = options.area ?? indexedDbArea()
  const locks = options.locks ?? defaultLocks()
  const location = area.describe?.(key) ?? `key "${key}" of the area given to webStorage()`

  const failure = (what: string, error: unknown) =>
    new StorageError('STORAGE_ERROR', `${what} ${location} (${describe(error)}): ${hint(error)}`, {
      cause: error,
      location,
    })

  return {
    location,
    async read() {
      let text: string | null | undefined
      try {
        text = await area.get(key)
      } catch (error) {
        throw failure('Could not read the tokens from', error)
      }
      if (text === null || text === undefined) return undefined
      return parsePair(text, location)
    },
    async write(tokens) {
      assertWritable(tokens, location)
      const text = JSON.stringify(encodePair(tokens))
      try {
        await area.set(key, text)
      } catch (error) {
        throw failure('Could not save the tokens to', error)
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

/**
 * A {@link WebStorageArea} in one object store of an IndexedDB database, shared by every tab of the origin.
 * Each `get` and `set` runs in a transaction of its own; `set` resolves when its transaction completes (with
 * `durability: 'strict'`), so a tab that takes the lock afterwards reads the new value.
 *
 * @example
 * const area = indexedDbArea({ database: 'my-app' })
 * const storage = webStorage({ area })
 * await area.delete('aac.tokens') // forget the pair
 */
export function indexedDbArea(options: IndexedDbAreaOptions = {}): IndexedDbArea {
  const database = options.database ?? 'aac'
  const store = options.store ?? 'tokens'
  const factory = options.indexedDB ?? defaultIndexedDb()
  let connection: Promise<IdbDatabase> | undefined

  const connect = (): Promise<IdbDatabase> => {
    if (connection) return connection
    const opening = openWithStore(factory, database, store).then((db) => {
      const forget = () => {
        if (connection === opening) connection = undefined
      }
      // Let another tab upgrade or delete the database instead of blocking it; the next call reopens.
      db.onversionchange = () => {
        db.close()
        forget()
      }
      // Closed by the browser (site data cleared, disk error): the next call reopens.
      db.onclose = forget
      return db
    })
    opening.catch(() => {
      if (connection === opening) connection = undefined
    })
    connection = opening
    return opening
  }

  const run = async <T>(
    mode: IdbTransactionMode,
    body: (objects: IdbObjectStore) => IdbRequest<T>,
  ): Promise<T> => {
    let transaction: IdbTransaction
    try {
      transaction = begin(await connect(), store, mode)
    } catch (error) {
      // The cached connection closed since (another tab upgraded the database): once more on a new one.
      if (describe(error) !== 'InvalidStateError') throw error
      connection = undefined
      transaction = begin(await connect(), store, mode)
    }
    return new Promise<T>((resolve, reject) => {
      const request = body(transaction.objectStore(store))
      transaction.oncomplete = () => resolve(request.result)
      transaction.onabort = () =>
        reject(
          transaction.error ??
            request.error ??
            new DOMException('The transaction was aborted.', 'AbortError'),
        )
    })
  }

  return {
    describe: (key) => `IndexedDB "${database}" › ${store} › "${key}"`,
    async get(key) {
      const value: unknown = await run('readonly', (objects) => objects.get(key))
      if (value === undefined || typeof value === 'string') return value
      // Put there by other code as an object: let the pair's own checks judge it.
      return JSON.stringify(value)
    },
    async set(key, value) {
      await run('readwrite', (objects) => objects.put(value, key))
    },
    async delete(key) {
      await run('readwrite', (objects) => objects.delete(key))
    },
  }
}

function begin(db: IdbDatabase, store: string, mode: IdbTransactionMode): IdbTransaction {
  // 'strict': complete only once the data is on disk (the default in Chromium is 'relaxed').
  return mode === 'readwrite'
    ? db.transaction(store, mode, { durability: 'strict' })
    : db.transaction(store, mode)
}

/** Opens `database`, adding `store` with a version upgrade when another store of the same database exists. */
async function openWithStore(factory: IdbFactory, database: string, store: string): Promise<IdbDatabase> {
  let version: number | undefined
  for (let attempt = 0; ; attempt++) {
    let db: IdbDatabase
    try {
      db = await open(factory, database, store, version)
    } catch (error) {
      // Another tab upgraded past `version` first: open whatever is there now.
      if (describe(error) !== 'VersionError' || attempt >= 3) throw error
      version = undefined
      continue
    }
    if (db.objectStoreNames.contains(store) || attempt >= 3) return db
    version = db.version + 1
    db.close()
  }
}

function open(factory: IdbFactory, database: string, store: string, version?: number): Promise<IdbDatabase> {
  return new Promise((resolve, reject) => {
    let blocked = false
    const request = version === undefined ? factory.open(database) : factory.open(database, version)
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store)
    }
    request.onsuccess = () => {
      // Unblocked after we gave up: nobody waits for this connection any more.
      if (blocked) request.result.close()
      else resolve(request.result)
    }
    request.onerror = () =>
      reject(request.error ?? new DOMException('Could not open the database.', 'UnknownError'))
    request.onblocked = () => {
      blocked = true
      reject(new DOMException('A connection of another tab blocks the upgrade.', 'BlockedError'))
    }
  })
}

/** What to do about an IndexedDB (or other area) failure, by the error's name. */
function hint(error: unknown): string {
  switch (describe(error)) {
    case 'QuotaExceededError':
      return "the browser's storage for this site is full. Free disk space or clear other data of this site, then try again."
    case 'BlockedError':
      return 'another tab of this site keeps the database open with an older version of the page. Reload or close the other tabs of this site.'
    case 'InvalidStateError':
    case 'SecurityError':
    case 'NotAllowedError':
    case 'UnknownError':
      return "the browser refuses IndexedDB to this page (private browsing in some browsers, site data blocked in its settings, or a damaged profile). Allow site data for this site or use a normal window; if it persists, clear this site's data and store a new pair."
    default:
      return 'try again, or reload the page.'
  }
}

function defaultIndexedDb(): IdbFactory {
  let factory: IdbFactory | undefined
  try {
    factory = (globalThis as { indexedDB?: IdbFactory }).indexedDB
  } catch (error) {
    // Some browsers throw a SecurityError here on opaque origins and when the user blocks site data.
    throw new StorageError(
      'STORAGE_ERROR',
      `IndexedDB is not available here (${describe(error)}): allow site data for this page, or pass webStorage({ area }).`,
      { cause: error },
    )
  }
  if (!factory) {
    throw new StorageError(
      'STORAGE_ERROR',
      'This runtime has no IndexedDB: webStorage() is for browsers. Pass webStorage({ area }), or use memoryStorage() / fileStorage() outside a browser.',
    )
  }
  return factory
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

/**
 * The pair codec's reading of the stored value. A value that is not JSON gets this store's own message (the
 * key can be removed); every other problem the codec's, as a StorageError: the value is no file the user edits.
 */
function parsePair(text: string, location: string): StoredTokens {
  const read = decodePairText(text, { where: location, fix: 'store a new pair there' })
  if (read.ok) return read.tokens
  if (read.problem.kind === 'not-json') {
    throw new StorageError(
      'STORAGE_ERROR',
      `${location} does not hold valid JSON. Store a ${PAIR_SHAPE} pair there, or remove the key and store a new pair.`,
      { location },
    )
  }
  throw new StorageError('STORAGE_ERROR', read.problem.message, { location })
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name
  return name === 'AbortError' || name === 'TimeoutError'
}

function describe(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name
  return typeof name === 'string' ? name : String(error)
}
