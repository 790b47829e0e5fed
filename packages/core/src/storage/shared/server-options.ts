/**
 * What the stores on a server (Redis, PostgreSQL) take and offer alike: the options that mean the same in both,
 * the methods beyond `TokenStorage` both have, and how both read the chain's name and a timing option. Each
 * store's own options and interface extend these with what differs (the URL's form, the lease, reconnecting).
 */

import { StorageError } from '../../errors.ts'
import type { StoredTokens, TokenStorage } from '../types.ts'
import type { ServerUrl } from './server-url.ts'

/**
 * The options of `redisStorage` and `postgresStorage` that mean the same in both.
 *
 * @example
 * const shared: ServerStorageOptions = { url: process.env.AAC_STORE_URL!, name: 'reporting' }
 */
export interface ServerStorageOptions {
  /** The server's URL, in the form the store names. The password never appears in a message or in `location`. */
  url: string
  /**
   * The chain's name: programs sharing a pair use the same one; other names are other pairs. Default: the URL's
   * fragment (`redis://cache:6379/0#reporting`, `postgres://db.internal/ops#reporting`), else `defaultName`.
   */
  name?: string | undefined
  /** The name when neither `name` nor the URL gives one (default `default`; `loadConfig` passes the config's). */
  defaultName?: string | undefined
  /**
   * How long `withLock` waits before a `LOCK_TIMEOUT` StorageError, in ms. Default `LOCK_TIMING.waitMs` (62 s):
   * at least the refresh budget plus a margin, so that a waiter outlasts a holder that uses its whole budget,
   * and longer than the lease, so that a waiter is still there when the lease of a holder that was cut off runs
   * out.
   */
  lockTimeoutMs?: number | undefined
  /** How long to wait for a connection, in ms (default 10 s). */
  connectTimeoutMs?: number | undefined
}

/**
 * What a store on a server offers beyond `TokenStorage`: where a pair goes that could not be written, removing
 * the pair (for `aac creds move`), and closing its connections.
 *
 * @example
 * const storage: ServerTokenStorage = redisStorage({ url: 'redis://cache.internal:6379/0' })
 * await storage.close()
 */
export interface ServerTokenStorage extends TokenStorage {
  /**
   * Keeps a rotated pair that `write` could not store on the server, beside the pair (the store's description
   * says where), or, when the server cannot be reached, in a file of the temp folder; returns where.
   */
  saveRecovery(tokens: StoredTokens): Promise<string>
  /**
   * Deletes the pair and any recovered copy; true if there was a pair. For moving the pair elsewhere once it is
   * stored and verified there (`aac creds move --to file`). Take the lock around it.
   */
  remove(): Promise<boolean>
  /** Closes the connections. Optional: an idle store keeps no program from exiting. */
  close(): Promise<void>
}

/**
 * The chain's name: `name`, else the URL's fragment, else `defaultName`, else `default`; never empty.
 *
 * @example
 * chainName('redisStorage', options, parseServerUrl(options.url, …)) // 'reporting'
 */
export function chainName(store: string, options: ServerStorageOptions, url: ServerUrl): string {
  const name = options.name ?? url.name ?? options.defaultName ?? 'default'
  if (name === '') throw new StorageError('STORAGE_ERROR', `${store}({ name }) must not be empty.`)
  return name
}

/**
 * A timing option in ms: `fallback` when not given, else a finite number > 0.
 *
 * @example
 * const leaseMs = positiveMs('redisStorage', 'leaseMs', options.leaseMs, LOCK_TIMING.staleMs)
 */
export function positiveMs(
  store: string,
  option: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback
  if (!(value > 0 && Number.isFinite(value))) {
    throw new StorageError(
      'STORAGE_ERROR',
      `${store}({ ${option} }) must be a number of ms > 0, got ${value}.`,
    )
  }
  return value
}
