import type { FileHandle } from 'node:fs/promises'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { LOCK_TIMING } from '../../lock-timing.ts'
import { FileKindError, openRegularFile } from './checks.ts'
import { errorCode } from './error-code.ts'

/** What a lock file holds: who took the lock and when. Plain JSON, one line, so a human can read it too. */
export interface LockOwner {
  /** The process id of the program that took the lock. */
  readonly pid: number
  /** The host name of the computer it runs on. */
  readonly host: string
  /** Random per acquisition: release and stale-lock takeover act only on the exact lock they looked at. */
  readonly token: string
  /** Epoch milliseconds when the lock was taken. */
  readonly time: number
  /** `node 20.20.2`, `deno 2.9.6`, `bun 1.4.5`: for the timeout message. */
  readonly runtime?: string
}

/**
 * The defaults of `acquireFileLock` and `fileStorage`, for anyone explaining a lock to a person: `LOCK_TIMING`'s,
 * derived from the refresh budget (40 s) by the rule in `TokenStorage`'s doc comment: stale age > budget +
 * margin (60 s), and a wait a little longer still (62 s), so a waiter takes over a dead holder's lock.
 */
export const LOCK_DEFAULTS = {
  /** How long a program waits for the lock before a `LOCK_TIMEOUT`: `LOCK_TIMING.waitMs`. */
  timeoutMs: LOCK_TIMING.waitMs,
  /** A lock older than this is taken over even if its owner looks alive: `LOCK_TIMING.staleMs`. */
  staleMs: LOCK_TIMING.staleMs,
} as const

/** Why a lock may be taken over. */
export type StaleReason = 'owner dead' | 'expired' | 'unparsable'

/** A lock file is never half-written under this scheme, but a stray tool may leave garbage: wait so long. */
const UNPARSABLE_GRACE_MS = 2_000

export type Inspection =
  | { readonly kind: 'free' }
  | {
      readonly kind: 'held'
      /** Identifies this exact lock file: its token, or for garbage its inode and content. */
      readonly id: string
      readonly owner: LockOwner | undefined
      readonly ageMs: number
      /**
       * How far the owner's recorded time lies in the future (its clock is ahead, or this one was set back):
       * that time is then ignored, and the age judged by the file's own mtime.
       */
      readonly futureMs?: number
      /** Set when the file exists but cannot be opened (a lock left by another user, say). */
      readonly unreadable?: string
      /** Set when something other than a regular file sits at the path (a FIFO…): never a lock of ours. */
      readonly notRegular?: string
    }
export type HeldInspection = Extract<Inspection, { kind: 'held' }>

/**
 * Reads a lock (or `.break`) file through ONE handle: a separate `stat(path)` and `readFile(path)` may see two
 * different files when a takeover happens in between (9 double holders in 30 rounds in docs/locking.md).
 */
export async function inspect(path: string): Promise<Inspection> {
  let handle: FileHandle
  let mtimeMs: number
  let ino: number
  try {
    // Never a plain open: a FIFO at the lock path would block it forever.
    const opened = await openRegularFile(path)
    handle = opened.handle
    mtimeMs = opened.stats.mtimeMs
    ino = opened.stats.ino
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT') return { kind: 'free' }
    if (error instanceof FileKindError) {
      return { kind: 'held', id: `kind:${error.kind}`, owner: undefined, ageMs: 0, notRegular: error.kind }
    }
    return { kind: 'held', id: `unreadable:${code}`, owner: undefined, ageMs: 0, unreadable: code ?? 'error' }
  }
  let text: string
  try {
    text = await handle.readFile('utf8')
  } catch (error) {
    const code = errorCode(error) ?? 'error'
    return { kind: 'held', id: `unreadable:${code}`, owner: undefined, ageMs: 0, unreadable: code }
  } finally {
    await handle.close().catch(() => undefined)
  }
  const owner = parseOwner(text)
  const id = owner ? `token:${owner.token}` : `raw:${ino}:${mtimeMs}:${text}`
  const now = Date.now()
  // The later of the two clocks, so that a lock never looks older than it is; but a time in the future says
  // nothing about the age (taken at face value, it kept a lock "held for 0.0 s" forever): only a clock that has
  // already passed counts.
  const futureMs = owner && owner.time > now ? owner.time - now : undefined
  const known = [mtimeMs, ...(owner && futureMs === undefined ? [owner.time] : [])].filter((t) => t <= now)
  const ageMs = known.length > 0 ? now - Math.max(...known) : sinceFirstSeen(id, now)
  return { kind: 'held', id, owner, ageMs, ...(futureMs !== undefined && { futureMs }) }
}

/**
 * When even the file's mtime lies in the future (this clock was set back), the age is counted from when this
 * process first saw that very lock: it never grows from nothing, and a lock held forever still goes stale.
 */
function sinceFirstSeen(id: string, now: number): number {
  let first = firstSeen.get(id)
  if (first === undefined) {
    if (firstSeen.size >= 64) firstSeen.delete(firstSeen.keys().next().value as string)
    firstSeen.set(id, now)
    first = now
  }
  return Math.max(0, now - first)
}
const firstSeen = new Map<string, number>()

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
export function staleReason(seen: Inspection, staleMs: number): StaleReason | undefined {
  if (seen.kind !== 'held' || seen.unreadable || seen.notRegular) return undefined
  const { owner, ageMs } = seen
  if (!owner) return ageMs > Math.min(UNPARSABLE_GRACE_MS, staleMs) ? 'unparsable' : undefined
  if (ageMs > staleMs) return 'expired'
  if (isLocal(owner) && !isAlive(owner.pid)) return 'owner dead'
  return undefined
}

/**
 * True only when the lock's owner is known to be running: it is on this computer and its pid answers. A lock
 * from another host, or one whose pid this runtime may not check (Deno without --allow-run or --allow-sys), may
 * belong to a dead program that only its age can reveal.
 */
export function ownerProvablyAlive(seen: Inspection): boolean {
  if (seen.kind !== 'held' || !seen.owner || !isLocal(seen.owner)) return false
  try {
    process.kill(seen.owner.pid, 0)
    return true
  } catch (error) {
    return errorCode(error) === 'EPERM'
  }
}

/** True when the owner runs on this computer, so that its pid means something here. */
function isLocal(owner: LockOwner): boolean {
  const here = thisHost()
  return here !== undefined && owner.host === here
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
 * Deno without `--allow-sys` refuses `os.hostname()`. Then no lock counts as "on this host", so a dead
 * owner's lock is taken over only after `staleMs`: slower, never unsafe. (Likewise `process.kill` without
 * `--allow-run` fails with something other than ESRCH, which counts as alive.)
 */
export function thisHost(): string | undefined {
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

/** What `inspectLock` found. */
export interface LockState {
  /**
   * `free`: no lock file. `held`: a program that wants the lock waits (and times out after its
   * `timeoutMs`). `stale`: the next program that wants the lock takes it over, for `reason`.
   */
  readonly state: 'free' | 'held' | 'stale'
  /** The owner record, when the file holds one. */
  readonly owner?: LockOwner
  /** True when the owner runs on this computer (then `held` means its process is alive). */
  readonly local?: boolean
  /** How long the lock has been held (0 when free or unreadable). */
  readonly ageMs: number
  /** Why a `stale` lock counts as stale. */
  readonly reason?: StaleReason
  /** Set when the file exists but cannot be read (`EACCES`…): it is respected, never taken over. */
  readonly unreadable?: string
  /**
   * Set when the path holds something other than a regular file (`a FIFO (named pipe)`, `a folder`…):
   * `acquireFileLock` refuses it at once, naming it, instead of waiting.
   */
  readonly notRegular?: string
  /** How far the owner's recorded time lies in the future; the age is then judged by the file's mtime. */
  readonly futureMs?: number
}

/**
 * Judges the lock at `lockPath` exactly as `acquireFileLock` would, without touching it: for tools that
 * explain a lock to a person (`aac doctor`). `staleMs` must be the one the programs sharing the lock use
 * (default `LOCK_DEFAULTS.staleMs`, as theirs).
 *
 * @example
 * const { state, owner, ageMs } = await inspectLock('/home/me/aac/creds.json.lock')
 * if (state === 'held') console.log(`pid ${owner?.pid} has held it for ${ageMs} ms`)
 */
export async function inspectLock(lockPath: string, options: { staleMs?: number } = {}): Promise<LockState> {
  const staleMs = options.staleMs ?? LOCK_DEFAULTS.staleMs
  if (!(staleMs > 0)) throw new RangeError(`staleMs must be a number > 0, got ${staleMs}`)
  const seen = await inspect(resolve(lockPath))
  if (seen.kind === 'free') return { state: 'free', ageMs: 0 }
  const { owner, ageMs, unreadable, notRegular, futureMs } = seen
  const reason = staleReason(seen, staleMs)
  return {
    state: reason ? 'stale' : 'held',
    ageMs,
    ...(owner && { owner, local: isLocal(owner) }),
    ...(reason && { reason }),
    ...(unreadable && { unreadable }),
    ...(notRegular && { notRegular }),
    ...(futureMs !== undefined && { futureMs }),
  }
}
