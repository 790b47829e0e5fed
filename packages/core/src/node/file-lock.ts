import { randomUUID } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { link, open, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { StorageError } from '../errors.ts'
import { abortReason, sleep } from '../internal/sleep.ts'
import { errorCode, retryWhileBusy } from './atomic-write.ts'

/** What a lock file holds: who took the lock and when. Plain JSON, one line, so a human can read it too. */
export interface LockOwner {
  readonly pid: number
  readonly host: string
  /** Random per acquisition: release and stale-lock takeover act only on the exact lock they looked at. */
  readonly token: string
  /** Epoch milliseconds when the lock was taken. */
  readonly time: number
  /** `node 20.20.2`, `deno 2.9.6`, `bun 1.4.5`: for the timeout message. */
  readonly runtime?: string
}

export interface FileLockOptions {
  /** Give up waiting after this long with a `LOCK_TIMEOUT` StorageError. Default 30 s. */
  timeoutMs?: number | undefined
  /**
   * A lock older than this is taken over even if its owner looks alive (it may run on another host, or be
   * frozen). Must exceed the longest time anyone holds the lock (a token refresh with its retries). Default
   * 60 s.
   */
  staleMs?: number | undefined
  /** Stops waiting; the promise rejects with the signal's reason (a TimeoutError `ABORTED` by default). */
  signal?: AbortSignal | undefined
}

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
/** A lock file is never half-written under this scheme, but a stray tool may leave garbage: wait so long. */
const UNPARSABLE_GRACE_MS = 2_000
/** The break section lasts milliseconds; a `.break` file older than this was left by a crashed process. */
const BREAK_STALE_MS = 5_000
/**
 * Deno without `--allow-sys` refuses `os.hostname()`. Then no lock counts as "on this host", so a dead
 * owner's lock is taken over only after `staleMs`: slower, never unsafe. (Likewise `process.kill` without
 * `--allow-run` fails with something other than ESRCH, which counts as alive.)
 */
function thisHost(): string | undefined {
  if (cachedHost === null) {
    try {
      cachedHost = hostname()
    } catch {
      cachedHost = undefined
    }
  }
  return cachedHost
}
// Looked up on first use, not at import: Deno may prompt for the permission.
let cachedHost: string | undefined | null = null
/** `link` is unsupported on FAT and some network or FUSE filesystems: fall back to `open('wx')` there. */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])

/**
 * Takes the cross-process lock at `lockPath`, waiting with exponential backoff and jitter while another
 * program (Node, Deno or Bun, this host or another sharing the folder) holds it. Callers in this process
 * queue up in memory first, so a thousand concurrent callers cost one contender on disk.
 *
 * The scheme is the one measured in locking.md (0 double holders in 110 racing rounds, where the common
 * stat → unlink → recreate takeover let two processes in 19 rounds of 20):
 * 1. the owner record goes to a temp file that is `link`-ed to `lockPath`, so the lock never exists
 *    half-written;
 * 2. staleness is judged from one open handle (`stat` + `readFile` of the same file): the owner runs on
 *    this host and its pid is dead, or the lock is older than `staleMs`, or it is garbage past a short grace;
 * 3. a stale lock is removed only while holding `<lockPath>.break`, after re-checking under it that the very
 *    same lock is still there and still stale;
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
  const timeoutMs = options.timeoutMs ?? 30_000
  const staleMs = options.staleMs ?? 60_000
  const { signal } = options
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be a number >= 0, got ${timeoutMs}`)
  if (!(staleMs > 0)) throw new RangeError(`staleMs must be a number > 0, got ${staleMs}`)
  const path = resolve(lockPath)
  const deadline = Date.now() + timeoutMs
  const { turn, leave } = joinQueue(path)
  try {
    if (!(await waitForTurn(turn, deadline - Date.now(), signal))) throw await queueTimeout(path, timeoutMs)
    const token = await acquireOnDisk(path, deadline, timeoutMs, staleMs, signal)
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
function waitForTurn(turn: Promise<void>, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal))
    // setTimeout(Infinity) would fire at once: no timer means wait forever.
    const timer = Number.isFinite(ms) ? setTimeout(() => finish(false), Math.max(0, ms)) : undefined
    const onAbort = () => {
      cleanup()
      reject(abortReason(signal!))
    }
    function cleanup() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    function finish(gotTurn: boolean) {
      cleanup()
      resolve(gotTurn)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    void turn.then(() => finish(true))
  })
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
      if (attempt > 3) await sleep(Math.min(remaining, backoff(attempt)), signal)
      continue
    }
    if (staleReason(seen, staleMs) && (await breakStaleLock(path, seen, staleMs))) continue
    if (remaining <= 0) throw lockTimeout(path, timeoutMs, seen)
    await sleep(Math.min(remaining, backoff(attempt)), signal)
  }
}

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

async function writeNew(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o644)
  try {
    await handle.writeFile(text, 'utf8')
  } finally {
    await handle.close()
  }
}

type Inspection =
  | { readonly kind: 'free' }
  | {
      readonly kind: 'held'
      /** Identifies this exact lock file: its token, or for garbage its inode and content. */
      readonly id: string
      readonly owner: LockOwner | undefined
      readonly ageMs: number
      /** Set when the file exists but cannot be opened (a lock left by another user, say). */
      readonly unreadable?: string
    }
type HeldInspection = Extract<Inspection, { kind: 'held' }>

/**
 * Reads the lock through ONE handle: a separate `stat(path)` and `readFile(path)` may see two different lock
 * files when a takeover happens in between (9 double holders in 30 rounds in locking.md).
 */
async function inspect(path: string): Promise<Inspection> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT') return { kind: 'free' }
    return { kind: 'held', id: `unreadable:${code}`, owner: undefined, ageMs: 0, unreadable: code ?? 'error' }
  }
  let text: string
  let mtimeMs: number
  let ino: number
  try {
    const stats = await handle.stat()
    mtimeMs = stats.mtimeMs
    ino = stats.ino
    text = await handle.readFile('utf8')
  } catch (error) {
    const code = errorCode(error) ?? 'error'
    return { kind: 'held', id: `unreadable:${code}`, owner: undefined, ageMs: 0, unreadable: code }
  } finally {
    await handle.close().catch(() => undefined)
  }
  const owner = parseOwner(text)
  // The later of the two clocks: a lock must never look older than it is.
  const since = owner ? Math.max(mtimeMs, owner.time) : mtimeMs
  const ageMs = Math.max(0, Date.now() - since)
  const id = owner ? `token:${owner.token}` : `raw:${ino}:${mtimeMs}:${text}`
  return { kind: 'held', id, owner, ageMs }
}

function parseOwner(text: string): LockOwner | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { pid, host, token, time, runtime } = value as Record<string, unknown>
  // pid 0 or negative would make process.kill signal a whole process group.
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined
  if (typeof host !== 'string' || typeof token !== 'string' || token === '') return undefined
  if (typeof time !== 'number' || !Number.isFinite(time)) return undefined
  return { pid, host, token, time, ...(typeof runtime === 'string' ? { runtime } : {}) }
}

/** Why the lock may be taken over, or undefined while it must be respected. */
function staleReason(seen: Inspection, staleMs: number): string | undefined {
  if (seen.kind !== 'held' || seen.unreadable) return undefined
  const { owner, ageMs } = seen
  if (!owner) return ageMs > Math.min(UNPARSABLE_GRACE_MS, staleMs) ? 'unparsable' : undefined
  if (ageMs > staleMs) return 'expired'
  const here = thisHost()
  if (here !== undefined && owner.host === here && !isAlive(owner.pid)) return 'owner dead'
  return undefined
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to another user. Anything unexpected: assume alive, age will settle it.
    return errorCode(error) !== 'ESRCH'
  }
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
    await removeAbandonedBreak(breakPath)
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

/** Its holder crashed inside the few-millisecond break section; else every later takeover would wait. */
async function removeAbandonedBreak(breakPath: string): Promise<void> {
  const seen = await inspect(breakPath)
  if (seen.kind === 'held' && !seen.unreadable && seen.ageMs > BREAK_STALE_MS) {
    await unlink(breakPath).catch(() => undefined)
  }
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
      if (released) return false
      const seen = await inspect(path)
      return seen.kind === 'held' && seen.owner?.token === token
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

/** Exponential with jitter, never 0: 12 contenders spread out instead of retrying in lockstep. */
function backoff(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16))
  return ceiling / 2 + (Math.random() * ceiling) / 2
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
    holder = `process ${owner.pid}${what} on ${where} has held it for ${seconds(seen.ageMs)}`
  }
  return new StorageError(
    'LOCK_TIMEOUT',
    `Timed out after ${seconds(timeoutMs)} waiting for the lock file ${path}: ${holder}. ` +
      'Another aac program is probably renewing the tokens; try again in a moment. ' +
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

function cannotLock(path: string, error: unknown): StorageError {
  return new StorageError(
    'STORAGE_ERROR',
    `Could not create the lock file ${path} (${errorCode(error) ?? String(error)}). aac needs to create ` +
      `files in ${dirname(path)}: check that the folder exists and that you may write to it.`,
    { cause: error, location: path },
  )
}
