// A real redis-server (Debian's, installed by scripts/ensure-test-tools.sh) on a free loopback port, its data in
// a temp folder, for the Redis store's tests and benchmarks. Persistence is on (an append-only file, synced at
// every write) so that a stop and a start keep the data, as a production server's restart does.
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, missingServer, runCommand, serverProcess } from './common.ts'

/** A user with a password, besides the default one (which needs none): for authentication tests. */
export const REDIS_USER = { name: 'aac-test', password: 'redis-test-secret' } as const

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`: the default user, database 0. */
  readonly url: string
  readonly port: number
  /** The URL as `user:password`, `db` given. */
  urlFor(options?: { db?: number; user?: string; password?: string }): string
  /** Stops the server (SIGTERM: it syncs its data and exits); `start()` brings it back with the same data. */
  stop(): Promise<void>
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>
  /** Runs one command with redis-cli (raw output, trimmed): what a test checks the server with. */
  cli(args: readonly string[]): Promise<string>
  /** Stops it and removes its folder. */
  close(): Promise<void>
}

/**
 * Starts redis-server. Throws (never skips) when it is not installed.
 *
 * @example
 * const redis = await startRedisServer()
 * const storage = redisStorage({ url: redis.url })
 * await redis.close()
 */
export async function startRedisServer(): Promise<RedisServer> {
  await runCommand('redis-server', ['--version']).catch(() => {
    throw missingServer('redis-server', 'redis-server')
  })
  const dir = await mkdtemp(join(tmpdir(), 'aac-redis-'))
  const port = await freePort()
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    '--user',
    REDIS_USER.name,
    'on',
    `>${REDIS_USER.password}`,
    '~*',
    '&*',
    '+@all',
  ]
  const { start, stop } = serverProcess({
    command: 'redis-server',
    args,
    what: `redis-server on port ${port}`,
    ready: async () => (await ping(port)) === '+PONG',
    stopSignal: 'SIGTERM',
  })

  await start().catch(async (error) => {
    await rm(dir, { recursive: true, force: true })
    throw error
  })
  const url = `redis://127.0.0.1:${port}`
  return {
    url,
    port,
    urlFor({ db, user, password } = {}) {
      const auth =
        user || password ? `${encodeURIComponent(user ?? '')}:${encodeURIComponent(password ?? '')}@` : ''
      return `redis://${auth}127.0.0.1:${port}${db === undefined ? '' : `/${db}`}`
    },
    stop,
    start,
    cli: async (args) => (await runCommand('redis-cli', ['-p', String(port), '--raw', ...args])).trim(),
    async close() {
      await stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** One PING on a fresh connection: `+PONG` once the server serves (a readiness probe, not a client). */
function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.setTimeout(1000, () => socket.destroy(new Error('no answer')))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      answer += chunk.toString()
      if (answer.includes('\r\n')) {
        socket.end()
        resolve(answer.trim())
      }
    })
    socket.on('error', reject)
  })
}
