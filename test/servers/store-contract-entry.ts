// The storage contract on the Redis and PostgreSQL stores under `deno test` or `bun test`, against the servers
// whose URLs test/runtimes/shared-stores-contract.test.ts passes in AAC_TEST_REDIS_URL and AAC_TEST_POSTGRES_URL.
import process from 'node:process'
import { storageContract } from '../../packages/core/test/storage-contract.ts'
import { STORES } from '../../packages/core/test/storage-stores.ts'
import { SERVER_ENV } from './common.ts'

type Test = (name: string, fn: () => Promise<void>) => void
const { Deno } = globalThis as unknown as { Deno?: { test: Test } }
// Bun's runner by a computed name: the root tsconfig checks this file with Node's types, which have no bun:test.
const runner = 'bun:test'
const test: Test = Deno ? Deno.test : ((await import(runner)) as { test: Test }).test

const servers = { redis: process.env[SERVER_ENV.redis], postgres: process.env[SERVER_ENV.postgres] }
for (const store of STORES) {
  if (store.needs !== 'redis' && store.needs !== 'postgres') continue
  if (!servers[store.needs])
    throw new Error(`${SERVER_ENV[store.needs]} is not set: run test/runtimes/shared-stores-contract.test.ts`)
  storageContract(
    { test: (name, fn) => test(name, fn) },
    store.name,
    () => store.make({ servers }),
    store.options,
  )
}
