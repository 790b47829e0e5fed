import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  POSTGRES_LIMITED,
  POSTGRES_PASSWORD,
  type PostgresServer,
  startPostgresServer,
} from '../../../test/servers/postgres.ts'
import { StorageError } from '../src/errors.ts'
import {
  type PostgresStorageOptions,
  type PostgresTokenStorage,
  postgresStorage,
} from '../src/storage/postgres.ts'
import type { StoredTokens } from '../src/storage/types.ts'
import { contractOn, serverStoreTests } from './store-test-kit.ts'

let server: PostgresServer
beforeAll(async () => {
  server = await startPostgresServer()
})
afterAll(() => server?.close())

contractOn('postgresStorage', () => ({ servers: { postgres: server.url } }))

const { store, track, pair, sharedCases, aacStoreCase } = serverStoreTests({
  module: 'postgres',
  url: () => server.url,
  open: (options: PostgresStorageOptions) => postgresStorage(options),
  location: (chain) => `postgres://postgres@127.0.0.1:${server.port}/postgres › aac_tokens › ${chain}`,
  expectNoRecovered: async (storage: PostgresTokenStorage) => {
    expect(await row(storage, 'recovered')).toBe('')
  },
  unreachable: () => postgresStorage({ url: 'postgres://u@127.0.0.1:1/db', name: 'gone', reconnectMs: 200 }),
})

/** The stored row, as psql sees it. */
async function row(storage: PostgresTokenStorage, column = 'pair'): Promise<string> {
  return (await server.psql(`select ${column} from ${storage.table} where name = '${storage.name}'`)).trim()
}

describe('postgresStorage', () => {
  it('creates its table and keeps one row per chain, the pair as the JSON creds.json holds', async () => {
    await server.psql('create schema ops')
    const storage = store({ table: 'ops.tokens' })
    expect(storage.location).toBe(
      `postgres://postgres@127.0.0.1:${server.port}/postgres › ops.tokens › ${storage.name}`,
    )
    await storage.write({ accessToken: 'a', refreshToken: 'r', meta: { clockOffsetMs: 5 } })
    await storage.write({ accessToken: 'b', refreshToken: 's' })
    expect(JSON.parse(await row(storage))).toEqual({ access_token: 'b', refresh_token: 's' })
    expect(await server.psql(`select count(*) from ops.tokens where name = '${storage.name}'`)).toBe('1\n')
  })

  it('never shows the password of the URL', async () => {
    const storage = store({ url: server.urlFor({ password: POSTGRES_PASSWORD }) })
    expect(storage.location).not.toContain(POSTGRES_PASSWORD)
    expect(JSON.stringify(storage)).not.toContain(POSTGRES_PASSWORD)
  })

  it('refuses a wrong password with a StorageError naming the store, not the password', async () => {
    const storage = postgresStorage({ url: server.urlFor({ password: 'wrong-secret' }) })
    const error = (await storage.read().catch((caught: unknown) => caught)) as StorageError
    expect(error).toBeInstanceOf(StorageError)
    expect(error.message).toContain(
      `Could not read the tokens from postgres://postgres@127.0.0.1:${server.port}/postgres › aac_tokens › default: the server refused the user name or password of the URL (28P01`,
    )
    expect(error.message).not.toContain('wrong-secret')
  })

  it('says nothing answers when no server listens there, at once', async () => {
    const storage = postgresStorage({ url: 'postgres://app:hidden-secret@127.0.0.1:1/db' })
    const error = (await storage.read().catch((caught: unknown) => caught)) as StorageError
    expect(error.message).toMatch(
      /^Could not read the tokens from postgres:\/\/app@127\.0\.0\.1:1\/db › aac_tokens › default: nothing accepts connections .*ECONNREFUSED.*start the PostgreSQL server/,
    )
    expect(error.message).not.toContain('hidden-secret')
  })

  it('names a database that does not exist', async () => {
    const storage = postgresStorage({ url: server.urlFor({ database: 'nowhere' }) })
    await expect(storage.read()).rejects.toThrow(
      /the database of the URL does not exist \(database "nowhere" does not exist\)/,
    )
  })

  it('a user who may not create the table is told the SQL its owner runs once; with it, the store works', async () => {
    const limited = server.urlFor({ user: POSTGRES_LIMITED.name, password: POSTGRES_LIMITED.password })
    const storage = store({ url: limited, table: 'shared_tokens' })
    const error = (await storage.write(pair('limited')).catch((caught: unknown) => caught)) as StorageError
    expect(error.message).toContain(
      'the user of the URL lacks a permission the store needs (permission denied for schema public)',
    )
    expect(error.message).toContain(`create table if not exists "shared_tokens" (`)
    expect(error.message).toContain(
      `grant select, insert, update on "shared_tokens" to "${POSTGRES_LIMITED.name}";`,
    )
    // What the message says, run by the owner:
    const sql = error.message.slice(error.message.indexOf('create table'))
    await server.psql(sql)
    const again = store({ url: limited, table: 'shared_tokens', name: storage.name })
    await again.write(pair('limited'))
    expect(await again.withLock(() => again.read())).toEqual(pair('limited'))
  })

  it('refuses a table name that is not a plain identifier', () => {
    expect(() => postgresStorage({ url: server.url, table: 'tokens; drop table x' })).toThrow(
      /must be a table name or schema\.table/,
    )
    expect(() => postgresStorage({ url: 'mysql://x/y' })).toThrow(
      /must start with postgres:\/\/ or postgresql:\/\//,
    )
  })

  it('a value that is not a pair is a StorageError naming the row; the row is left alone', async () => {
    const storage = store()
    await storage.write(pair('ok'))
    await server.psql(`update aac_tokens set pair = 'not json' where name = '${storage.name}'`)
    await expect(storage.read()).rejects.toThrow(`${storage.location} does not hold valid JSON`)
    expect(await row(storage)).toBe('not json')
  })

  it('a holder that dies frees the lock at once, with its connection', async () => {
    const storage = store()
    // Another program holds the lock; its connection is then cut, as when it is killed.
    const postgres = (await import('postgres')).default
    const holder = postgres(server.url, { max: 1, onnotice: () => undefined })
    const [row] = await holder.unsafe('select pg_backend_pid() as pid')
    const pid = Number(row?.pid)
    await holder.unsafe('select pg_advisory_lock($1::int4, $2::int4)', await lockKeysOf(storage))
    const waiter = postgresStorage({ url: server.url, name: storage.name, lockTimeoutMs: 10_000 })
    track(waiter)
    const waiting = waiter.withLock(async () => 'taken')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const started = Date.now()
    await server.psql(`select pg_terminate_backend(${pid})`)
    expect(await waiting).toBe('taken')
    expect(Date.now() - started).toBeLessThan(1_000)
    await holder.end({ timeout: 0 }).catch(() => undefined)
  })

  it('a waiter gives up with LOCK_TIMEOUT naming the holder', async () => {
    const storage = store()
    const other = postgresStorage({ url: server.url, name: storage.name, lockTimeoutMs: 300 })
    const error = (await storage
      .withLock(() => other.withLock(async () => 'ran'))
      .catch((caught: unknown) => caught)) as StorageError
    expect(error.code).toBe('LOCK_TIMEOUT')
    expect(error.message).toMatch(
      new RegExp(
        `waiting for the lock of ${escapeRegExp(storage.location)}, held by aac .* pid ${process.pid}`,
      ),
    )
  })

  it('a holder that lost its session cannot write: the pair stays, and its own goes to recovery', async () => {
    const a = store()
    const b = postgresStorage({ url: server.url, name: a.name })
    track(b)
    await a.write(pair('start', 10))
    const older = pair('older', 5)
    const refused = await a
      .withLock(async () => {
        // What a holder whose server restarted sees: its session (and lock) is gone, and another took the lock.
        await server.psql(
          `select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid() and application_name like 'aac %' and state = 'idle'`,
        )
        await b.withLock(() => b.write(pair('newer')))
        return a.write(older)
      })
      .catch((caught: unknown) => caught)
    expect((refused as Error).message).toContain(
      `Refused to write the tokens to ${a.location}: this program no longer holds its lock`,
    )
    expect(await a.read()).toEqual(pair('newer'))
    const where = await a.saveRecovery(older)
    expect(where).toMatch(new RegExp(`^${escapeRegExp(a.location)} › recovered › [0-9a-f-]{36}$`))
    expect(JSON.parse(await row(a, 'recovered'))[0].pair.refresh_token).toBe('refresh-older')
    // Older than the stored pair: a read under the lock keeps the newer pair and leaves the copy for the user.
    expect(await a.withLock(() => a.read())).toEqual(pair('newer'))
  })

  it('a server restart while a program holds the lock: the lock holds through it (its lease), its write lands', async () => {
    const a = store({ leaseMs: 5_000 })
    const b = postgresStorage({ url: server.url, name: a.name, lockTimeoutMs: 20_000 })
    track(b)
    await a.write(pair('restart-start', 10))
    const order: string[] = []
    let waiter: Promise<StoredTokens | undefined> | undefined
    await a.withLock(async () => {
      await server.stop()
      await server.start()
      // Every session ended with the restart, the advisory lock's too: a waiter must still not get in.
      waiter = b.withLock(async () => {
        order.push('b in')
        return b.read()
      })
      await new Promise((resolve) => setTimeout(resolve, 500))
      await a.write(pair('restart-written'))
      order.push('a done')
    })
    expect(await waiter).toEqual(pair('restart-written'))
    expect(order).toEqual(['a done', 'b in'])
  })

  it('a restarted server: a clear error, then the store works again', async () => {
    const storage = store()
    await storage.write(pair('before-restart'))
    await server.stop()
    const error = (await storage.read().catch((caught: unknown) => caught)) as StorageError
    expect(error.message).toMatch(/nothing accepts connections|connection to the server was lost/)
    await server.start()
    expect(await storage.read()).toEqual(pair('before-restart'))
  })

  sharedCases()
})

/** The chain's advisory lock keys, as the store computes them. */
async function lockKeysOf(storage: PostgresTokenStorage): Promise<string[]> {
  const { lockKeys, tableName } = await import('../src/storage/postgres/table.ts')
  return lockKeys(tableName(storage.table), storage.name).map(String)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

aacStoreCase()
