import { randomUUID } from 'node:crypto'
import { lstat, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { ConfigError, StorageError } from '../errors.ts'
import { sleep } from '../internal/sleep.ts'
import { META_KEY, metaFromJson, metaToJson } from '../storage/meta-json.ts'
import type { StoredTokens, TokenStorage, WithLockOptions } from '../storage/types.ts'
import { writeFileAtomic } from './atomic-write.ts'
import { errorCode } from './error-code.ts'
import { acquireFileLock } from './file-lock.ts'
import { readTextFile } from './read-text-file.ts'
import { resolveTarget } from './resolve-target.ts'

export interface FileStorageOptions {
  /** creds.json: `{"access_token": "...", "refresh_token": "..."}`, shared with every other program. */
  path: string
  /**
   * The lock file every program sharing `path` must agree on. Default: {@link credsLockPath}, beside the file
   * `path` really is (a symlinked creds.json is locked beside its target).
   */
  lockPath?: string | undefined
  /** How long `withLock` waits for another program before a `LOCK_TIMEOUT` StorageError. Default 30 s. */
  lockTimeoutMs?: number | undefined
  /**
   * After this long a lock is taken over even if its owner seems alive (on another host, or frozen). Must
   * exceed the longest time anyone holds the lock, that is the token refresh with all its retries, or two
   * programs may refresh at once. Default 60 s.
   */
  staleMs?: number | undefined
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
  withLock<T>(fn: () => Promise<T>, options?: WithLockOptions): Promise<T>
  saveRecovery(tokens: StoredTokens): Promise<string>
}

/** A file that fails to parse may be mid-write by a program writing in place (Alteryx's Python example). */
const PARSE_RETRY_DELAYS_MS = [25, 75, 150]
const PAIR_SHAPE = '{"access_token": "...", "refresh_token": "..."}'
const HOW_TO_GET_TOKENS =
  'generate a new pair in Alteryx Cloud under User Preferences > OAuth 2.0 API Tokens (+ Generate)'

/**
 * Keeps the token pair in creds.json, the file Alteryx's own Python, Node and bash examples read: plain JSON
 * with `access_token` and `refresh_token`, other top-level keys preserved, mode 0600, replaced atomically.
 * `withLock` excludes every program (Node, Deno, Bun, on this host or one sharing the folder) that locks the
 * same file, so a single-use refresh token is never spent twice.
 *
 * Not re-entrant: calling `withLock` from inside `withLock` on the same file waits until it times out.
 *
 * @example
 * import { fileStorage } from '@aac/core/fs'
 * const storage = fileStorage({ path: '/home/me/aac/creds.json' })
 * const pair = await storage.read()
 */
export function fileStorage(options: FileStorageOptions): FileTokenStorage {
  const path = resolve(options.path)
  const fixedLockPath = options.lockPath === undefined ? undefined : resolve(options.lockPath)
  // Looked up at each lock, not here: creds.json may not exist yet, or be linked elsewhere later.
  const resolveLockPath = async () => fixedLockPath ?? (await credsLockPath(path))
  const lockOptions = { timeoutMs: options.lockTimeoutMs, staleMs: options.staleMs }
  // How many withLock calls of this instance are inside their critical section. Only then may read() move a
  // corrupt file aside: see readTokens.
  let holding = 0

  return {
    location: path,
    lockPath: fixedLockPath ?? `${path}.lock`,
    resolveLockPath,
    read: () => readTokens(path, holding > 0),
    write: (tokens) => writeTokens(path, tokens),
    async withLock(fn, { signal } = {}) {
      const lock = await acquireFileLock(await resolveLockPath(), { ...lockOptions, signal })
      holding++
      try {
        return await fn()
      } finally {
        holding--
        // A failed unlink must not turn a completed refresh into an error (its new pair is already saved):
        // the leftover lock is judged stale once our pid is gone, or after staleMs.
        await lock.release().catch(() => undefined)
      }
    },
    saveRecovery: (tokens) => saveRecovery(path, tokens),
  }
}

/**
 * The lock file for the creds.json at `credsPath`: `<file>.lock` beside the file it really is, so that
 * `repo/creds.json → ~/.aac/creds.json` and `AAC_CONFIG_DIR=~/.aac` lock the same file. Resolved afresh
 * on each call: the file may not exist yet, or be linked elsewhere later. {@link resolveTarget} has the rules.
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
 */
async function readTokens(path: string, mayMoveAside: boolean): Promise<StoredTokens | undefined> {
  for (let attempt = 0; ; attempt++) {
    let text: string
    try {
      text = await readTextFile(path)
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined
      throw new StorageError(
        'STORAGE_ERROR',
        `Could not read ${path} (${errorCode(error) ?? String(error)}). ` +
          'Check that it is a file and that you may read it.',
        { cause: error, location: path },
      )
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      const delay = PARSE_RETRY_DELAYS_MS[attempt]
      if (delay !== undefined) {
        await sleep(delay)
        continue
      }
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
    return toTokens(path, value)
  }
}

/** A parsed file with a missing or bad field is the user's to fix: name the field, leave the file alone. */
function toTokens(path: string, value: unknown): StoredTokens {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StorageError(
      'STORAGE_ERROR',
      `${path} must hold a JSON object ${PAIR_SHAPE}. Put your pair in it, or ${HOW_TO_GET_TOKENS}.`,
      { location: path },
    )
  }
  const record = value as Record<string, unknown>
  const problems: string[] = []
  const fields: Record<string, string> = {}
  for (const key of ['access_token', 'refresh_token']) {
    const field = record[key]
    if (field === undefined) problems.push(`has no "${key}"`)
    else if (typeof field !== 'string') problems.push(`has a "${key}" that is not a string`)
    else if (field.trim() === '') problems.push(`has an empty "${key}"`)
    else fields[key] = field.trim()
  }
  const accessToken = fields['access_token']
  const refreshToken = fields['refresh_token']
  if (accessToken === undefined || refreshToken === undefined) {
    throw new StorageError(
      'STORAGE_ERROR',
      `${path} ${problems.join(' and ')}. Put both tokens in it as ${PAIR_SHAPE}, or ${HOW_TO_GET_TOKENS}.`,
      { location: path },
    )
  }
  // The file ships with "Your access token here": say so instead of sending it to the server.
  if (isPlaceholder(accessToken) || isPlaceholder(refreshToken)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      path,
      `${path} still holds the placeholder tokens. ${capitalize(HOW_TO_GET_TOKENS)}, ` +
        'and paste the access token and the refresh token into it.',
    )
  }
  // Metadata that does not parse is ignored: it only ever helps, and the pair beside it is fine.
  const meta = metaFromJson(record[META_KEY])
  return { accessToken, refreshToken, ...(meta && { meta }) }
}

function isPlaceholder(value: string): boolean {
  return /^your .* here$/i.test(value)
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/**
 * Renames, never deletes: the file may hold the only copy of a pair the user can still recover by hand. A
 * symlinked creds.json keeps its link: the file it points to is moved, so that every program sharing it
 * (through the link or not) sees it gone, and the next write through the link creates a good one.
 */
async function moveAside(path: string): Promise<string> {
  const target = await resolveTarget(path)
  const aside = await unusedName(`${target}.corrupt-${timestamp()}`)
  try {
    await rename(target, aside)
  } catch (error) {
    throw new StorageError(
      'STORAGE_ERROR',
      `${path} is not valid JSON, and moving it aside to ${aside} failed ` +
        `(${errorCode(error) ?? String(error)}). ` +
        `Put a valid ${PAIR_SHAPE} pair in it, or ${HOW_TO_GET_TOKENS}.`,
      { cause: error, location: path },
    )
  }
  return aside
}

async function writeTokens(path: string, tokens: StoredTokens): Promise<void> {
  // An empty token must never reach the file: it would replace a pair that still works.
  if (!isToken(tokens.accessToken) || !isToken(tokens.refreshToken)) {
    throw new StorageError(
      'STORAGE_ERROR',
      `Refusing to write an empty or non-string token to ${path}; the file was left unchanged.`,
      { location: path },
    )
  }
  // The metadata belongs to the pair it was written with: replaced wholesale, removed when there is none.
  const { [META_KEY]: _old, ...kept } = await existingObject(path)
  const meta = metaToJson(tokens.meta)
  const content = {
    ...kept,
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    ...(meta && { [META_KEY]: meta }),
  }
  try {
    await writeFileAtomic(path, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 })
  } catch (error) {
    throw new StorageError(
      'STORAGE_ERROR',
      `Could not save the tokens to ${path} (${errorCode(error) ?? String(error)}). ` +
        `Check that ${dirname(path)} exists, that you may write to it, and that the disk is not full.`,
      { cause: error, location: path },
    )
  }
}

function isToken(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== ''
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

/**
 * The old refresh token is already spent when this runs, so the new pair must land somewhere the user can
 * find: beside creds.json (same format, so renaming it to creds.json restores it), else in the temp folder.
 */
async function saveRecovery(path: string, tokens: StoredTokens): Promise<string> {
  const pair = { access_token: tokens.accessToken, refresh_token: tokens.refreshToken }
  const content = `${JSON.stringify(pair, null, 2)}\n`
  const stamp = timestamp()
  const beside = await unusedName(`${path}.recovered-${stamp}`)
  try {
    await writeFileAtomic(beside, content, { mode: 0o600 })
    return beside
  } catch (besideError) {
    let elsewhere = 'the temp folder'
    try {
      // A random part: the temp folder is shared with other users, who must not be able to guess the name.
      elsewhere = join(tmpdir(), `${basename(path)}.recovered-${stamp}-${randomUUID().slice(0, 8)}`)
      await writeFileAtomic(elsewhere, content, { mode: 0o600 })
      return elsewhere
    } catch (elsewhereError) {
      throw new StorageError(
        'TOKENS_NOT_SAVED',
        `The new token pair could not be saved to ${beside} (${errorCode(besideError) ?? 'error'}) nor to ` +
          `${elsewhere} (${errorCode(elsewhereError) ?? 'error'}). The old pair is no longer valid: ` +
          `${HOW_TO_GET_TOKENS} and put it in ${path}.`,
        { cause: new AggregateError([besideError, elsewhereError]), location: path },
      )
    }
  }
}

/** ISO time without colons, which Windows forbids in file names: `2025-01-31T120000.000Z`. */
function timestamp(): string {
  return new Date().toISOString().replace(/:/g, '')
}

/** `rename` silently replaces a file: never let a second corrupt or recovered file replace the first. */
async function unusedName(base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`
    try {
      await lstat(candidate)
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return candidate
      // Cannot tell (EACCES…): a random name cannot collide, and the write or rename reports the real
      // problem.
      return `${base}-${randomUUID().slice(0, 8)}`
    }
  }
}
