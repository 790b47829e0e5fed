// The storage contract on the Redis and PostgreSQL stores under deno test and bun test, against real servers
// started here (test/servers/). Node runs the same cases in packages/core/test/storage-{redis,postgres}.test.ts.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { STORES } from '../../packages/core/test/storage-stores.ts'
import { runtimeBinary } from '../../scripts/runtimes.ts'
import { ROOT, run } from '../helpers.ts'
import { SERVER_ENV } from '../servers/common.ts'
import { useSharedStoreServers } from '../servers/shared-stores.ts'

const ENTRY = join(ROOT, 'test/servers/store-contract-entry.ts')
/** The names the entry registers (the contract's cases on each server store), so a runner that ran fewer fails. */
const STORE_NAMES = STORES.filter((store) => store.needs === 'redis' || store.needs === 'postgres').map(
  (store) => store.name,
)

const servers = useSharedStoreServers()

const env = () => ({
  [SERVER_ENV.redis]: servers.redis.url,
  [SERVER_ENV.postgres]: servers.postgres.url,
  NO_COLOR: '1',
})

describe('the storage contract on the Redis and PostgreSQL stores', () => {
  it('passes under deno test, with only the permissions it needs', async () => {
    const result = await run(
      runtimeBinary(ROOT, 'deno'),
      [
        'test',
        ...servers.deno.flags,
        `--allow-env=${SERVER_ENV.redis},${SERVER_ENV.postgres},REDIS_DEBUG_MAINTENANCE,PGAPPNAME`,
        '--allow-net=127.0.0.1',
        // The repo's sources and node_modules (the clients).
        `--allow-read=${ROOT}`,
        '--allow-sys=hostname',
        ENTRY,
      ],
      { cwd: servers.deno.cwd, env: env(), timeoutMs: 120_000 },
    )
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(0)
    expect(output).toMatch(/ok \| (\d+) passed \| 0 failed/)
    for (const name of STORE_NAMES) expect(output).toContain(`${name}: withLock is exclusive`)
    expect(Number(/ok \| (\d+) passed/.exec(output)?.[1])).toBeGreaterThanOrEqual(STORE_NAMES.length * 10)
  })

  it('passes under bun test', async () => {
    const result = await run(runtimeBinary(ROOT, 'bun'), ['test', ENTRY], { env: env(), timeoutMs: 120_000 })
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(0)
    expect(output).toMatch(/\b0 fail\b/)
    for (const name of STORE_NAMES) expect(output).toContain(`(pass) ${name}: withLock is exclusive`)
    expect(Number(/\b(\d+) pass\b/.exec(output)?.[1])).toBeGreaterThanOrEqual(STORE_NAMES.length * 10)
  })
})
