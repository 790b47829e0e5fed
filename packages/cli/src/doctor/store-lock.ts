/**
 * The lock of a Redis or PostgreSQL store, which lives on the server: there is no file to look at, so the doctor
 * takes it as any program would (and gives it back at once), waiting a moment only. A lock that stays taken is
 * reported with its holder, as the store names it in its own timeout message (program, pid, machine).
 */

import { isAacError, StorageError, type TokenStorage } from '@aac/core'
import { keychainAccount } from '@aac/core/storage/keychain'
import { closeStore } from '../creds/context.ts'
import type { DoctorSession, SelectedStore } from './check.ts'
import { failed, type Step, skipped } from './steps.ts'

const NAME = 'store lock'

/**
 * How long the doctor waits for the lock: a refresh holds it about a second, so a lock still taken after this is
 * worth a line. (Programs wait 62 s: the timing rule.)
 */
export const LOCK_PROBE_MS = 2_000

/**
 * Takes and releases the lock of the store in force. It needs a pair in the store: PostgreSQL keeps the lock's
 * lease in the chain's row, which taking the lock would create in a store that holds none.
 */
export async function sharedStoreLock(session: DoctorSession, store: SelectedStore): Promise<Step> {
  const { url, projectId, storeHolds } = session.found
  if (storeHolds !== 'pair' || !url || !projectId) {
    return skipped(
      NAME,
      storeHolds === 'none' ? 'needs a pair in the store' : 'needs a store that can be read',
    )
  }
  let probe: { storage: TokenStorage; own: boolean } | undefined
  try {
    probe = await probeStore(store, { ...url, projectId })
    const signal = session.io.signal
    await probe.storage.withLock(async () => undefined, signal ? { signal } : {})
    return { name: NAME, status: 'pass', detail: 'free: taken and given back at once' }
  } catch (error) {
    if (!(isAacError(error) && error.code === 'LOCK_TIMEOUT')) return failed(NAME, error)
    // The store's own words name the holder: "…, held by aac (pid 42 on worker-3): it is refreshing…".
    const holder = /, held by (.+?): it is refreshing/.exec(error.message)?.[1] ?? 'another program'
    return {
      name: NAME,
      status: 'warn',
      detail: `held by ${holder} (still after ${LOCK_PROBE_MS / 1000} s)`,
      fix: `${error.message} Nothing to do unless it stays: a refresh takes seconds, so run aac doctor again in a minute.`,
    }
  } finally {
    if (probe?.own) await closeStore(probe.storage)
  }
}

/**
 * The store in force again, as select.ts opens it (the URL, the chain named after the config), with a short wait
 * for the lock (`own`: closed after). Should the two ever name different places, the store in force is used,
 * bounded by a signal: the holder's name, which only the store's timeout message gives, is then lost, but never
 * the verdict.
 */
async function probeStore(
  store: SelectedStore,
  config: Parameters<typeof keychainAccount>[0],
): Promise<{ storage: TokenStorage; own: boolean }> {
  const options = {
    url: store.spec.value,
    defaultName: keychainAccount(config),
    lockTimeoutMs: LOCK_PROBE_MS,
  }
  const probe = store.spec.kind.startsWith('redis')
    ? (await import('@aac/core/storage/redis')).redisStorage(options)
    : (await import('@aac/core/storage/postgres')).postgresStorage(options)
  if (probe.location === store.storage.location) return { storage: probe, own: true }
  await probe.close()
  return { storage: boundedLock(store.storage), own: false }
}

/** `storage`, whose withLock gives up after LOCK_PROBE_MS with a LOCK_TIMEOUT naming no holder. */
function boundedLock(storage: TokenStorage): TokenStorage {
  return {
    ...storage,
    async withLock(fn) {
      const signal = AbortSignal.timeout(LOCK_PROBE_MS)
      try {
        return await storage.withLock(fn, { signal })
      } catch (error) {
        if (!signal.aborted) throw error
        throw new StorageError(
          'LOCK_TIMEOUT',
          `Timed out after ${LOCK_PROBE_MS} ms waiting for the lock of ${storage.location}.`,
          { location: storage.location },
        )
      }
    },
  }
}
