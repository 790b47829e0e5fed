// The servers the shared-store runtime tests (test/runtimes/shared-stores-*.test.ts) run against: a Redis and a
// PostgreSQL server and the folder Deno runs from, started before a file's tests and stopped after them.
import { afterAll, beforeAll } from 'vitest'
import { type DenoSetup, denoSetup } from './deno.ts'
import { type PostgresServer, startPostgresServer } from './postgres.ts'
import { type RedisServer, startRedisServer } from './redis.ts'

export interface SharedStoreServers {
  readonly redis: RedisServer
  readonly postgres: PostgresServer
  readonly deno: DenoSetup
}

/**
 * Registers the file's hooks; the fields are set once its tests run.
 *
 * @example
 * const servers = useSharedStoreServers()
 * it('…', () => redisStorage({ url: servers.redis.url }))
 */
export function useSharedStoreServers(): SharedStoreServers {
  const servers = {} as { redis: RedisServer; postgres: PostgresServer; deno: DenoSetup }
  beforeAll(async () => {
    ;[servers.redis, servers.postgres, servers.deno] = await Promise.all([
      startRedisServer(),
      startPostgresServer(),
      denoSetup(),
    ])
  })
  afterAll(async () => {
    await Promise.all([servers.redis?.close(), servers.postgres?.close(), servers.deno?.remove()])
  })
  return servers
}
