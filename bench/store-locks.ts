// The stores' locks, measured: the latency of one lock acquire + release (an empty `withLock`) on the file,
// Redis and PostgreSQL stores, and the wall time for 64 programs' worth of store objects, each with its own
// token manager, asking at once for a token whose access token has expired: one rotation, 63 waiters. Real
// servers (test/servers/), the fake cloud. Prints the figures; asserts nothing beyond the single refresh.
//
//   npx tsx bench/store-locks.ts
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '../packages/core/src/client.ts'
import { loadConfig } from '../packages/core/src/fs.ts'
import { fileStorage } from '../packages/core/src/storage/file.ts'
import { postgresStorage } from '../packages/core/src/storage/postgres.ts'
import { redisStorage } from '../packages/core/src/storage/redis.ts'
import type { TokenStorage } from '../packages/core/src/storage/types.ts'
import { fakeWorkspace, readPair } from '../test/helpers.ts'
import { startPostgresServer } from '../test/servers/postgres.ts'
import { startRedisServer } from '../test/servers/redis.ts'

type Closable = TokenStorage & { close?(): Promise<void> }
interface Store {
  readonly name: string
  /** A store object on the chain `chain` (in the folder `dir` for the file store). */
  open(chain: string, dir: string): Closable
  readonly rounds: number
}

const WAITERS = 64
const [redis, postgres] = await Promise.all([startRedisServer(), startPostgresServer()])
const scratch = await mkdtemp(join(tmpdir(), 'aac-bench-locks-'))
const stores: Store[] = [
  { name: 'fileStorage', rounds: 300, open: (_chain, dir) => fileStorage({ path: join(dir, 'creds.json') }) },
  { name: 'redisStorage', rounds: 300, open: (chain) => redisStorage({ url: redis.url, name: chain }) },
  {
    name: 'postgresStorage',
    rounds: 150,
    open: (chain) => postgresStorage({ url: postgres.url, name: chain }),
  },
]

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN
}

/** Acquire + release of one store object, `rounds` times after a warm-up: median and p95 in ms. */
async function lockLatency(store: Store): Promise<string> {
  const storage = store.open('bench-latency', scratch)
  for (let i = 0; i < 10; i++) await storage.withLock(async () => undefined)
  const times: number[] = []
  for (let i = 0; i < store.rounds; i++) {
    const started = performance.now()
    await storage.withLock(async () => undefined)
    times.push(performance.now() - started)
  }
  await storage.close?.()
  times.sort((a, b) => a - b)
  return `median ${percentile(times, 50).toFixed(2)} ms, p95 ${percentile(times, 95).toFixed(2)} ms (${store.rounds} rounds)`
}

/** 64 store objects, each with its own client, asking at once on an expired chain: wall time, refreshes. */
async function waiters(store: Store): Promise<string> {
  const ws = await fakeWorkspace({ expired: true })
  try {
    const { access_token, refresh_token } = readPair(await ws.readCreds())
    const chain = `bench-waiters-${crypto.randomUUID()}`
    const seed = store.open(chain, ws.dir)
    await seed.write({ accessToken: access_token, refreshToken: refresh_token })
    await seed.close?.()
    const { config } = await loadConfig({ dir: ws.dir, env: {} })
    const objects = Array.from({ length: WAITERS }, () => store.open(chain, ws.dir))
    const clients = objects.map((storage) => createClient({ config, storage }))
    const started = performance.now()
    await Promise.all(clients.map((client) => client.tokens.getAccessToken()))
    const wall = performance.now() - started
    await Promise.all(objects.map((storage) => storage.close?.()))
    const { refreshes, reuseDetected } = ws.cloud.stats()
    if (refreshes !== 1 || reuseDetected !== 0)
      throw new Error(`${store.name}: ${refreshes} refreshes, ${reuseDetected} reuses`)
    return `${wall.toFixed(0)} ms for ${WAITERS} waiters (1 refresh)`
  } finally {
    await ws.close()
  }
}

try {
  // The PostgreSQL store opens a connection per withLock (it keeps none open while idle, so that programs exit):
  // its figure is mostly that connection's setup and SCRAM authentication.
  console.log('Lock acquire + release (an empty withLock), one store object, loopback servers:')
  for (const store of stores) console.log(`  ${store.name.padEnd(16)} ${await lockLatency(store)}`)
  console.log(`${WAITERS} store objects with their own token managers, an expired access token, all at once:`)
  for (const store of stores) console.log(`  ${store.name.padEnd(16)} ${await waiters(store)}`)
} finally {
  await Promise.all([redis.close(), postgres.close(), rm(scratch, { recursive: true, force: true })])
}
