// Faults of the Redis and PostgreSQL stores with real servers and real processes (Node, Deno and Bun running
// test/servers/rotate.ts): the lock holder killed with SIGKILL mid-refresh, paused with SIGSTOP past its Redis
// lease, and the server stopped and restarted mid-rotation. The fake cloud holds token answers (late-after-rotate)
// so that a refresh is in flight when the fault strikes.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { postgresStorage } from '../../packages/core/src/storage/postgres.ts'
import { redisStorage } from '../../packages/core/src/storage/redis.ts'
import type { StoredTokens } from '../../packages/core/src/storage/types.ts'
import { type RuntimeName, runtimeBinary } from '../../scripts/runtimes.ts'
import {
  fakeWorkspace,
  ROOT,
  type RunResult,
  readPair,
  run,
  type Started,
  start,
  type Workspace,
  waitUntil,
} from '../helpers.ts'
import { POSTGRES_PASSWORD } from '../servers/postgres.ts'
import { REDIS_USER } from '../servers/redis.ts'
import { useSharedStoreServers } from '../servers/shared-stores.ts'

const ROTATE = join(ROOT, 'test/servers/rotate.ts')

const servers = useSharedStoreServers()

type Kind = 'redis' | 'postgres'
interface Rotation {
  kind: Kind
  url: string
  chain: string
  leaseMs: number
  reconnectMs: number
}

/** rotate.ts under `runtime`: a program of the workspace `ws` on the chain `r`. */
function rotate(
  runtime: RuntimeName,
  ws: Workspace,
  r: Rotation,
): { command: string; args: string[]; cwd: string } {
  const args = [ROTATE, ws.dir, r.kind, r.url, r.chain, String(r.leaseMs), String(r.reconnectMs)]
  if (runtime === 'node') return { command: process.execPath, args: ['--import', 'tsx', ...args], cwd: ROOT }
  if (runtime === 'bun') return { command: runtimeBinary(ROOT, 'bun'), args: ['run', ...args], cwd: ROOT }
  const permissions = [
    '--allow-read',
    '--allow-env=AAC_DEBUG,REDIS_DEBUG_MAINTENANCE,PGAPPNAME',
    '--allow-net=127.0.0.1',
    '--allow-sys=hostname',
  ]
  return {
    command: runtimeBinary(ROOT, 'deno'),
    args: ['run', ...servers.deno.flags, ...permissions, ...args],
    cwd: servers.deno.cwd,
  }
}

function runRotate(runtime: RuntimeName, ws: Workspace, r: Rotation) {
  const { command, args, cwd } = rotate(runtime, ws, r)
  return run(command, args, { cwd, env: { NO_COLOR: '1' }, timeoutMs: 60_000 })
}

function startRotate(runtime: RuntimeName, ws: Workspace, r: Rotation) {
  const { command, args, cwd } = rotate(runtime, ws, r)
  return start(command, args, { cwd, env: { NO_COLOR: '1' }, timeoutMs: 60_000 })
}

function storeOf(r: Rotation) {
  return r.kind === 'redis'
    ? redisStorage({ url: r.url, name: r.chain })
    : postgresStorage({ url: r.url, name: r.chain })
}

/** Puts the workspace's expired pair in the chain (as `aac creds move` would); returns it. */
async function seed(ws: Workspace, r: Rotation): Promise<StoredTokens> {
  const { access_token, refresh_token } = readPair(await ws.readCreds())
  const storage = storeOf(r)
  const tokens = { accessToken: access_token, refreshToken: refresh_token }
  await storage.write(tokens)
  await storage.close()
  return tokens
}

async function stored(r: Rotation): Promise<StoredTokens | undefined> {
  const storage = storeOf(r)
  try {
    return await storage.read()
  } finally {
    await storage.close()
  }
}

/** One Redis command, its answer as redis-cli prints it. */
function redisCommand(args: string[]): Promise<string> {
  return servers.redis.cli(args)
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const printedWorkspace = (stdout: string) => stdout.includes('"id": 31429')

/**
 * Runs `body` on a workspace whose expired pair is on the chain `r`, with a holder under Node whose refresh is in
 * flight (the fake cloud holds its answer for `lateMs`); closes the workspace after, whatever happened.
 */
async function midRefresh(
  r: Rotation,
  lateMs: number,
  body: (ws: Workspace, holder: Started) => Promise<void>,
): Promise<void> {
  const ws = await fakeWorkspace({ expired: true })
  try {
    await seed(ws, r)
    ws.cloud.inject({ kind: 'late-after-rotate', ms: lateMs })
    const holder = startRotate('node', ws, r)
    await waitUntil(() => ws.cloud.stats().tokenRequests === 1, 'the holder sending its refresh')
    await body(ws, holder)
  } finally {
    await ws.close()
  }
}

/**
 * After the holder `pid` was killed mid-refresh: `next`, the program that took the lock after it, sent the
 * recorded refresh once, said it was interrupted and recorded it as spent; a program after that, under `third`,
 * sends nothing and says why.
 */
async function expectInterruptedFound(
  ws: Workspace,
  r: Rotation,
  pid: number,
  next: RunResult,
  third: RuntimeName,
): Promise<void> {
  expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 2, refreshes: 1 })
  expect(next.stderr).toMatch(
    new RegExp(`A refresh of this pair sent by rotate\\.ts \\(pid ${pid}[^)]*\\) at .* was interrupted`),
  )
  expect((await stored(r))?.meta?.refresh).toMatchObject({ state: 'spent', pid })
  const after = await runRotate(third, ws, r)
  expect(after.code).not.toBe(0)
  expect(after.stderr).toContain(`pid ${pid}`)
  expect(ws.cloud.stats().tokenRequests).toBe(2)
}

describe('kill -9 of the lock holder mid-refresh', () => {
  it('Redis: the lock frees when its lease runs out; the next holder finds the interrupted refresh', {
    timeout: 60_000,
  }, async () => {
    const r: Rotation = {
      kind: 'redis',
      url: servers.redis.url,
      chain: 'kill',
      leaseMs: 2_000,
      reconnectMs: 2_000,
    }
    await midRefresh(r, 30_000, async (ws, holder) => {
      const lock = JSON.parse(await redisCommand(['GET', 'aac:tokens:kill:lock']))
      expect(lock).toMatchObject({ program: 'rotate.ts', pid: holder.pid })
      process.kill(holder.pid, 'SIGKILL')
      await holder.done
      // Not freed at once: a holder on another machine could be alive; its lease says how long to wait.
      const left = Number(await redisCommand(['PTTL', 'aac:tokens:kill:lock']))
      expect(left).toBeGreaterThan(0)
      const began = Date.now()
      const next = await runRotate('bun', ws, r)
      expect(next.code, next.stderr).not.toBe(0)
      // It could not take the lock before the lease ran out, then sent the recorded refresh once; recorded as
      // spent, the program after that sends nothing and says why.
      expect(Date.now() - began).toBeGreaterThanOrEqual(left - 100)
      await expectInterruptedFound(ws, r, holder.pid, next, 'deno')
    })
  })

  it('PostgreSQL: the lock frees at once; the next holder finds the interrupted refresh', {
    timeout: 60_000,
  }, async () => {
    const r: Rotation = {
      kind: 'postgres',
      url: servers.postgres.url,
      chain: 'kill',
      leaseMs: 60_000,
      reconnectMs: 2_000,
    }
    await midRefresh(r, 30_000, async (ws, holder) => {
      const heldBy = await servers.postgres.psql(
        `select a.application_name from pg_locks l join pg_stat_activity a using (pid) where l.locktype = 'advisory' and l.granted`,
      )
      expect(heldBy).toContain(`aac rotate.ts pid ${holder.pid}`)
      process.kill(holder.pid, 'SIGKILL')
      await holder.done
      // Freed with the connection, although its lease (60 s) has long to run: its holder is provably gone.
      const started = Date.now()
      for (;;) {
        const held = await servers.postgres.psql(
          `select count(*) from pg_locks where locktype = 'advisory' and granted`,
        )
        if (held.trim() === '0') break
        expect(Date.now() - started, 'the advisory lock of the killed holder').toBeLessThan(2_000)
        await delay(20)
      }
      const began = Date.now()
      const next = await runRotate('deno', ws, r)
      expect(next.code, next.stderr).not.toBe(0)
      expect(Date.now() - began).toBeLessThan(10_000)
      await expectInterruptedFound(ws, r, holder.pid, next, 'bun')
    })
  })
})

describe('the Redis lock holder paused (SIGSTOP) past its lease', () => {
  it('its late write is refused and reported, the newer pair stays, its own pair waits in recovery', {
    timeout: 60_000,
  }, async () => {
    const r: Rotation = {
      kind: 'redis',
      url: servers.redis.url,
      chain: 'paused',
      leaseMs: 1_500,
      reconnectMs: 2_000,
    }
    await midRefresh(r, 4_000, async (ws, holder) => {
      process.kill(holder.pid, 'SIGSTOP')
      try {
        const storage = redisStorage({ url: servers.redis.url, name: r.chain })
        // Its lease runs out while it cannot renew it; then another program takes the lock and stores a newer
        // pair (a new one from the web UI, as `aac creds import` would).
        const lockGone = Date.now()
        for (;;) {
          if ((await redisCommand(['EXISTS', storage.lockKey])) === '0') break
          expect(Date.now() - lockGone, 'the paused holder’s lease').toBeLessThan(5_000)
          await delay(50)
        }
        const newer = ws.cloud.issueTokens()
        await storage.withLock(() => storage.write(newer))
        await storage.close()
        process.kill(holder.pid, 'SIGCONT')
        const result = await holder.done
        expect(result.code).not.toBe(0)
        expect(result.stderr).toContain(
          `The tokens were rotated, but ${storage.location} could not be written`,
        )
        expect(result.stderr).toContain(
          `The new pair is kept in ${servers.redis.url} › ${storage.recoveryKey} › `,
        )
        expect(await stored(r)).toEqual(newer)
        const kept = (await redisCommand(['HVALS', storage.recoveryKey])).split('\n')
        expect(kept).toHaveLength(1)
        const recovered = JSON.parse(kept[0]!) as { refresh_token: string }
        // The paused program's pair is the one its refresh bought: alive, and not lost.
        expect(ws.cloud.isRefreshTokenValid(recovered.refresh_token)).toBe(true)
        expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 })
      } finally {
        // Never leave it stopped, whatever failed (it may have ended already).
        try {
          process.kill(holder.pid, 'SIGCONT')
        } catch {}
      }
    })
  })
})

/** Each server, stopped and started again while a holder's refresh is in flight. */
const RESTARTS = [
  {
    // The holder's answer comes while the server is down; its write waits for it, under its lock (kept on disk
    // with the data, lease and all).
    name: 'Redis',
    kind: 'redis' as const,
    server: () => servers.redis,
    leaseMs: 60_000,
    // The program started meanwhile logs in with a password, which its error must not show.
    meanwhileUrl: () => servers.redis.urlFor({ user: REDIS_USER.name, password: REDIS_USER.password }),
    secret: REDIS_USER.password,
    shown: () => `redis://${REDIS_USER.name}@127.0.0.1:${servers.redis.port} › aac:tokens:restart`,
  },
  {
    // The restart ends the lock's session; the lease in the row keeps the lock, and fences the late write.
    name: 'PostgreSQL',
    kind: 'postgres' as const,
    server: () => servers.postgres,
    leaseMs: 5_000,
    meanwhileUrl: () => servers.postgres.url,
    secret: POSTGRES_PASSWORD,
    shown: () => `postgres://postgres@127.0.0.1:${servers.postgres.port}/postgres › aac_tokens › restart`,
  },
]

describe('the server stopped and restarted mid-rotation', () => {
  for (const restart of RESTARTS) {
    it(`${restart.name}: a program started meanwhile fails clearly; the rotation completes; the next run works`, {
      timeout: 60_000,
    }, async () => {
      const r: Rotation = {
        kind: restart.kind,
        url: restart.server().url,
        chain: 'restart',
        leaseMs: restart.leaseMs,
        reconnectMs: 10_000,
      }
      await midRefresh(r, 1_000, async (ws, holder) => {
        await restart.server().stop()
        const meanwhile = await runRotate('bun', ws, { ...r, url: restart.meanwhileUrl() })
        expect(meanwhile.code).not.toBe(0)
        expect(meanwhile.stderr).toContain(restart.shown())
        expect(meanwhile.stderr).toContain('nothing accepts connections at that address (ECONNREFUSED)')
        expect(meanwhile.stderr).not.toContain(restart.secret)
        await delay(1_500)
        await restart.server().start()
        const result = await holder.done
        expect(result.code, result.stderr).toBe(0)
        expect(printedWorkspace(result.stdout)).toBe(true)
        const after = await stored(r)
        expect(ws.cloud.isRefreshTokenValid(after!.refreshToken)).toBe(true)
        const next = await runRotate('deno', ws, r)
        expect(next.code, next.stderr).toBe(0)
        expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 })
      })
    })
  }
})
