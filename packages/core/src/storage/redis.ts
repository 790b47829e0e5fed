/**
 * `@aac/core/storage/redis`: the token pair in a Redis key, shared by every program on every machine that points
 * at the same server and chain name. Its parts live in `./redis/`: the connection (`connection.ts`), the lock
 * (`lock.ts`) and what failures mean (`errors.ts`). The client is node-redis (the `redis` package, an optional
 * peer dependency), imported on first use.
 */

import { StorageError } from '../errors.ts'
import { createMutex } from '../internal/mutex.ts'
import { LOCK_MARGIN_MS, LOCK_TIMING } from '../lock-timing.ts'
import { assertWritable, decodePairText, encodePair } from './pair-codec.ts'
import { redisConnection } from './redis/connection.ts'
import { redisFailure } from './redis/errors.ts'
import { acquireRedisLock, type HeldLock } from './redis/lock.ts'
import { runHoldingLock } from './shared/exclusive.ts'
import { thisHolder } from './shared/holder.ts'
import { IMPORT_PAIR_HINT, parseStoredPair } from './shared/new-pair.ts'
import { isNewerPair, saveLocalRecovery } from './shared/recovery.ts'
import {
  chainName,
  positiveMs,
  type ServerStorageOptions,
  type ServerTokenStorage,
} from './shared/server-options.ts'
import { parseServerUrl } from './shared/server-url.ts'
import type { StoredTokens } from './types.ts'

export type { ServerStorageOptions, ServerTokenStorage } from './shared/server-options.ts'

const STORE = 'redisStorage'

/**
 * Options of {@link redisStorage}: the server, the chain's name, and the lock's timing.
 *
 * @example
 * const storage = redisStorage({ url: 'redis://cache.internal:6379/0', name: 'reporting' })
 */
export interface RedisStorageOptions extends ServerStorageOptions {
  /**
   * `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS. The password never appears in a
   * message or in `location`.
   */
  url: string
  /** Prefix of the store's keys (default `aac:tokens:`): the pair is `<prefix><name>`, its lock `<prefix><name>:lock`. */
  keyPrefix?: string | undefined
  /**
   * How long the lock outlives a holder that stopped renewing it (killed, paused, cut off), in ms. Default
   * `LOCK_TIMING.staleMs` (60 s). Rule: more than the refresh budget plus a margin (`lockTiming(budget).staleMs`):
   * a holder renews it every third of the lease while it runs, and the lease left when it sends a refresh
   * token must cover the whole refresh. Tests use less.
   */
  leaseMs?: number | undefined
  /**
   * After a connection that worked is lost (a server restart), how long commands wait for a new one, in ms
   * (default `LOCK_MARGIN_MS`, 10 s).
   */
  reconnectMs?: number | undefined
}

/** A {@link ServerTokenStorage} in Redis. */
export interface RedisTokenStorage extends ServerTokenStorage {
  /** `redis://host:port/db › <key>`, without the URL's password. */
  readonly location: string
  /** The key holding the pair (`aac:tokens:default`). */
  readonly key: string
  /** The lock's key (`aac:tokens:default:lock`). */
  readonly lockKey: string
  /** The hash where pairs that could not be written are kept, a field per pair (`aac:tokens:default:recovered`). */
  readonly recoveryKey: string
}

/**
 * Writes the pair only while the lock still holds our value, and extends the lease as it does: a holder whose
 * lease ran out (paused, cut off) cannot overwrite the pair a newer holder wrote. Removes the recovered copy
 * (`ARGV[4]`, if any) in the same step.
 */
const FENCED_WRITE_SCRIPT = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[3], ARGV[4]) end
return 1`

/**
 * Keeps the token pair in Redis, for programs on several machines sharing one token chain: any number of them
 * make exactly one refresh per rotation between them.
 *
 * - The pair is one key holding the JSON creds.json holds (`{"access_token", "refresh_token", "aac"?}`).
 * - The lock is a second key, set with `SET … NX PX <lease>` to a value naming its holder and a random owner
 *   token, renewed by its owner while it runs and deleted only by its owner (compare-and-act scripts). A holder
 *   that dies frees it when the lease runs out.
 * - Writes under the lock are fenced: they land only while the lock still holds the writer's value (and extend
 *   the lease), so a holder that lost its lease cannot overwrite a newer pair. Its pair then goes to the
 *   recovery hash (`saveRecovery`), and the next program that reads under the lock adopts it if it is newer
 *   than the stored one.
 *
 * Security: whoever can read the key can use the tokens. Use a password (or an ACL user) and TLS (`rediss://`)
 * beyond a trusted network, and a server that does not evict keys (`maxmemory-policy noeviction`).
 *
 * @example
 * import { createClient } from '@aac/core'
 * import { redisStorage } from '@aac/core/storage/redis'
 *
 * const storage = redisStorage({ url: 'redis://:secret@cache.internal:6379/0', name: 'reporting' })
 * const client = createClient({ config, storage })
 */
export function redisStorage(options: RedisStorageOptions): RedisTokenStorage {
  const url = parseServerUrl(options.url, { store: STORE, schemes: ['redis', 'rediss'] })
  const name = chainName(STORE, options, url)
  const key = `${options.keyPrefix ?? 'aac:tokens:'}${name}`
  const lockKey = `${key}:lock`
  const recoveryKey = `${key}:recovered`
  const location = `${url.shown} › ${key}`
  const leaseMs = positiveMs(STORE, 'leaseMs', options.leaseMs, LOCK_TIMING.staleMs)
  const lockTimeoutMs = positiveMs(STORE, 'lockTimeoutMs', options.lockTimeoutMs, LOCK_TIMING.waitMs)
  const connection = redisConnection(url, {
    connectTimeoutMs: positiveMs(STORE, 'connectTimeoutMs', options.connectTimeoutMs, 10_000),
    reconnectMs: positiveMs(STORE, 'reconnectMs', options.reconnectMs, LOCK_MARGIN_MS),
  })
  const mutex = createMutex()
  // The lock this store object holds, while inside withLock: writes are fenced by it, reads adopt recovered pairs.
  let held: HeldLock | undefined
  const hold = (lock: HeldLock | undefined) => {
    held = lock
  }
  // A recovered pair that read() returned but could not store: its entry goes once a write stores it or a newer one.
  let pending: { field: string; tokens: StoredTokens } | undefined

  const fencedWrite = async (lock: HeldLock, text: string, field = '') => {
    let written: unknown
    try {
      written = await connection.use((client) =>
        client.eval(FENCED_WRITE_SCRIPT, {
          keys: [lockKey, key, recoveryKey],
          arguments: [lock.value, text, String(leaseMs), field],
        }),
      )
    } catch (error) {
      throw redisFailure('Could not save the tokens to', error, location)
    }
    if (written !== 1) {
      throw new StorageError(
        'STORAGE_ERROR',
        `Refused to write the tokens to ${location}: this program's lock ${lockKey} ran out (its lease is ${leaseMs} ms; the program was paused or cut off from the server), so another program may have changed the tokens since. The pair stored there was left as it is.`,
        { location },
      )
    }
  }

  const readLocked = async (lock: HeldLock): Promise<StoredTokens | undefined> => {
    let text: string | null
    let recovered: Record<string, string>
    try {
      ;[text, recovered] = await connection.use((client) =>
        Promise.all([client.get(key), client.hGetAll(recoveryKey)]),
      )
    } catch (error) {
      throw redisFailure('Could not read the tokens from', error, location)
    }
    const current = text === null ? undefined : parseStoredPair(text, location)
    let best: { field: string; tokens: StoredTokens } | undefined
    for (const [field, value] of Object.entries(recovered)) {
      const read = decodePairText(value, { where: `${recoveryKey} › ${field}` })
      if (read.ok && isNewerPair(read.tokens, best?.tokens ?? current)) best = { field, tokens: read.tokens }
    }
    if (!best) return current
    try {
      await fencedWrite(lock, JSON.stringify(encodePair(best.tokens)), best.field)
    } catch {
      // Returned all the same (its access token may serve as is); the next write that stores it removes it.
      pending = best
    }
    return best.tokens
  }

  return {
    location,
    newPairHint: IMPORT_PAIR_HINT,
    key,
    lockKey,
    recoveryKey,
    async read() {
      if (held) return readLocked(held)
      let text: string | null
      try {
        text = await connection.use((client) => client.get(key))
      } catch (error) {
        throw redisFailure('Could not read the tokens from', error, location)
      }
      return text === null ? undefined : parseStoredPair(text, location)
    },
    async write(tokens) {
      assertWritable(tokens, location)
      const text = JSON.stringify(encodePair(tokens))
      const done = pending
      const settles =
        done && (tokens.refreshToken === done.tokens.refreshToken || isNewerPair(tokens, done.tokens))
      if (held) {
        await fencedWrite(held, text, settles ? done.field : '')
      } else {
        try {
          await connection.use(async (client) => {
            await client.set(key, text)
            if (settles)
              await client.eval(`return redis.call('HDEL', KEYS[1], ARGV[1])`, {
                keys: [recoveryKey],
                arguments: [done.field],
              })
          })
        } catch (error) {
          throw redisFailure('Could not save the tokens to', error, location)
        }
      }
      if (settles && pending === done) pending = undefined
    },
    withLock(fn, { signal } = {}) {
      const acquire = () =>
        acquireRedisLock(connection, { lockKey, leaseMs, timeoutMs: lockTimeoutMs, location }, signal)
      return runHoldingLock(mutex, acquire, hold, fn, signal)
    },
    async saveRecovery(tokens) {
      const holder = thisHolder()
      const field = `${new Date().toISOString()} ${holder.program} pid ${holder.pid ?? '?'} on ${holder.host ?? '?'} ${crypto.randomUUID().slice(0, 8)}`
      try {
        await connection.use((client) => client.hSet(recoveryKey, field, JSON.stringify(encodePair(tokens))))
        return `${url.shown} › ${recoveryKey} › ${field}`
      } catch {
        // The server is out of reach: the pair must still land somewhere the user can find.
        return saveLocalRecovery(tokens, `redis-${name}`, location)
      }
    },
    async remove() {
      try {
        const [removed] = await connection.use((client) =>
          Promise.all([client.del(key), client.del(recoveryKey)]),
        )
        pending = undefined
        return removed === 1
      } catch (error) {
        throw redisFailure('Could not delete the tokens from', error, location)
      }
    },
    close: () => connection.close(),
  }
}
