/**
 * The Redis store's connection: node-redis (the `redis` package, an optional peer dependency) imported on first
 * use, one client per store object, reconnecting for a while after the server went away (a restart), and out of
 * the way of a program that is done: between operations its socket is unref'd, so a script that finished exits
 * without closing the store.
 */

import { StorageError } from '../../errors.ts'
import type { ServerUrl } from '../shared/server-url.ts'

/** The part of node-redis's client the store uses (its own types stay out of our declarations). */
export interface RedisClient {
  get(key: string): Promise<string | null>
  set(key: string, value: string, options?: object): Promise<string | null>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  hGetAll(key: string): Promise<Record<string, string>>
  hSet(key: string, field: string, value: string): Promise<number>
  del(key: string): Promise<number>
}

interface NodeRedisClient extends RedisClient {
  connect(): Promise<unknown>
  close(): Promise<void>
  destroy(): void
  ref(): void
  unref(): void
  on(event: string, listener: (...args: unknown[]) => void): unknown
}

/** Runs operations on one lazily connected client; see the module comment. */
export interface RedisConnection {
  /** Runs `fn` with a connected client, keeping the process alive until it settles. */
  use<T>(fn: (client: RedisClient) => Promise<T>): Promise<T>
  /** Closes the client (waiting for pending commands); the next `use` connects again. */
  close(): Promise<void>
}

export interface RedisConnectionOptions {
  /** How long to wait for a connection, in ms. */
  connectTimeoutMs: number
  /** How long to keep reconnecting once a connection was lost, in ms (commands wait meanwhile). */
  reconnectMs: number
}

/**
 * @example
 * const connection = redisConnection(parseServerUrl(url, …), { connectTimeoutMs: 10_000, reconnectMs: 10_000 })
 * const text = await connection.use((client) => client.get('aac:tokens:default'))
 */
export function redisConnection(url: ServerUrl, options: RedisConnectionOptions): RedisConnection {
  let client: Promise<NodeRedisClient> | undefined
  let busy = 0

  const connect = async (): Promise<NodeRedisClient> => {
    const { createClient } = await importRedis()
    // Reconnects only after a connection that worked, and only for a while: a wrong URL fails at once, a
    // restarting server is waited for.
    let lostAt: number | undefined
    let ready = false
    const created = createClient({
      url: url.url,
      socket: {
        connectTimeout: options.connectTimeoutMs,
        reconnectStrategy: (retries: number, cause: Error) => {
          if (!ready) return cause
          lostAt ??= Date.now()
          if (Date.now() - lostAt > options.reconnectMs) return cause
          return Math.min(50 * 2 ** retries, 500)
        },
      },
    }) as unknown as NodeRedisClient
    // Without a listener, node-redis's error events would crash the process; failures reach the commands.
    created.on('error', () => undefined)
    created.on('ready', () => {
      ready = true
      lostAt = undefined
    })
    await created.connect()
    return created
  }

  return {
    async use(fn) {
      busy++
      let connected: NodeRedisClient | undefined
      try {
        client ??= connect()
        connected = await client.catch((error: unknown) => {
          client = undefined
          throw error
        })
        connected.ref()
        return await fn(connected)
      } finally {
        busy--
        // Idle again: let a program that is done exit, without closing a connection it may use again.
        if (busy === 0) connected?.unref()
      }
    },
    async close() {
      const closing = client
      client = undefined
      const connected = await closing?.catch(() => undefined)
      await connected?.close().catch(() => connected.destroy())
    },
  }
}

/** node-redis, or a StorageError saying how to install it. */
async function importRedis(): Promise<{ createClient(options: object): unknown }> {
  try {
    return (await import('redis')) as unknown as { createClient(options: object): unknown }
  } catch (error) {
    throw new StorageError(
      'STORAGE_ERROR',
      'redisStorage needs the redis package (node-redis), an optional peer dependency of @aac/core: install it with `npm install redis@^6` (pnpm add, bun add, or deno add npm:redis).',
      { cause: error },
    )
  }
}
