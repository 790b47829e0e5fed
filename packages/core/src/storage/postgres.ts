/**
 * `@aac/core/storage/postgres`: the token pair in a row of a PostgreSQL table, shared by every program on every
 * machine that points at the same database and chain name. Its parts live in `./postgres/`: the connections
 * (`connection.ts`), the lock (`lock.ts`), the table and its SQL (`table.ts`) and what failures mean
 * (`errors.ts`). The client is postgres.js (the `postgres` package, an optional peer dependency), imported on
 * first use.
 */

import { StorageError } from '../errors.ts'
import { sleep } from '../internal/abort.ts'
import { createMutex } from '../internal/mutex.ts'
import { LOCK_MARGIN_MS, LOCK_TIMING } from '../lock-timing.ts'
import { assertWritable, decodePair, encodePair } from './pair-codec.ts'
import { type PgSql, pgClient } from './postgres/connection.ts'
import { isConnectionFailure, postgresFailure } from './postgres/errors.ts'
import { acquirePgLock, type HeldPgLock } from './postgres/lock.ts'
import { createTableSql, lockKeys, setupHint, type TableName, tableName } from './postgres/table.ts'
import { runHoldingLock } from './shared/exclusive.ts'
import { thisHolder } from './shared/holder.ts'
import { IMPORT_PAIR_HINT, parseStoredPair } from './shared/new-pair.ts'
import { isNewerPair, saveLocalRecovery } from './shared/recovery.ts'
import {
  chainName,
  positiveMs,
  type ServerStorageOptions,
  type ServerTokenStorage,
} from './shared/server-options.ts'
import { parseServerUrl } from './shared/server-url.ts'
import type { StoredTokens } from './types.ts'

export type { ServerStorageOptions, ServerTokenStorage } from './shared/server-options.ts'

const STORE = 'postgresStorage'

/**
 * Options of {@link postgresStorage}: the database, the chain's name, the table and the lock's wait.
 *
 * @example
 * const storage = postgresStorage({ url: 'postgres://app@db.internal/ops', name: 'reporting', table: 'ops.aac_tokens' })
 */
export interface PostgresStorageOptions extends ServerStorageOptions {
  /**
   * `postgres://[user[:password]@]host[:port]/database[?sslmode=require]` (or `postgresql://`). The password
   * never appears in a message or in `location`.
   */
  url: string
  /** The table (`name` or `schema.name`), created when missing. Default `aac_tokens`. */
  table?: string | undefined
  /**
   * How long the lease in the chain's row outlives a holder that stopped renewing it, in ms: what keeps the lock
   * through a server restart (which ends the advisory lock's session) while its holder reconnects. Default
   * `LOCK_TIMING.staleMs` (60 s). A holder that dies frees the lock at once all the same; tests use less.
   */
  leaseMs?: number | undefined
  /**
   * How long `saveRecovery` keeps trying to reach a server that went away (a restart) before it falls back to a
   * file in the temp folder, in ms (default `LOCK_MARGIN_MS`, 10 s).
   */
  reconnectMs?: number | undefined
}

/** A {@link ServerTokenStorage} in PostgreSQL. */
export interface PostgresTokenStorage extends ServerTokenStorage {
  /** `postgres://user@host:port/db › <table> › <name>`, without the URL's password. */
  readonly location: string
  /** The table, as given. */
  readonly table: string
  /** The chain's name: the row's key. */
  readonly name: string
}

/**
 * Keeps the token pair in PostgreSQL, for programs on several machines sharing one token chain: any number of
 * them make exactly one refresh per rotation between them.
 *
 * - The pair is one row per chain (`name`, `pair` as the JSON creds.json holds, `recovered`, `updated_at`, and
 *   the lock's lease) in a table created when missing (`CREATE TABLE IF NOT EXISTS`), or created once by its
 *   owner when the store's user may not create tables (the error says how).
 * - The lock is the chain's session-level advisory lock, held by a connection of its own for the whole of
 *   `withLock`: the server queues waiters and frees it when that connection ends, so a holder that dies frees
 *   it at once. With it the holder takes a lease in the row, renewed while it runs, which fences its writes
 *   (they land only while the lease is its own) and keeps the lock through a server restart (see
 *   postgres/lock.ts). Reads and writes under the lock are each committed as they run: the record a refresh
 *   leaves just before its refresh token is sent must outlive a holder that dies. Reads outside the lock see
 *   committed pairs.
 * - A pair the fenced write refused (its holder was cut off past its lease) goes to the row's `recovered` list
 *   (`saveRecovery`); the next program that reads under the lock adopts it if it is newer.
 *
 * Needs a session of its own on the server: not a pooler in transaction mode (PgBouncer's `pool_mode =
 * transaction`), which would move the lock between clients.
 *
 * @example
 * import { createClient } from '@aac/core'
 * import { postgresStorage } from '@aac/core/storage/postgres'
 *
 * const storage = postgresStorage({ url: 'postgres://app:secret@db.internal/ops', name: 'reporting' })
 * const client = createClient({ config, storage })
 */
export function postgresStorage(options: PostgresStorageOptions): PostgresTokenStorage {
  const url = parseServerUrl(options.url, { store: STORE, schemes: ['postgres', 'postgresql'] })
  const name = chainName(STORE, options, url)
  const table = tableName(options.table ?? 'aac_tokens')
  const location = `${url.shown} › ${table.shown} › ${name}`
  const setup = setupHint(table, decodeURIComponent(new URL(url.url).username) || 'the store user')
  const keys = lockKeys(table, name)
  const lockTimeoutMs = positiveMs(STORE, 'lockTimeoutMs', options.lockTimeoutMs, LOCK_TIMING.waitMs)
  const connectTimeoutMs = positiveMs(STORE, 'connectTimeoutMs', options.connectTimeoutMs, 10_000)
  const reconnectMs = positiveMs(STORE, 'reconnectMs', options.reconnectMs, LOCK_MARGIN_MS)
  const leaseMs = positiveMs(STORE, 'leaseMs', options.leaseMs, LOCK_TIMING.staleMs)
  const client = pgClient(url, { connectTimeoutMs })
  const mutex = createMutex()
  const fail = (action: string, error: unknown) => postgresFailure(action, error, location, setup)
  // The table is looked for once per store object (and again after a failure).
  let tableReady: Promise<void> | undefined
  const ensureTable = (sql: PgSql) => {
    tableReady ??= createTable(sql, table).catch((error: unknown) => {
      tableReady = undefined
      throw error
    })
    return tableReady
  }
  // The lock this store object holds, while inside withLock.
  let held: HeldPgLock | undefined
  const hold = (lock: HeldPgLock | undefined) => {
    held = lock
  }
  // A recovered pair that read() returned but could not store: its entry goes once a write stores it or a newer one.
  let pending: { id: string; tokens: StoredTokens } | undefined

  const save = (sql: PgSql, tokens: StoredTokens, owner?: string, dropId = '') =>
    savePair(sql, { table, name, location }, tokens, owner, dropId)

  const readLocked = async (lock: HeldPgLock): Promise<StoredTokens | undefined> => {
    let row: Record<string, unknown> | undefined
    try {
      ;[row] = await whileReconnecting(reconnectMs, async () => {
        await ensureTable(lock.sql)
        return lock.sql.unsafe(`select pair, recovered from ${table.sql} where name = $1`, [name])
      })
    } catch (error) {
      throw fail('Could not read the tokens from', error)
    }
    const current = typeof row?.pair === 'string' ? parseStoredPair(row.pair, location) : undefined
    let best: { id: string; tokens: StoredTokens } | undefined
    for (const entry of Array.isArray(row?.recovered) ? row.recovered : []) {
      const read = decodePair(entry?.pair, { where: `${location} › recovered` })
      if (read.ok && typeof entry.id === 'string' && isNewerPair(read.tokens, best?.tokens ?? current)) {
        best = { id: entry.id, tokens: read.tokens }
      }
    }
    if (!best) return current
    try {
      await save(lock.sql, best.tokens, lock.owner, best.id)
    } catch {
      // Returned all the same (its access token may serve as is); the next write that stores it removes it.
      pending = best
    }
    return best.tokens
  }

  return {
    location,
    newPairHint: IMPORT_PAIR_HINT,
    table: table.shown,
    name,
    async read() {
      if (held) return readLocked(held)
      let rows: Array<Record<string, unknown>>
      try {
        rows = await client.use(async (sql) => {
          await ensureTable(sql)
          return sql.unsafe(`select pair from ${table.sql} where name = $1`, [name])
        })
      } catch (error) {
        throw fail('Could not read the tokens from', error)
      }
      const pair = rows[0]?.pair
      return typeof pair === 'string' ? parseStoredPair(pair, location) : undefined
    },
    async write(tokens) {
      assertWritable(tokens, location)
      const done = pending
      const settles =
        done && (tokens.refreshToken === done.tokens.refreshToken || isNewerPair(tokens, done.tokens))
      const lock = held
      try {
        if (lock) {
          // Under the lock, a server that restarts is waited for: the lease fences the write, and a write
          // that landed before the connection broke lands again the same.
          await whileReconnecting(reconnectMs, async () => {
            await ensureTable(lock.sql)
            await save(lock.sql, tokens, lock.owner, settles ? done.id : '')
          })
        } else {
          await client.use(async (sql) => {
            await ensureTable(sql)
            await save(sql, tokens, undefined, settles ? done.id : '')
          })
        }
      } catch (error) {
        if (error instanceof StorageError) throw error
        throw fail('Could not save the tokens to', error)
      }
      if (settles && pending === done) pending = undefined
    },
    withLock(fn, { signal } = {}) {
      const acquire = async () => {
        await (tableReady ?? client.use(ensureTable)).catch((error: unknown) => {
          throw fail('Could not take the lock of', error)
        })
        return acquirePgLock(
          url,
          { table, name, keys, timeoutMs: lockTimeoutMs, leaseMs, location, connectTimeoutMs },
          signal,
        )
      }
      return runHoldingLock(mutex, acquire, hold, fn, signal)
    },
    async saveRecovery(tokens) {
      const holder = thisHolder()
      const id = crypto.randomUUID()
      const entry = { id, saved_at: new Date().toISOString(), saved_by: holder, pair: encodePair(tokens) }
      try {
        await whileReconnecting(reconnectMs, () =>
          client.use(async (sql) => {
            await ensureTable(sql)
            await sql.unsafe(
              `insert into ${table.sql} as t (name, recovered) values ($1, jsonb_build_array($2::jsonb))
               on conflict (name) do update set recovered = coalesce(t.recovered, '[]'::jsonb) || excluded.recovered`,
              // postgres.js serializes a jsonb parameter itself: a string would be stored as a JSON string.
              [name, entry],
            )
          }),
        )
        return `${location} › recovered › ${id}`
      } catch {
        // The server is out of reach (for longer than reconnectMs), or refuses: the pair must still land somewhere.
      }
      return saveLocalRecovery(tokens, `postgres-${name}`, location)
    },
    async remove() {
      const remove = async (sql: PgSql) => {
        await ensureTable(sql)
        return sql.unsafe(`delete from ${table.sql} where name = $1 returning pair`, [name])
      }
      try {
        const rows = held ? await remove(held.sql) : await client.use(remove)
        pending = undefined
        return typeof rows[0]?.pair === 'string'
      } catch (error) {
        throw fail('Could not delete the tokens from', error)
      }
    },
    close: () => client.close(),
  }
}

/**
 * Writes the pair: without `owner`, an upsert; with it, an update that lands only while the lease is `owner`'s
 * (else a StorageError, nothing written). `dropId`: a recovered entry the pair settles, removed in the same step.
 */
async function savePair(
  sql: PgSql,
  { table, name, location }: { table: TableName; name: string; location: string },
  tokens: StoredTokens,
  owner: string | undefined,
  dropId: string,
): Promise<void> {
  const recovered = `case when $3 = '' then t.recovered else nullif(
    coalesce((select jsonb_agg(e) from jsonb_array_elements(t.recovered) e where e->>'id' <> $3), '[]'), '[]') end`
  const text = JSON.stringify(encodePair(tokens))
  if (owner === undefined) {
    await sql.unsafe(
      `insert into ${table.sql} as t (name, pair, updated_at) values ($1, $2, now())
       on conflict (name) do update set pair = excluded.pair, updated_at = excluded.updated_at,
         recovered = ${recovered}`,
      [name, text, dropId],
    )
    return
  }
  const rows = await sql.unsafe(
    `update ${table.sql} as t set pair = $2, updated_at = now(), recovered = ${recovered}
      where name = $1 and lease_owner = $4
      returning 1 as written`,
    [name, text, dropId, owner],
  )
  if (rows.length === 0) {
    throw new StorageError(
      'STORAGE_ERROR',
      `Refused to write the tokens to ${location}: this program no longer holds its lock (its lease ran out while it was cut off from the server or paused), so another program may have changed the tokens since. The pair stored there was left as it is.`,
      { location },
    )
  }
}

/** Runs `operation`, again while it fails for want of a connection (a restarting server), for up to `ms`. */
async function whileReconnecting<T>(ms: number, operation: () => Promise<T>): Promise<T> {
  const started = Date.now()
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      if (!isConnectionFailure(error) || Date.now() - started > ms) throw error
      await sleep(Math.min(100 * 2 ** attempt, 1_000))
    }
  }
}

/** Creates the table unless it exists (checked first: a user who may not create tables may still use it). */
async function createTable(sql: PgSql, table: TableName): Promise<void> {
  const [found] = await sql.unsafe('select to_regclass($1) is not null as found', [table.regclass])
  if (found?.found === true) return
  try {
    await sql.unsafe(createTableSql(table))
  } catch (error) {
    // Two programs created it at once: the loser's error (a duplicate type or table) means it exists.
    const code = (error as { code?: unknown }).code
    if (code !== '23505' && code !== '42P07') throw error
  }
}
