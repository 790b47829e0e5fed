/**
 * The PostgreSQL store's lock, in two parts:
 *
 * - the chain's session-level advisory lock (`pg_advisory_lock`), on a connection of its own: the server queues
 *   the waiters and frees it when that session ends, so a holder that dies (killed, cut off) frees it at once;
 * - a lease in the chain's row (`lease_owner`, `lease_since`, `lease_until`), taken under the advisory lock and
 *   renewed while the holder runs: the fence of every write under the lock (a write lands only while the lease
 *   is the writer's), and what keeps the lock through a server restart, which ends every session. A taker that
 *   finds a live lease taken before the server last started waits for it: its holder may be alive and
 *   mid-refresh, reconnecting; a lease taken since belongs to a holder whose session ended, so it is dead.
 *
 * A session lock rather than a row lock held by a transaction: the refresh record written just before a refresh
 * token is sent must be committed at once and outlive a holder that dies, which a write inside the lock's
 * transaction would not.
 */

import { StorageError } from '../../errors.ts'
import { abortReason, sleep } from '../../internal/abort.ts'
import type { ServerUrl } from '../shared/server-url.ts'
import { openSql, type PgOptions, type PgSql } from './connection.ts'
import { postgresFailure } from './errors.ts'
import type { TableName } from './table.ts'

/** A held lock: the session holding it, its lease, and its release. */
export interface HeldPgLock {
  /** The lock's connection: reads and writes under the lock run on it, fenced by the lease. */
  readonly sql: PgSql
  /** The lease's owner token: a write under the lock lands only where `lease_owner` still holds it. */
  readonly owner: string
  /** Ends the lease, unlocks and closes the session. Never throws. */
  release(): Promise<void>
}

export interface PgLockOptions extends PgOptions {
  readonly table: TableName
  readonly name: string
  readonly keys: readonly [number, number]
  /** How long to wait before a LOCK_TIMEOUT StorageError, in ms. */
  readonly timeoutMs: number
  /** How long the lease outlives a holder that stopped renewing it, in ms. */
  readonly leaseMs: number
  /** The store, for messages. */
  readonly location: string
}

/**
 * Takes the chain's lock, waiting up to `timeoutMs`; `signal` cuts the wait short, rejecting with its reason.
 *
 * @example
 * const lock = await acquirePgLock(url, { table, name, keys, timeoutMs: 62_000, leaseMs: 60_000, location, connectTimeoutMs: 10_000 })
 * try { await lock.sql.unsafe('select 1') } finally { await lock.release() }
 */
export async function acquirePgLock(
  url: ServerUrl,
  options: PgLockOptions,
  signal?: AbortSignal,
): Promise<HeldPgLock> {
  const { table, name, keys, timeoutMs, leaseMs, location } = options
  const failure = (error: unknown) => postgresFailure('Could not take the lock of', error, location)
  const started = Date.now()
  let sql: PgSql
  try {
    sql = await openSql(url, options)
  } catch (error) {
    throw failure(error)
  }
  const end = () => sql.end({ timeout: 5 }).catch(() => undefined)
  const params = keys.map(String)
  const owner = crypto.randomUUID()
  try {
    for (;;) {
      await advisoryLock(sql, params, Math.max(1, timeoutMs - (Date.now() - started)), signal)
      const wait = await takeLease(sql, table, name, owner, leaseMs)
      if (wait === undefined) break
      // A lease from before the server restarted: its holder may still be refreshing. Wait for it, unlocked.
      await sql.unsafe('select pg_advisory_unlock($1::int4, $2::int4)', params)
      const left = timeoutMs - (Date.now() - started)
      if (left <= 0)
        throw new LockWaitTimeout(`the lease of ${wait.owner}, taken before the server restarted`)
      await sleep(Math.min(wait.ms, 200, left), signal)
    }
  } catch (error) {
    if (signal?.aborted) {
      await end()
      throw abortReason(signal)
    }
    if (error instanceof LockWaitTimeout || (error as { code?: unknown }).code === '55P03') {
      const holder = error instanceof LockWaitTimeout ? error.holder : await lockHolder(sql, params)
      await end()
      throw new StorageError(
        'LOCK_TIMEOUT',
        `Timed out after ${Date.now() - started} ms waiting for the lock of ${location}, held by ${holder}: it is refreshing the tokens and did not finish. If that program hangs, stop it: its lock goes with its connection.`,
        { location },
      )
    }
    await end()
    throw failure(error)
  }
  // Renewed while the holder runs; a renewal that fails (the server restarting) is tried again at the next tick.
  const timer = setInterval(
    () => {
      sql
        .unsafe(
          `update ${table.sql} set lease_until = now() + $3::int8 * interval '1 millisecond'
            where name = $1 and lease_owner = $2`,
          [name, owner, String(leaseMs)],
        )
        .catch(() => undefined)
    },
    Math.max(Math.floor(leaseMs / 3), 1),
  )
  return {
    sql,
    owner,
    async release() {
      clearInterval(timer)
      await sql
        .unsafe(
          `update ${table.sql} set lease_owner = null, lease_since = null, lease_until = null
            where name = $1 and lease_owner = $2`,
          [name, owner],
        )
        .catch(() => undefined)
      await sql.unsafe('select pg_advisory_unlock($1::int4, $2::int4)', params).catch(() => undefined)
      await end()
    },
  }
}

/** Waits for the advisory lock: the server ends the wait after `timeoutMs` (55P03), `signal` cancels it. */
async function advisoryLock(
  sql: PgSql,
  params: readonly string[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal?.aborted) throw abortReason(signal)
  await sql.unsafe(`select set_config('lock_timeout', $1, false)`, [`${Math.ceil(timeoutMs)}ms`])
  const waiting = sql.unsafe('select pg_advisory_lock($1::int4, $2::int4)', params)
  const onAbort = () => waiting.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await waiting
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  // Granted just as the caller gave up: the caller is gone, so is the lock (the session ends).
  if (signal?.aborted) throw abortReason(signal)
}

/**
 * Takes the chain's lease, creating its row if needed; or, when a live lease taken before the server last
 * started is in the way, says how long it has left and whose it is.
 */
async function takeLease(
  sql: PgSql,
  table: TableName,
  name: string,
  owner: string,
  leaseMs: number,
): Promise<{ ms: number; owner: string } | undefined> {
  await sql.unsafe(`insert into ${table.sql} (name) values ($1) on conflict (name) do nothing`, [name])
  const [row] = await sql.unsafe(
    `select lease_owner, greatest(0, extract(epoch from lease_until - now()) * 1000)::int8 as left_ms
       from ${table.sql}
      where name = $1 and lease_owner is not null and lease_until > now()
        and lease_since < pg_postmaster_start_time()`,
    [name],
  )
  if (row) return { ms: Number(row.left_ms), owner: 'a program whose connection the restart cut' }
  await sql.unsafe(
    `update ${table.sql} set lease_owner = $2, lease_since = now(),
            lease_until = now() + $3::int8 * interval '1 millisecond'
      where name = $1`,
    [name, owner, String(leaseMs)],
  )
  return undefined
}

class LockWaitTimeout extends Error {
  constructor(readonly holder: string) {
    super(holder)
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
