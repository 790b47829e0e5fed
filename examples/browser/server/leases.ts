// The creds.json lock, held by the dev server on behalf of a page between two HTTP calls.
import { randomUUID } from 'node:crypto'
import { acquireFileLock, type FileLock, LOCK_DEFAULTS } from '@aac/core/fs'

export interface Leases {
  /** Takes the file lock (waiting like any other program would) and names the lease. */
  acquire(lockPath: string, signal: AbortSignal): Promise<string>
  /** True while the lease exists, is not ending, and the lock file still holds its token. */
  stillHeld(id: string): Promise<boolean>
  /**
   * Keeps the lease through a token request in flight: a release (by the page, or at the end of the lease)
   * waits until the returned function is called, so an answer that arrives after the page gave up can still
   * be saved under the lock. `stillHeld` stays the judge: another program may take a lock held past its stale
   * age over regardless.
   */
  pin(id: string): () => void
  release(id: string): Promise<void>
  /** Ends every lease now, pinned or not (the dev server is stopping and has waited what it could). */
  releaseAll(): Promise<void>
}

export interface LeaseOptions {
  /**
   * A page that vanishes mid-refresh (tab closed, reload) never releases: its lease ends after this long. It
   * must exceed the page's longest refresh (the token manager's 40 s) and stay below the file lock's stale age
   * (60 s), after which other programs would take the lock over anyway.
   */
  leaseMs?: number
  /**
   * How long a page waits for another program's refresh before a LOCK_TIMEOUT: as long as fileStorage waits
   * (`LOCK_DEFAULTS.timeoutMs`, the refresh budget plus a margin), or it gives up while the holder still works.
   */
  waitMs?: number
  /**
   * Runs as a lease ends (released, run out, or the dev server stopping), before the lock is released: the
   * last moment to save, under the lock, what the page left unsaved. `lockHeld` says whether the lock file still
   * holds this lease's token (the lease itself no longer counts as held). Its errors are its own business.
   */
  beforeEnd?: (id: string, lockHeld: () => Promise<boolean>) => Promise<void>
}

interface Lease {
  lock: FileLock
  timer: ReturnType<typeof setTimeout>
  pins: number
  releasing: boolean
  ending?: Promise<void>
}

export function createLeases(options: LeaseOptions = {}): Leases {
  const leaseMs = options.leaseMs ?? 50_000
  const waitMs = options.waitMs ?? LOCK_DEFAULTS.timeoutMs
  const held = new Map<string, Lease>()

  function end(id: string): Promise<void> {
    const lease = held.get(id)
    if (!lease) return Promise.resolve()
    clearTimeout(lease.timer)
    lease.ending ??= (async () => {
      try {
        await options.beforeEnd?.(id, () => lease.lock.stillHeld())
      } catch {
        // Said on the terminal by whoever passed it.
      }
      await lease.lock.release().catch(() => undefined)
      // Only now: releaseAll must find (and wait for) a lease whose lock is still being released.
      held.delete(id)
    })()
    return lease.ending
  }

  async function release(id: string): Promise<void> {
    const lease = held.get(id)
    if (!lease) return
    if (lease.pins > 0) {
      lease.releasing = true
      return
    }
    await end(id)
  }

  return {
    async acquire(lockPath, signal) {
      const lock = await acquireFileLock(lockPath, { timeoutMs: waitMs, signal })
      const id = randomUUID()
      const timer = setTimeout(() => void release(id), leaseMs)
      timer.unref()
      held.set(id, { lock, timer, pins: 0, releasing: false })
      return id
    },
    async stillHeld(id) {
      const lease = held.get(id)
      // An ending lease is over for the page: nothing new may be sent or written under it.
      return lease && !lease.ending ? lease.lock.stillHeld() : false
    },
    pin(id) {
      const lease = held.get(id)
      if (!lease) return () => {}
      lease.pins++
      let done = false
      return () => {
        if (done) return
        done = true
        lease.pins--
        if (lease.pins === 0 && lease.releasing) void end(id)
      }
    },
    release,
    async releaseAll() {
      await Promise.all([...held.keys()].map(end))
    },
  }
}
