import { randomUUID } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { link, lstat, open, readdir, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { StorageError } from '../../errors.ts'
import { abortReason, backoffDelay, sleep, untilAborted } from '../../internal/abort.ts'
import { retryWhileBusy } from './atomic-write.ts'
import { explainWriteError } from './checks.ts'
import { errorCode } from './error-code.ts'
import {
  type HeldInspection,
  type Inspection,
  inspect,
  LOCK_DEFAULTS,
  type LockOwner,
  ownerProvablyAlive,
  staleReason,
  thisHost,
} from './lock-inspect.ts'

export {
  inspectLock,
  LOCK_DEFAULTS,
  type LockOwner,
  type LockState,
  type StaleReason,
} from './lock-inspect.ts'

/** Options of {@link acquireFileLock}: how long to wait, when a lock is stale, and an abort signal. */
export interface FileLockOptions {
  /**
   * Give up waiting after this long with a `LOCK_TIMEOUT` StorageError. Default `LOCK_TIMING.waitMs` (62 s).
   * Rule: at least the longest hold (the refresh budget) plus a margin, or waiters give up while the holder is
   * still working for them; `lockTiming(budget).waitMs` also outlasts the stale age, so that a waiter takes
   * over the lock of a holder that was killed where its death cannot be checked.
   */
  timeoutMs?: number | undefined
  /**
   * A lock older than this is taken over even if its owner looks alive (it may run on another host, or be
   * frozen). Default `LOCK_TIMING.staleMs` (60 s). Rule: more than the longest hold (the refresh budget with its
   * retries) plus a margin, `lockTiming(budget).staleMs`, or two programs may hold the lock at once.
   */
  staleMs?: number | undefined
  /** Stops waiting; the promise rejects with the signal's reason (a TimeoutError `ABORTED` by default). */
  signal?: AbortSignal | undefined
}

/** A lock file held by this process, from {@link acquireFileLock}: check it is still held, then release it. */
export interface FileLock {
  /** The absolute path of the lock file. */
  readonly path: string
  /** The token written into the lock file by this acquisition. */
  readonly token: string
  /**
   * True while the lock file still holds this acquisition's token. False once released, or if another program
   * took the lock over because it judged this one stale: check before committing work that must be exclusive.
   */
  stillHeld(): Promise<boolean>
  /** Removes the lock file if (and only if) it still holds this acquisition's token. Idempotent. */
  release(): Promise<void>
}

const BACKOFF_BASE_MS = 8
const BACKOFF_CAP_MS = 150
/** The break section lasts milliseconds; a `.break` file older than this was left by a crashed process. */
const BREAK_STALE_MS = 5_000
/** `link` is unsupported on FAT and some network or FUSE filesystems: fall back to `open('wx')` there. */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])

/**
 * Takes the cross-process lock at `lockPath`, waiting with exponential backoff and jitter while another
 * program (Node, Deno or Bun, this host or another sharing the folder) holds it. Callers in this process
 * queue up in memory first, so a thousand concurrent callers cost one contender on disk.
 *
 * The scheme is the one measured in docs/locking.md (0 double holders in 110 racing rounds, where the common
 * stat → unlink → recreate takeover let two processes in 19 rounds of 20):
 * 1. the owner record goes to a temp file that is `link`-ed to `lockPath`, so the lock never exists
 *    half-written;
 * 2. staleness is judged from one open handle (`stat` + `readFile` of the same file): the owner runs on
 *    this host and its pid is dead, or the lock is older than `staleMs`, or it is garbage past a short grace;
 * 3. a stale lock is removed only while holding `<lockPath>.break` (itself holding a token), after
 *    re-checking under it that the very same lock is still there and still stale, and that the `.break` is
 *    still ours; a `.break` left by a crashed breaker is removed only if it is still the very file judged
 *    abandoned;
 * 4. release removes the lock only if it still holds our token.
 *
 * Not re-entrant: a second acquisition of the same path from inside the first waits for it (and times out).
 *
 * @example
 * const lock = await acquireFileLock('/home/me/aac/creds.json.lock', { timeoutMs: 10_000 })
 * try {
 *   // read, refresh, write
 * } finally {
 *   await lock.release()
 * }
 */
export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<FileLock> {
  const timeoutMs = options.timeoutMs ?? LOCK_DEFAULTS.timeoutMs
  const staleMs = options.staleMs ?? LOCK_DEFAULTS.staleMs
  const { signal } = options
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be a number >= 0, got ${timeoutMs}`)
  if (!(staleMs > 0)) throw new RangeError(`staleMs must be a number > 0, got ${staleMs}`)
  const path = resolve(lockPath)
  const deadline = Date.now() + timeoutMs
  const { turn, leave } = joinQueue(path)
  try {
    if (!(await waitForTurn(turn, deadline - Date.now(), signal))) throw await queueTimeout(path, timeoutMs)
    const token = await acquireOnDisk(path, deadline, timeoutMs, staleMs, signal)
    await sweepOrphanedRecords(path, staleMs)
    return heldLock(path, token, leave)
  } catch (error) {
    leave()
    throw error
  }
}

// ---------------------------------------------------------------------------------------------------------
// In-process queue: one FIFO chain per lock path. It only spares the filesystem; exclusion comes from the
// file, so two copies of this module, worker threads or other runtimes in the same process stay correct.

const queues = new Map<string, Promise<void>>()

function joinQueue(key: string): { turn: Promise<void>; leave: () => void } {
  const turn = queues.get(key) ?? Promise.resolve()
  let leave!: () => void
  const done = new Promise<void>((resolve) => {
    leave = resolve
  })
  // A caller that gives up (timeout, abort) calls leave() at once; its successor still waits for `turn`.
  const tail = turn.then(() => done)
  queues.set(key, tail)
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key)
  })
  return { turn, leave }
}

/** Resolves true when `turn` comes, false when `ms` passes first; rejects when `signal` aborts. */
async function waitForTurn(
  turn: Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  // setTimeout(Infinity) would fire at once: no timer means wait forever.
  const timeUp = new Promise<boolean>((resolve) => {
    if (Number.isFinite(ms)) timer = setTimeout(() => resolve(false), Math.max(0, ms))
  })
  const first = Promise.race([turn.then(() => true), timeUp])
  try {
    return await (signal ? untilAborted(first, signal) : first)
  } finally {
    clearTimeout(timer)
  }
}

// ---------------------------------------------------------------------------------------------------------
// On disk

async function acquireOnDisk(
  path: string,
  deadline: number,
  timeoutMs: number,
  staleMs: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw abortReason(signal)
    const token = randomUUID()
    if (await tryCreate(path, token)) return token
    const seen = await inspect(path)
    const remaining = deadline - Date.now()
    if (seen.kind === 'free') {
      // Usually released between our attempt and our look: try again at once. But something that blocks link()
      // while reading as absent (a dangling symlink at the lock path) would spin here forever: keep the deadline.
      if (remaining <= 0) throw lockTimeout(path, timeoutMs, seen)
      if (attempt > 3)
        await sleep(Math.min(remaining, backoffDelay(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS)), signal)
      continue
    }
    if (seen.notRegular) throw notALock(path, seen.notRegular)
    if (staleReason(seen, staleMs) && (await breakStaleLock(path, seen, staleMs))) continue
    if (remaining <= 0) throw lockTimeout(path, timeoutMs, seen)
    await sleep(Math.min(remaining, backoffDelay(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS)), signal)
  }
}

/** The lock file of one store object (creds.json's, the keychain's): its `withLock`, and whether it is held. */
export interface StoreFileLock {
  /**
   * Runs `fn` holding the lock file: `fn`'s result or error is what the caller gets. A failed release must not
   * turn a completed refresh into an error (its new pair is already saved): the leftover lock is judged stale
   * once our pid is gone, or after staleMs.
   */
  withLock<T>(fn: () => Promise<T>, options?: { signal?: AbortSignal | undefined }): Promise<T>
  /**
   * True while one of this object's withLock calls is inside its critical section: only then may the store's
   * read() repair what it finds (adopt a leftover or recovered pair, move a corrupt file aside).
   */
  readonly held: boolean
}

/**
 * The lock file at the path `lockPath()` resolves to (it may create its folder), taken with `options`.
 *
 * @example
 * const lock = storeFileLock(async () => '/home/me/aac/creds.json.lock', {})
 * await lock.withLock(() => rotate())
 */
export function storeFileLock(lockPath: () => Promise<string>, options: FileLockOptions): StoreFileLock {
  let holding = 0
  return {
    get held() {
      return holding > 0
    },
    async withLock(fn, { signal } = {}) {
      const lock = await acquireFileLock(await lockPath(), { ...options, signal })
      holding++
      try {
        return await fn()
      } finally {
        holding--
        await lock.release().catch(() => undefined)
      }
    },
  }
}

/**
 * A contender killed between writing its owner record and linking it leaves `.<lock>.<uuid>.tmp` behind. Once
 * we hold the lock, one older than the stale age belongs to nobody: remove it (best effort, never fatal).
 */
async function sweepOrphanedRecords(path: string, staleMs: number): Promise<void> {
  const dir = dirname(path)
  const prefix = `.${basename(path)}.`
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  const now = Date.now()
  for (const name of names) {
    if (!name.startsWith(prefix) || !ORPHAN_SUFFIX.test(name.slice(prefix.length))) continue
    const orphan = join(dir, name)
    try {
      const info = await lstat(orphan)
      if (info.isFile() && now - info.mtimeMs > staleMs) await unlink(orphan)
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

/** The `<uuid>.tmp` part of an owner record's temp name (see tryCreate). */
const ORPHAN_SUFFIX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/

/** Publishes our owner record at `path` in one step. False if someone else holds it. */
async function tryCreate(path: string, token: string): Promise<boolean> {
  const record = `${JSON.stringify(ownerRecord(token))}\n`
  const temp = join(dirname(path), `.${basename(path)}.${token}.tmp`)
  try {
    await writeNew(temp, record)
  } catch (error) {
    throw cannotLock(path, error)
  }
  try {
    await link(temp, path)
    return true
  } catch (error) {
    const code = errorCode(error)
    if (code === 'EEXIST') return false
    if (code && LINK_UNSUPPORTED.has(code)) return createDirectly(path, record)
    throw cannotLock(path, error)
  } finally {
    await unlink(temp).catch(() => undefined)
  }
}

/**
 * Without hard links the record is written after an exclusive create, so for a moment the lock file is empty;
 * contenders read that as garbage younger than UNPARSABLE_GRACE_MS, which is never stale.
 */
async function createDirectly(path: string, record: string): Promise<boolean> {
  try {
    await writeNew(path, record)
    return true
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false
    throw cannotLock(path, error)
  }
}

/**
 * Creates `path` holding `text`. A write that fails (ENOSPC, EDQUOT, EIO…) removes the file it created: a temp
 * file would stay behind for good, and an empty lock file would block everyone for the garbage grace.
 */
async function writeNew(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o644)
  try {
    await handle.writeFile(text, 'utf8')
  } catch (error) {
    await handle.close().catch(() => undefined)
    await unlink(path).catch(() => undefined)
    throw error
  }
  await handle.close()
}

/**
 * Removes the stale lock `seen`, holding `<path>.break` so that no two processes do the check-then-unlink at
 * once (without it, one would unlink the lock another had just created). True if we removed it.
 */
async function breakStaleLock(path: string, seen: HeldInspection, staleMs: number): Promise<boolean> {
  const breakPath = `${path}.break`
  const breakToken = randomUUID()
  let handle: FileHandle
  try {
    handle = await open(breakPath, 'wx', 0o644)
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw cannotLock(path, error)
    const other = await inspect(breakPath)
    // Never judged abandoned, so no takeover could ever happen: say so now rather than at the timeout.
    if (other.kind === 'held' && other.notRegular) throw notALock(breakPath, other.notRegular)
    if (other.kind === 'held' && isAbandonedBreak(other)) await removeAbandonedBreak(breakPath, other)
    return false
  }
  try {
    try {
      await handle.writeFile(`${JSON.stringify(ownerRecord(breakToken))}\n`, 'utf8')
    } finally {
      await handle.close()
    }
  } catch (error) {
    // The file is ours but holds no token that removeIfOurs could match: remove it here.
    await unlink(breakPath).catch(() => undefined)
    throw cannotLock(path, error)
  }
  try {
    const again = await inspect(path)
    if (again.kind !== 'held' || again.id !== seen.id) return false
    if (!staleReason(again, staleMs)) return false
    // Stalled past BREAK_STALE_MS, we may have had our .break judged abandoned and removed, and another breaker
    // may be where we are: leave the lock to it (not breaking is always safe; we simply try again).
    if (!(await holds(breakPath, breakToken))) return false
    try {
      await retryWhileBusy(() => unlink(path))
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw cannotLock(path, error)
    }
    return true
  } finally {
    // If this fails the file counts as abandoned after BREAK_STALE_MS; not worth failing the acquisition.
    await removeIfOurs(breakPath, breakToken).catch(() => undefined)
  }
}

/** Its holder crashed inside the few-millisecond break section (or died): else every takeover would wait. */
function isAbandonedBreak(seen: HeldInspection): boolean {
  return staleReason(seen, BREAK_STALE_MS) !== undefined
}

/**
 * Removes the `.break` file judged abandoned as `seen`, only if it is still that very file (same token, or
 * for garbage same inode and content), re-checked through one handle as `removeIfOurs` does for the lock.
 * Two contenders may judge the same old `.break` abandoned: the first removes it and a live breaker creates a
 * fresh one; the second must then not delete that fresh one, or two breakers would run at once, and each could
 * unlink the lock that the other's takeover just let a third program create. True if it removed the file.
 *
 * Exported for its unit test only.
 */
export async function removeAbandonedBreak(breakPath: string, seen: HeldInspection): Promise<boolean> {
  const again = await inspect(breakPath)
  if (again.kind !== 'held' || again.id !== seen.id || !isAbandonedBreak(again)) return false
  try {
    await retryWhileBusy(() => unlink(breakPath))
  } catch {
    // Already gone (another contender), or not ours to remove: the next round looks again.
    return false
  }
  return true
}

/** True while the file at `path` holds `token`. */
async function holds(path: string, token: string): Promise<boolean> {
  const seen = await inspect(path)
  return seen.kind === 'held' && seen.owner?.token === token
}

async function removeIfOurs(path: string, token: string): Promise<void> {
  const seen = await inspect(path)
  if (seen.kind !== 'held' || seen.owner?.token !== token) return
  try {
    await retryWhileBusy(() => unlink(path))
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error
  }
}

function heldLock(path: string, token: string, leave: () => void): FileLock {
  let released = false
  return {
    path,
    token,
    async stillHeld() {
      return !released && (await holds(path, token))
    },
    async release() {
      if (released) return
      released = true
      try {
        await removeIfOurs(path, token)
      } catch (error) {
        throw new StorageError(
          'STORAGE_ERROR',
          `Could not remove the lock file ${path} (${errorCode(error) ?? 'error'}). Other aac programs ` +
            `will wait until it counts as stale; if no aac program is running, delete ${path}.`,
          { cause: error, location: path },
        )
      } finally {
        leave()
      }
    },
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

function ownerRecord(token: string): LockOwner {
  return { pid: pid(), host: thisHost() ?? 'unknown', token, time: Date.now(), runtime: runtime() }
}

function pid(): number {
  return process.pid
}

function runtime(): string {
  const versions = process.versions as Record<string, string | undefined>
  if (versions['deno']) return `deno ${versions['deno']}`
  if (versions['bun']) return `bun ${versions['bun']}`
  return `node ${versions['node'] ?? '?'}`
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}

function lockTimeout(path: string, timeoutMs: number, seen: Inspection): StorageError {
  let holder: string
  if (seen.kind !== 'held')
    holder = 'something at that path that is not a lock blocks it (a dangling symbolic link?)'
  else if (seen.unreadable) holder = `it exists but cannot be read (${seen.unreadable})`
  else if (!seen.owner) holder = `it holds no owner record (last changed ${seconds(seen.ageMs)} ago)`
  else {
    const { owner } = seen
    const where = owner.host === thisHost() ? 'this computer' : `host ${owner.host}`
    const what = owner.runtime ? ` (${owner.runtime})` : ''
    const ahead =
      seen.futureMs !== undefined
        ? ` (by the lock file's own time: it records a start ${seconds(seen.futureMs)} in the future, so one of the two clocks is wrong)`
        : ''
    holder = `process ${owner.pid}${what} on ${where} has held it for ${seconds(seen.ageMs)}${ahead}`
  }
  const likely = ownerProvablyAlive(seen)
    ? 'That program is running: it is probably renewing the tokens; try again in a moment.'
    : 'Whether that program still runs cannot be checked from here (another computer, or a runtime not allowed to look), so the lock counts as abandoned only once it is old enough; try again in a moment.'
  return new StorageError(
    'LOCK_TIMEOUT',
    `Timed out after ${seconds(timeoutMs)} waiting for the lock file ${path}: ${holder}. ${likely} ` +
      `If no aac program is running, delete ${path}.`,
    { location: path },
  )
}

/**
 * Timed out behind another caller of this process. That caller may itself be waiting for another program:
 * then name that program, as a caller that reached the disk would.
 */
async function queueTimeout(path: string, timeoutMs: number): Promise<StorageError> {
  const seen = await inspect(path).catch(() => undefined)
  if (seen?.kind === 'held' && seen.owner && (seen.owner.pid !== pid() || seen.owner.host !== thisHost())) {
    return lockTimeout(path, timeoutMs, seen)
  }
  return new StorageError(
    'LOCK_TIMEOUT',
    `Timed out after ${seconds(timeoutMs)} waiting for the lock file ${path}: another call in this same ` +
      `program (pid ${pid()}) holds it. A withLock callback runs longer than the timeout, or withLock was ` +
      `called again from inside withLock on the same file, which can never succeed.`,
    { location: path },
  )
}

/** Something other than a regular file at the lock path (or its `.break`): a FIFO would hang every program. */
function notALock(path: string, kind: string): StorageError {
  return new StorageError(
    'STORAGE_ERROR',
    `${path} is ${kind}, not a lock file: aac programs create and delete a regular file at that name to take ` +
      `turns with creds.json, and never open anything else there. Remove it (rm ${path}); aac recreates it ` +
      'when needed.',
    { location: path },
  )
}

function cannotLock(path: string, error: unknown): StorageError {
  return new StorageError(
    'STORAGE_ERROR',
    `Could not create the lock file ${path} (${explainWriteError(error, dirname(path))}). aac takes turns ` +
      `with other programs sharing creds.json by creating files in ${dirname(path)}.`,
    { cause: error, location: path },
  )
}
