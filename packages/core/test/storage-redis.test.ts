// The Redis store against a real redis-server (test/servers/redis.ts): the storage contract, the key as other
// tools see it, the lock's ownership and lease, the fenced write, recovery, and every way the server can fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeWorkspace, readPair } from '../../../test/helpers.ts'
import { REDIS_USER, type RedisServer, startRedisServer } from '../../../test/servers/redis.ts'
import { createClient } from '../src/client.ts'
import { StorageError } from '../src/errors.ts'
import { loadConfig } from '../src/fs.ts'
import { type RedisStorageOptions, type RedisTokenStorage, redisStorage } from '../src/storage/redis.ts'
import type { TokenStorage } from '../src/storage/types.ts'
import { contractOn, serverStoreTests } from './store-test-kit.ts'

let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(() => server?.close())

contractOn('redisStorage', () => ({ servers: { redis: server.url } }))

const { store, track, pair, sharedCases, aacStoreCase } = serverStoreTests({
  module: 'redis',
  url: () => server.url,
  open: (options: RedisStorageOptions) => redisStorage(options),
  location: (chain) => `${server.url} › aac:tokens:${chain}`,
  expectNoRecovered: async (storage: RedisTokenStorage) => {
    expect(await rawCommand(['HLEN', storage.recoveryKey])).toBe(0)
  },
  unreachable: () => redisStorage({ url: 'redis://127.0.0.1:1', name: 'gone' }),
})

describe('redisStorage', () => {
  it('keeps the pair as the JSON creds.json holds, under <prefix><name>', async () => {
    const storage = store({ keyPrefix: 'team:' })
    expect(storage.key).toMatch(/^team:t-/)
    expect(storage.location).toBe(`${server.url} › ${storage.key}`)
    await storage.write({ accessToken: 'a', refreshToken: 'r', meta: { clockOffsetMs: 5 } })
    const raw = await rawGet(storage.key)
    expect(JSON.parse(raw!)).toEqual({ access_token: 'a', refresh_token: 'r', aac: { clock_offset_ms: 5 } })
  })

  it('never shows the password of the URL', async () => {
    const storage = redisStorage({
      url: server.urlFor({ user: REDIS_USER.name, password: REDIS_USER.password, db: 2 }),
    })
    track(storage)
    expect(storage.location).toBe(
      `redis://${REDIS_USER.name}@127.0.0.1:${server.port}/2 › aac:tokens:default`,
    )
    await storage.write(pair('db2'))
    expect(await storage.read()).toEqual(pair('db2'))
  })

  it('refuses a wrong password with a StorageError naming the store, not the password', async () => {
    const storage = redisStorage({ url: server.urlFor({ user: REDIS_USER.name, password: 'wrong-secret' }) })
    const error = await storage.read().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).message).toContain(`redis://${REDIS_USER.name}@127.0.0.1:${server.port}`)
    expect((error as StorageError).message).toMatch(/refused the user name or password .*WRONGPASS/)
    expect((error as StorageError).message).not.toContain('wrong-secret')
    expect((error as StorageError).location).not.toContain('wrong-secret')
  })

  it('says nothing answers when no server listens there, at once', async () => {
    const started = Date.now()
    const storage = redisStorage({ url: 'redis://:hidden-secret@127.0.0.1:1/0' })
    const error = (await storage.read().catch((caught: unknown) => caught)) as StorageError
    expect(error.code).toBe('STORAGE_ERROR')
    expect(error.message).toMatch(
      /^Could not read the tokens from redis:\/\/127\.0\.0\.1:1\/0 › aac:tokens:default: nothing accepts connections .*ECONNREFUSED.*start the Redis server/,
    )
    expect(error.message).not.toContain('hidden-secret')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('refuses a URL of another scheme, and never quotes a URL that does not parse', () => {
    expect(() => redisStorage({ url: 'http://127.0.0.1:6379' })).toThrow(
      /must start with redis:\/\/ or rediss:\/\/, not http:\/\//,
    )
    expect(() => redisStorage({ url: 'not a url :secret@' })).toThrow(/is not a URL/)
    expect(() => redisStorage({ url: 'not a url :secret@' })).not.toThrow(/secret/)
  })

  it('a value that is not a pair is a StorageError naming the key; the value is left alone', async () => {
    const storage = store()
    await rawSet(storage.key, 'not json at all')
    await expect(storage.read()).rejects.toThrow(`${storage.location} does not hold valid JSON`)
    await rawSet(storage.key, JSON.stringify({ access_token: 'Your access token here', refresh_token: 'x' }))
    await expect(storage.read()).rejects.toThrow(/still holds the placeholder tokens/)
    expect(await rawGet(storage.key)).toContain('Your access token here')
  })

  it('the lock names its holder, expires after the lease, and is freed by its owner only', async () => {
    const storage = store({ leaseMs: 5_000 })
    await storage.withLock(async () => {
      const value = JSON.parse((await rawGet(storage.lockKey))!) as Record<string, unknown>
      expect(value).toMatchObject({ program: expect.any(String), pid: process.pid })
      expect(value.owner).toMatch(/^[0-9a-f-]{36}$/)
      const ttl = Number(await rawCommand(['PTTL', storage.lockKey]))
      expect(ttl).toBeGreaterThan(3_000)
      expect(ttl).toBeLessThanOrEqual(5_000)
    })
    expect(await rawGet(storage.lockKey)).toBeNull()
  })

  it('a waiter gives up with LOCK_TIMEOUT naming the lock and its holder', async () => {
    const storage = store({ lockTimeoutMs: 300 })
    await rawSet(
      storage.lockKey,
      JSON.stringify({ owner: 'x', program: 'get_workspace.ts', pid: 4242, host: 'worker-3' }),
      'PX',
      '10000',
    )
    const error = (await storage
      .withLock(async () => 'ran')
      .catch((caught: unknown) => caught)) as StorageError
    expect(error.code).toBe('LOCK_TIMEOUT')
    expect(error.message).toContain(
      `waiting for the lock ${storage.lockKey} of ${storage.location}, held by get_workspace.ts (pid 4242 on worker-3)`,
    )
  })

  it('a holder that died frees the lock when its lease runs out', async () => {
    const storage = store()
    await rawSet(storage.lockKey, JSON.stringify({ owner: 'dead', program: 'aac', pid: 1 }), 'PX', '400')
    const started = Date.now()
    expect(await storage.withLock(async () => 'taken')).toBe('taken')
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
  })

  it('a holder keeps the lock past its lease while it runs (renewed), and no one else gets in', async () => {
    const a = store({ leaseMs: 300 })
    const b = redisStorage({ url: server.url, name: a.key.slice('aac:tokens:'.length), lockTimeoutMs: 5_000 })
    track(b)
    const order: string[] = []
    await Promise.all([
      a.withLock(async () => {
        order.push('a in')
        await new Promise((resolve) => setTimeout(resolve, 1_000))
        order.push('a out')
      }),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        b.withLock(async () => order.push('b in')),
      ),
    ])
    expect(order).toEqual(['a in', 'a out', 'b in'])
  })

  it('a holder whose lease ran out cannot write: the newer pair stays, and its own goes to recovery', async () => {
    const a = store({ leaseMs: 200 })
    const b = redisStorage({ url: server.url, name: a.key.slice('aac:tokens:'.length) })
    track(b)
    const older = pair('older', 5)
    await a.write(pair('start', 10))
    const refused = await a
      .withLock(async () => {
        // What a paused or partitioned holder sees: its lock is gone and another program took it and wrote.
        await rawCommand(['DEL', a.lockKey])
        await b.withLock(() => b.write(pair('newer')))
        return a.write(older)
      })
      .catch((caught: unknown) => caught)
    expect(refused).toBeInstanceOf(StorageError)
    expect((refused as Error).message).toContain(
      `Refused to write the tokens to ${a.location}: this program's lock ${a.lockKey} ran out`,
    )
    expect(await a.read()).toEqual(pair('newer'))
    // The token manager's next step: the pair must not be lost.
    const where = await a.saveRecovery(older)
    expect(where).toContain(`${a.recoveryKey} › `)
    const kept = await rawCommand(['HVALS', a.recoveryKey])
    expect(JSON.parse(kept as string).refresh_token).toBe('refresh-older')
    // Older than the stored pair: a read under the lock leaves it for the user and keeps the newer pair.
    expect(await a.withLock(() => a.read())).toEqual(pair('newer'))
  })

  it('a holder whose lock ran out before it sent the refresh sends nothing: its record write is refused', async () => {
    const ws = await fakeWorkspace({ expired: true })
    try {
      const { access_token, refresh_token } = readPair(await ws.readCreds())
      const storage = store()
      const pairAsStored = { accessToken: access_token, refreshToken: refresh_token }
      await storage.write(pairAsStored)
      // What a holder paused past its lease between taking the lock and sending finds: its lock is gone.
      const paused: TokenStorage = {
        location: storage.location,
        read: () => storage.read(),
        write: (tokens) => storage.write(tokens),
        withLock: (fn, options) =>
          storage.withLock(async () => {
            await rawCommand(['DEL', storage.lockKey])
            return fn()
          }, options),
      }
      const { config } = await loadConfig({ dir: ws.dir, env: {} })
      const client = createClient({ config, storage: paused })
      await expect(client.get('/iam/v1/workspaces/current')).rejects.toThrow(
        `Refused to write the tokens to ${storage.location}: this program's lock ${storage.lockKey} ran out`,
      )
      expect(ws.cloud.stats().tokenRequests).toBe(0)
      expect(await storage.read()).toEqual(pairAsStored)
    } finally {
      await ws.close()
    }
  })

  it('waits for a server that restarts, then carries on', async () => {
    const storage = store()
    await storage.write(pair('before'))
    await server.stop()
    const reading = storage.read()
    await new Promise((resolve) => setTimeout(resolve, 300))
    await server.start()
    expect(await reading).toEqual(pair('before'))
  })

  sharedCases()
})

async function rawClient() {
  const { createClient } = await import('redis')
  const client = createClient({ url: server.url })
  await client.connect()
  return client
}
async function rawGet(key: string): Promise<string | null> {
  const client = await rawClient()
  try {
    return await client.get(key)
  } finally {
    await client.close()
  }
}
async function rawSet(key: string, value: string, ...args: string[]): Promise<void> {
  await rawCommand(['SET', key, value, ...args])
}
async function rawCommand(args: string[]): Promise<unknown> {
  const client = await rawClient()
  try {
    return await client.sendCommand(args)
  } finally {
    await client.close()
  }
}

aacStoreCase()
