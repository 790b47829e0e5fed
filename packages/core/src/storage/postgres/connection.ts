/**
 * The PostgreSQL store's connections: postgres.js (the `postgres` package, an optional peer dependency) imported
 * on first use. One connection for reads and writes outside the lock, opened when needed and closed once idle
 * (so a program that is done exits without closing the store), and one session per `withLock`, which holds the
 * chain's advisory lock and carries every read and write under it.
 */

import { StorageError } from '../../errors.ts'
import { thisHolder } from '../shared/holder.ts'
import type { ServerUrl } from '../shared/server-url.ts'

/** A running statement: its rows once done; `cancel()` asks the server to stop it. */
export interface PendingQuery extends Promise<Array<Record<string, unknown>>> {
  cancel(): void
}

/** The part of a postgres.js instance the store uses (its own types stay out of our declarations). */
export interface PgSql {
  unsafe(query: string, parameters?: readonly unknown[]): PendingQuery
  end(options?: { timeout?: number }): Promise<void>
}

export interface PgOptions {
  /** How long to wait for a connection, in ms. */
  readonly connectTimeoutMs: number
}

/**
 * A postgres.js instance of one connection to `url`, named after this program in pg_stat_activity (so that a
 * waiter can say who holds the lock).
 *
 * @example
 * const session = await openSql(url, { connectTimeoutMs: 10_000 })
 * await session.unsafe('select 1')
 * await session.end()
 */
export async function openSql(url: ServerUrl, options: PgOptions): Promise<PgSql> {
  const postgres = await importPostgres()
  const holder = thisHolder()
  const applicationName = `aac ${holder.program} pid ${holder.pid ?? '?'}${holder.host ? ` on ${holder.host}` : ''}`
  return postgres(url.url, {
    ...settledOptions(url),
    max: 1,
    connect_timeout: Math.max(1, Math.ceil(options.connectTimeoutMs / 1000)),
    // Only text, integers and booleans cross: no round trip at connect to learn array types.
    fetch_types: false,
    // postgres.js prints notices ("relation already exists, skipping") with console.log by default.
    onnotice: () => undefined,
    connection: { application_name: applicationName.slice(0, 63) },
  })
}

/** Runs statements on one connection opened when needed and closed once no statement runs. */
export interface PgClient {
  use<T>(fn: (sql: PgSql) => Promise<T>): Promise<T>
  close(): Promise<void>
}

/**
 * @example
 * const client = pgClient(url, { connectTimeoutMs: 10_000 })
 * const rows = await client.use((sql) => sql.unsafe('select pair from aac_tokens where name = $1', ['default']))
 */
export function pgClient(url: ServerUrl, options: PgOptions): PgClient {
  let sql: Promise<PgSql> | undefined
  let busy = 0
  const close = async () => {
    const open = sql
    sql = undefined
    const instance = await open?.catch(() => undefined)
    await instance?.end({ timeout: 5 }).catch(() => undefined)
  }
  return {
    async use(fn) {
      busy++
      try {
        sql ??= openSql(url, options)
        const instance = await sql.catch((error: unknown) => {
          sql = undefined
          throw error
        })
        return await fn(instance)
      } finally {
        busy--
        // Idle: close, so that a program that is done can exit; the next statement connects again.
        if (busy === 0) await close()
      }
    },
    close,
  }
}

/**
 * Every option postgres.js would otherwise look up in the environment (PGSSL, PGIDLE_TIMEOUT…), given: Deno
 * refuses environment access not granted, and a setting the user did not make should not change the store.
 * The URL's own `sslmode`/`ssl` is left to postgres.js. `target_session_attrs`: the store writes, so a primary.
 */
function settledOptions(url: ServerUrl): object {
  const query = new URL(url.url).searchParams
  return {
    ...(!query.has('ssl') && !query.has('sslmode') && { ssl: false }),
    ...(!query.has('sslnegotiation') && { sslnegotiation: null }),
    idle_timeout: null,
    max_lifetime: null,
    max_pipeline: 100,
    backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 2),
    keep_alive: 60,
    prepare: true,
    debug: false,
    publications: 'alltables',
    ...(!query.has('target_session_attrs') && { target_session_attrs: 'read-write' }),
  }
}

type PostgresFactory = (url: string, options: object) => PgSql

/** postgres.js, or a StorageError saying how to install it. */
async function importPostgres(): Promise<PostgresFactory> {
  try {
    return ((await import('postgres')) as unknown as { default: PostgresFactory }).default
  } catch (error) {
    throw new StorageError(
      'STORAGE_ERROR',
      'postgresStorage needs the postgres package (postgres.js), an optional peer dependency of @aac/core: install it with `npm install postgres@^3` (pnpm add, bun add, or deno add npm:postgres).',
      { cause: error },
    )
  }
}
