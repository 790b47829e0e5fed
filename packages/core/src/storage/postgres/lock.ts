/**
 * The PostgreSQL store's lock: the chain's session-level advisory lock (`pg_advisory_lock`), taken on a
 * connection of its own that also carries every read and write under the lock. The server queues the waiters
 * and releases the lock when its session ends, so a holder that dies (killed, cut off) frees it at once, with no
 * lease to wait out. A session lock rather than a row lock held by a transaction: the refresh record written just
 * before a refresh token is sent must be committed at once and outlive a holder that dies, which a write inside
 * the lock's transaction would not.
 */

import { StorageError } from '../../errors.ts'
import { abortReason } from '../../internal/abort.ts'
import type { ServerUrl } from '../shared/server-url.ts'
import { openSql, type PgOptions, type PgSql } from './connection.ts'
import { postgresFailure } from './errors.ts'

/** A held lock: the session holding it, and its release. */
export interface HeldPgLock {
  /** The session holding the lock: reads and writes under the lock run on it, fenced by {@link HOLDS_LOCK}. */
  readonly sql: PgSql
  /** Unlocks and closes the session. Never throws: a session that is gone has released the lock already. */
  release(): Promise<void>
}

export interface PgLockOptions extends PgOptions {
  readonly keys: readonly [number, number]
  /** How long to wait before a LOCK_TIMEOUT StorageError, in ms. */
  readonly timeoutMs: number
  /** The store, for messages. */
  readonly location: string
}

/**
 * Takes the chain's lock, waiting up to `timeoutMs`; `signal` cuts the wait short, rejecting with its reason.
 *
 * @example
 * const lock = await acquirePgLock(url, { keys, timeoutMs: 62_000, location, connectTimeoutMs: 10_000 })
 * try { await lock.sql.unsafe('select 1') } finally { await lock.release() }
 */
export async function acquirePgLock(
  url: ServerUrl,
  options: PgLockOptions,
  signal?: AbortSignal,
): Promise<HeldPgLock> {
  const { keys, timeoutMs, location } = options
  const failure = (error: unknown) => postgresFailure('Could not take the lock of', error, location)
  let sql: PgSql
  try {
    sql = await openSql(url, options)
  } catch (error) {
    throw failure(error)
  }
  const end = () => sql.end({ timeout: 5 }).catch(() => undefined)
  const params = keys.map(String)
  let onAbort: (() => void) | undefined
  try {
    if (signal?.aborted) throw abortReason(signal)
    // The server ends the wait: lock_timeout turns it into 55P03.
    await sql.unsafe(`select set_config('lock_timeout', $1, false)`, [`${Math.ceil(timeoutMs)}ms`])
    const waiting = sql.unsafe('select pg_advisory_lock($1::int4, $2::int4)', params)
    onAbort = () => waiting.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    await waiting
    // Granted just as the caller gave up: the caller is gone, so is the lock.
    if (signal?.aborted) throw abortReason(signal)
  } catch (error) {
    if (onAbort) signal?.removeEventListener('abort', onAbort)
    if (signal?.aborted) {
      await end()
      throw abortReason(signal)
    }
    if ((error as { code?: unknown }).code === '55P03') {
      const holder = await lockHolder(sql, params)
      await end()
      throw new StorageError(
        'LOCK_TIMEOUT',
        `Timed out after ${timeoutMs} ms waiting for the lock of ${location}, held by ${holder}: it is refreshing the tokens and did not finish. If that program hangs, stop it: its lock goes with its connection.`,
        { location },
      )
    }
    await end()
    throw failure(error)
  }
  if (onAbort) signal?.removeEventListener('abort', onAbort)
  return {
    sql,
    async release() {
      await sql.unsafe('select pg_advisory_unlock($1::int4, $2::int4)', params).catch(() => undefined)
      await end()
    },
  }
}

/** Who holds the lock, by its session's application_name (`aac get_workspace.ts pid 42 on worker-3`). */
async function lockHolder(sql: PgSql, params: readonly string[]): Promise<string> {
  try {
    const [row] = await sql.unsafe(
      `select a.application_name as name, a.client_addr::text as addr from pg_locks l
         join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and l.classid = $1::int8::oid
          and l.objid = $2::int8::oid and l.objsubid = 2
        limit 1`,
      params,
    )
    const name = typeof row?.name === 'string' && row.name !== '' ? row.name : 'another program'
    return row?.addr ? `${name} (from ${row.addr})` : name
  } catch {
    return 'another program'
  }
}
