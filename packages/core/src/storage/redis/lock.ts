/**
 * The Redis store's lock: a key set with `SET key value NX PX lease`, whose value names its holder and carries a
 * random owner token. Only its owner extends it (while it runs, every third of the lease) or deletes it, both by
 * compare-and-act scripts, so a holder whose lease ran out can never free or extend the lock of the next one. A
 * holder that dies frees it when the lease runs out; waiters poll for it meanwhile.
 */

import { StorageError } from '../../errors.ts'
import { backoffDelay, sleep } from '../../internal/abort.ts'
import { describeHolder, type LockHolder, thisHolder } from '../shared/holder.ts'
import type { RedisClient, RedisConnection } from './connection.ts'
import { redisFailure } from './errors.ts'

/** Extends the lock if, and only if, it still holds our value. */
export const RENEW_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`

/** Deletes the lock if, and only if, it still holds our value. */
export const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`

/** What a held lock offers the store: its value (for fenced writes) and whether the lease is known lost. */
export interface HeldLock {
  /** The lock key's value while we hold it: fenced writes compare it. */
  readonly value: string
  /** True once a renewal found the lock gone or someone else's: our writes will be refused. */
  lost(): boolean
  /** Stops the renewals and deletes the lock if it is still ours. Never throws. */
  release(): Promise<void>
}

export interface RedisLockOptions {
  readonly lockKey: string
  /** The lease in ms: how long the lock outlives a holder that stopped renewing it. */
  readonly leaseMs: number
  /** How long to wait for the lock before a LOCK_TIMEOUT StorageError, in ms. */
  readonly timeoutMs: number
  /** The store, for messages. */
  readonly location: string
}

/**
 * Takes the lock, waiting up to `timeoutMs` (`signal` cuts the wait short, rejecting with its reason).
 *
 * @example
 * const lock = await acquireRedisLock(connection, { lockKey, leaseMs: 60_000, timeoutMs: 62_000, location })
 * try { await fn() } finally { await lock.release() }
 */
export async function acquireRedisLock(
  connection: RedisConnection,
  options: RedisLockOptions,
  signal?: AbortSignal,
): Promise<HeldLock> {
  const { lockKey, leaseMs, timeoutMs, location } = options
  const started = Date.now()
  const value = JSON.stringify({
    owner: crypto.randomUUID(),
    ...thisHolder(),
    since: new Date().toISOString(),
  })
  for (let attempt = 0; ; attempt++) {
    let taken: string | null
    try {
      taken = await connection.use((client) =>
        client.set(lockKey, value, { condition: 'NX', expiration: { type: 'PX', value: leaseMs } }),
      )
    } catch (error) {
      throw redisFailure(`Could not take the lock ${lockKey} of`, error, location)
    }
    if (taken === 'OK') return hold(connection, options, value)
    const waited = Date.now() - started
    if (waited >= timeoutMs) {
      const holder = await connection.use((client) => client.get(lockKey)).catch(() => null)
      throw new StorageError(
        'LOCK_TIMEOUT',
        `Timed out after ${waited} ms waiting for the lock ${lockKey} of ${location}, held by ${describeHolder(parseHolder(holder))}: it is refreshing the tokens and did not finish. If that program hangs, stop it; a holder that died frees the lock when its lease (${leaseMs} ms) runs out.`,
        { location },
      )
    }
    // 10 ms, doubling up to 200 ms, jittered so that many waiters do not poll in step.
    await sleep(Math.min(10 + backoffDelay(attempt, 10, 200), timeoutMs - waited), signal)
  }
}

function hold(connection: RedisConnection, options: RedisLockOptions, value: string): HeldLock {
  const { lockKey, leaseMs } = options
  let lost = false
  const renew = async (client: RedisClient) => {
    const extended = await client.eval(RENEW_SCRIPT, { keys: [lockKey], arguments: [value, String(leaseMs)] })
    if (extended !== 1) lost = true
  }
  // A failed renewal (the server restarting) is tried again at the next tick: the lease covers two misses.
  const timer = setInterval(
    () => {
      if (!lost) connection.use(renew).catch(() => undefined)
    },
    Math.max(Math.floor(leaseMs / 3), 1),
  )
  return {
    value,
    lost: () => lost,
    async release() {
      clearInterval(timer)
      await connection
        .use((client) => client.eval(RELEASE_SCRIPT, { keys: [lockKey], arguments: [value] }))
        .catch(() => undefined)
    },
  }
}

/** The holder named in a lock value, if it is one of ours. */
export function parseHolder(value: string | null): LockHolder | undefined {
  if (!value) return undefined
  try {
    const parsed = JSON.parse(value) as Partial<LockHolder>
    return typeof parsed.program === 'string'
      ? { program: parsed.program, pid: parsed.pid, host: parsed.host }
      : undefined
  } catch {
    return undefined
  }
}
