/**
 * `@aac/core/storage/file`: the token pair in creds.json, through `node:fs/promises` (which Node, Deno and Bun
 * all run). Its parts live in `./file/`: the cross-process lock (`lock.ts`), the atomic write (`atomic-write.ts`),
 * the checks that refuse a file that cannot be replaced safely (`checks.ts`) and the leftovers of failed saves
 * (`leftovers.ts`). The pair's format and checks are the pair codec's (`./pair-codec.ts`).
 */

import { dirname, resolve } from 'node:path'
import { StorageError } from '../errors.ts'
import { sleep } from '../internal/abort.ts'
import { LOCK_TIMING } from '../lock-timing.ts'
import { writeFileAtomic } from './file/atomic-write.ts'
import { bindMountMessage, checkCredsFile, explainReadFailure, explainWriteError } from './file/checks.ts'
import { errorCode } from './file/error-code.ts'
import {
  type Adopted,
  adoptLeftover,
  HOW_TO_GET_TOKENS,
  isNewer,
  moveAside,
  removeCopy,
  saveRecovery,
} from './file/leftovers.ts'
import { storeFileLock } from './file/lock.ts'
import { readTextFile } from './file/read-text-file.ts'
import { resolveTarget } from './file/resolve-target.ts'
import {
  assertWritable,
  decodePairText,
  encodePair,
  encodePairText,
  PAIR_SHAPE,
  pairConfigError,
} from './pair-codec.ts'
import type { StoredTokens, TokenStorage, WithLockOptions } from './types.ts'

/**
 * Options of {@link fileStorage}: the creds.json to keep the pair in, and the lock programs sharing it take.
 *
 * @example
 * const storage = fileStorage({ path: '/home/me/aac/creds.json', region: 'us1' })
 */
export interface FileStorageOptions {
  /** creds.json: `{"access_token": "...", "refresh_token": "..."}`, shared with every other program. */
  path: string
  /**
   * The lock file every program sharing `path` must agree on. Default: {@link credsLockPath}, beside the file
   * `path` really is (a symlinked creds.json is locked beside its target).
   */
  lockPath?: string | undefined
  /**
   * How long `withLock` waits for another program before a `LOCK_TIMEOUT` StorageError. Default
   * `LOCK_TIMING.waitMs` (62 s). Rule: at least the refresh budget plus a margin (`lockTiming(budget).waitMs`),
   * so a waiter outlasts a holder that uses its whole budget; shorter, and waiters give up while the holder is
   * still rotating for them (with 30 s, 31 of 32 waiters failed behind a 35 s token endpoint).
   */
  lockTimeoutMs?: number | undefined
  /**
   * After this long a lock is taken over even if its owner seems alive (on another host, or frozen). Default
   * `LOCK_TIMING.staleMs` (60 s). Rule: more than the refresh budget plus a margin
   * (`lockTiming(budget).staleMs`): the longest anyone holds the lock is one rotation with all its retries,
   * and a shorter stale age lets two programs refresh at once.
   */
  staleMs?: number | undefined
  /** The region (`us1`, `eu1`…) of the API in use, for the pages named in messages. */
  region?: string | undefined
}

/** A {@link TokenStorage} backed by creds.json. */
export interface FileTokenStorage extends TokenStorage {
  /** The absolute path of creds.json. */
  readonly location: string
  /**
   * The lock file as configured: the `lockPath` option, else `location + '.lock'`. For messages only: when
   * creds.json is a symbolic link, `withLock` locks beside its target instead; `resolveLockPath()` says where.
   */
  readonly lockPath: string
  /** The lock file `withLock` takes right now: the `lockPath` option, else {@link credsLockPath}. */
  resolveLockPath(): Promise<string>
  /** Runs `fn` holding creds.json's lock file, which every program sharing the file takes. */
  withLock<T>(fn: () => Promise<T>, options?: WithLockOptions): Promise<T>
  /** Writes a pair that could not be saved to `creds.json.recovered-<time>` beside it; returns that path. */
  saveRecovery(tokens: StoredTokens): Promise<string>
}

/** A file that fails to parse may be mid-write by a program writing in place (Alteryx's Python example). */
const PARSE_RETRY_DELAYS_MS = [25, 75, 150]

/**
 * Keeps the token pair in creds.json, the file Alteryx's own Python, Node and bash examples read: plain JSON
 * with `access_token` and `refresh_token`, other top-level keys preserved, mode 0600, replaced atomically.
 * `withLock` excludes every program (Node, Deno, Bun, on this host or one sharing the folder) that locks the
 * same file, so a single-use refresh token is never spent twice.
 *
 * Not re-entrant: calling `withLock` from inside `withLock` on the same file waits until it times out.
 *
 * Safety checks: `read` opens only a regular file (never a FIFO), at most 1 MiB; `write` first runs
 * {@link checkCredsFile} and refuses a hard-linked creds.json, one mounted on its own, a FIFO or a folder, with a
 * message naming the file and the fix, and names the real errno of any failed save (ENOSPC, EROFS, EACCES…).
 * The token manager writes a record of each refresh before it sends the refresh token, so these refusals stop
 * a refresh while its token is still unspent.
 *
 * Leftovers of a failed save: `read` inside `withLock` looks for `<creds.json>.recovered-*` (what
 * `saveRecovery` writes) and orphaned temp files of the atomic write (`.<creds.json>.<8 hex>.tmp`, complete:
 * they are fsync-ed before the rename that a killed process never did), beside the file creds.json really is.
 * A pair newer than creds.json's (by the access token's `iat`, else `exp`; never by mtime) is returned, and
 * the read itself finishes the save, atomically and under the lock, then removes the copy. The read rather than
 * the next write, because there may be no next write (a fresh access token is used as is), and until
 * creds.json holds the new pair every program that reads it without this lock (Alteryx's own scripts) would send
 * the spent refresh token, which can revoke the whole family. If that save fails too, the pair is still
 * returned, the copy kept, and the first write that saves that pair (or a newer one) removes it. Every other temp
 * file of ours is removed (under the lock no cooperating writer is mid-write); recovery files that are not newer are the user's
 * and stay. Outside the lock nothing is adopted.
 *
 * @example
 * import { fileStorage } from '@aac/core/storage/file' // or '@aac/core/fs'
 * const storage = fileStorage({ path: '/home/me/aac/creds.json' })
 * const pair = await storage.read()
 */
export function fileStorage(options: FileStorageOptions): FileTokenStorage {
  const path = resolve(options.path)
  const fixedLockPath = options.lockPath === undefined ? undefined : resolve(options.lockPath)
  // Looked up at each lock, not here: creds.json may not exist yet, or be linked elsewhere later.
  const resolveLockPath = async () => fixedLockPath ?? (await credsLockPath(path))
  const lockOptions = {
    timeoutMs: options.lockTimeoutMs ?? LOCK_TIMING.waitMs,
    staleMs: options.staleMs ?? LOCK_TIMING.staleMs,
  }
  const { region } = options
  // Only while it is held may read() move a corrupt file aside or adopt a leftover pair: see readTokens.
  const lock = storeFileLock(resolveLockPath, lockOptions)
  // A leftover copy whose pair read() returned but could not save to creds.json: removed by the first write
  // that saves that pair (or a newer one).
  let pending: Adopted | undefined
  // The exact text of the last few pairs read, so that writing back a pair as it was read (the token manager
  // does, when a refresh it recorded was never sent) leaves creds.json byte-identical, formatting included.
  const asRead = new Map<string, string>()
  const remember = (tokens: StoredTokens, text: string) => {
    const key = pairKey(tokens)
    asRead.delete(key)
    asRead.set(key, text)
    for (const oldest of asRead.keys()) {
      if (asRead.size <= REMEMBERED_READS) break
      asRead.delete(oldest)
    }
  }

  return {
    location: path,
    lockPath: fixedLockPath ?? `${path}.lock`,
    resolveLockPath,
    async read() {
      const read = await readTokens(path, lock.held, region)
      const current = read?.tokens
      if (read) remember(read.tokens, read.text)
      if (!lock.held) return current
      const adopted = await adoptLeftover(path, current)
      if (!adopted) return current
      try {
        await writeTokens(path, adopted.tokens)
        await removeCopy(adopted)
      } catch {
        // The cause of the failed save may persist: return the pair anyway (its access token may serve as is),
        // keep the copy, and let the next write report the cause (the one before a refresh stops the refresh).
        pending = adopted
      }
      return adopted.tokens
    },
    async write(tokens) {
      await writeTokens(path, tokens, asRead.get(pairKey(tokens)))
      const saved = pending
      if (saved && (tokens.refreshToken === saved.tokens.refreshToken || isNewer(tokens, saved.tokens))) {
        pending = undefined
        await removeCopy(saved)
      }
    },
    withLock: (fn, options) => lock.withLock(fn, options),
    saveRecovery: (tokens) => saveRecovery(path, tokens),
  }
}

/**
 * The lock file for the creds.json at `credsPath`: `<file>.lock` beside the file it really is, so that
 * `repo/creds.json → ~/.aac/creds.json` and `AAC_CONFIG_DIR=~/.aac` lock the same file. Resolved afresh
 * on each call: the file may not exist yet, or be linked elsewhere later. `resolveTarget`
 * (storage/file/resolve-target.ts) has the rules.
 *
 * @example
 * await credsLockPath('/repo/creds.json') // '/home/me/.aac/creds.json.lock'
 */
export async function credsLockPath(credsPath: string): Promise<string> {
  return `${await resolveTarget(credsPath)}.lock`
}

/**
 * Reads the pair. A file that still does not parse after brief retries is corrupt.
 *
 * Reads take no lock, so a corrupt file is moved aside only when this instance holds the lock
 * (`mayMoveAside`, i.e. inside `withLock`): then no cooperating program is writing, and a rename can never
 * carry away a good file that a writer has just put in place. Outside the lock the StorageError is thrown and
 * the file left alone; a caller that then reads again inside `withLock` gets the file moved aside and a
 * StorageError naming both paths. (The token manager does so: a StorageError from its lock-free read sends it
 * on to its locked re-read.)
 *
 * A file that parses but holds no usable pair (a missing or empty token, the placeholders, with or without the
 * note of where `aac creds move` moved the pair, the token endpoint's error answer, a character a copy added) is
 * the user's to fix: the pair codec's ConfigError naming the file (and, for the note, the setting that finds the
 * pair), the very error `loadConfig` gives for it, and the file is left alone. So is an empty file (after the retries:
 * an in-place writer truncates first): there is nothing in it to move aside.
 */
async function readTokens(
  path: string,
  mayMoveAside: boolean,
  region: string | undefined,
): Promise<{ tokens: StoredTokens; text: string } | undefined> {
  for (let attempt = 0; ; attempt++) {
    let text: string
    try {
      text = await readTextFile(path)
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined
      throw new StorageError(
        'STORAGE_ERROR',
        `Could not read the tokens: ${explainReadFailure(path, error)}`,
        {
          cause: error,
          location: path,
        },
      )
    }
    const read = decodePairText(text, { where: path, region })
    if (read.ok) return { tokens: read.tokens, text }
    const { problem } = read
    const unparsed = problem.kind === 'not-json' || problem.kind === 'empty'
    const delay = PARSE_RETRY_DELAYS_MS[attempt]
    if (unparsed && delay !== undefined) {
      await sleep(delay)
      continue
    }
    if (problem.kind !== 'not-json') throw pairConfigError(problem, path)
    if (!mayMoveAside) {
      throw new StorageError(
        'STORAGE_ERROR',
        `${path} is not valid JSON (another program may have been interrupted while writing it). ` +
          `Put a valid ${PAIR_SHAPE} pair in it, or ${HOW_TO_GET_TOKENS}.`,
        { location: path },
      )
    }
    const aside = await moveAside(path)
    throw new StorageError(
      'STORAGE_ERROR',
      `${path} was not valid JSON (another program may have been interrupted while writing it); ` +
        `it was moved to ${aside}, nothing was deleted. ` +
        `Put a valid ${PAIR_SHAPE} pair in ${path}, or ${HOW_TO_GET_TOKENS}.`,
      { location: path },
    )
  }
}

/** How many read texts a fileStorage keeps for byte-identical write-backs (see `asRead`). */
const REMEMBERED_READS = 4

/** Identifies a pair with its metadata, as creds.json would hold it. */
function pairKey(tokens: StoredTokens): string {
  return JSON.stringify(encodePair(tokens))
}

/**
 * `exactText`: the text this pair was read from; when given, it is written as is, so a pair put back as it was
 * read leaves the file byte-identical (the user's formatting and extra keys included).
 */
async function writeTokens(path: string, tokens: StoredTokens, exactText?: string): Promise<void> {
  // An empty token must never reach the file: it would replace a pair that still works.
  assertWritable(tokens, path)
  // Before anything is written: the token manager writes a record of each refresh before it sends the refresh
  // token, so a file that cannot be rotated safely stops the refresh while the token is still unspent.
  const blocking = (await checkCredsFile(path)).filter((problem) => problem.blocksWrite)
  if (blocking.length > 0) {
    throw new StorageError(
      'STORAGE_ERROR',
      `Refusing to write the tokens to ${path}; the file was left unchanged. ${blocking.map((p) => p.message).join(' ')}`,
      { location: path },
    )
  }
  if (exactText !== undefined) {
    try {
      await writeFileAtomic(path, exactText, { mode: 0o600 })
      return
    } catch (error) {
      throw new StorageError('STORAGE_ERROR', await writeFailure(path, error), {
        cause: error,
        location: path,
      })
    }
  }
  // The user's other keys stay; the metadata and an error answer saved over the pair go (see encodePairText).
  const content = encodePairText(tokens, await existingObject(path))
  try {
    await writeFileAtomic(path, content, { mode: 0o600 })
  } catch (error) {
    throw new StorageError('STORAGE_ERROR', await writeFailure(path, error), { cause: error, location: path })
  }
}

/** A failed save, by its real cause: which file, which error code, what it means here and what to do. */
async function writeFailure(path: string, error: unknown): Promise<string> {
  const code = errorCode(error) ?? (error instanceof Error ? error.name : String(error))
  const target = await resolveTarget(path).catch(() => path)
  const dir = dirname(target)
  const intro = `Could not save the tokens to ${path}${target === path ? '' : ` (a link to ${target})`}`
  const unchanged = 'The file was left unchanged.'
  // rename() over a file mounted on its own: the folder's file system cannot replace it.
  if ((code === 'EBUSY' || code === 'EXDEV') && (error as { syscall?: unknown }).syscall === 'rename') {
    return `${intro}: ${bindMountMessage(target, '', code)} ${unchanged}`
  }
  const why = explainWriteError(error, dir)
  return `${intro} (${why}). ${unchanged}`
}

/** Keys a user or another tool keeps beside the pair survive our writes; an unparsable file has none. */
async function existingObject(path: string): Promise<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(await readTextFile(path))
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {
    // Missing, unreadable or unparsable: the write itself will report a real problem.
  }
  return {}
}
