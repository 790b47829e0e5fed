/**
 * What a file store leaves beside creds.json, and finds again: the recovery file of a save that failed
 * (`<creds.json>.recovered-<time>`), the orphaned temp file of an atomic write whose process was killed before its
 * rename (`.<creds.json>.<8 hex>.tmp`), and an unparsable creds.json moved aside (`<creds.json>.corrupt-<time>`).
 * The first two may hold the only live refresh token; nothing here deletes what may be the user's.
 */

import { randomUUID } from 'node:crypto'
import { lstat, readdir, rename, stat, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { StorageError } from '../../errors.ts'
import { decodeAccessToken } from '../../jwt.ts'
import { decodePair, encodePairText, PAIR_SHAPE } from '../pair-codec.ts'
import type { StoredTokens } from '../types.ts'
import { writeFileAtomic } from './atomic-write.ts'
import { errorCode } from './error-code.ts'
import { readTextFile } from './read-text-file.ts'
import { resolveTarget } from './resolve-target.ts'
import { currentUid } from './runtime-permission.ts'

/** Where a user gets a new pair, for messages. */
export const HOW_TO_GET_TOKENS =
  'generate a new pair in Alteryx Cloud under User Preferences > OAuth 2.0 API Tokens (+ Generate)'

/**
 * Renames, never deletes: the file may hold the only copy of a pair the user can still recover by hand. A
 * symlinked creds.json keeps its link: the file it points to is moved, so that every program sharing it
 * (through the link or not) sees it gone, and the next write through the link creates a good one.
 */
export async function moveAside(path: string): Promise<string> {
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

/**
 * The old refresh token is already spent when this runs, so the new pair must land somewhere the user can
 * find: beside creds.json (same format, so renaming it to creds.json restores it), else in the temp folder.
 * The next program that reads creds.json under the lock finds the copy beside it and finishes the save.
 */
export async function saveRecovery(path: string, tokens: StoredTokens): Promise<string> {
  const content = encodePairText(tokens)
  const stamp = timestamp()
  // Beside the file creds.json really is, where the next program sharing it looks (see adoptLeftover).
  const target = await resolveTarget(path).catch(() => path)
  const beside = await unusedName(`${target}.recovered-${stamp}`)
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

// ---------------------------------------------------------------------------------------------------------
// Leftovers: a recovery file (`<creds.json>.recovered-<time>`, written by saveRecovery after a failed save)
// or an orphaned temp file of writeFileAtomic (`.<creds.json>.<8 hex>.tmp`, left when a process is killed
// between its write and its rename: complete, it was fsync-ed before the rename). Either may hold the only live
// refresh token: the one in creds.json was spent by the rotation that produced it.

export interface Adopted {
  /** The leftover file the pair came from. */
  readonly file: string
  readonly kind: 'recovery' | 'temp'
  readonly tokens: StoredTokens
}

/**
 * Under the lock: the newest leftover pair that is newer than `current` (by its access token's `iat`, else
 * `exp`: a file's mtime says when it was written, not which pair is newer), or undefined. Looks beside the file
 * creds.json really is, and for recovery files also beside `path` (a symlinked creds.json's recovery files
 * went there before). Abandoned temp files that are not newer are removed; recovery files that are not newer
 * are left alone: they are the user's. Temp files that are not adopted are removed: see below.
 */
export async function adoptLeftover(
  path: string,
  current: StoredTokens | undefined,
): Promise<Adopted | undefined> {
  const real = await resolveTarget(path).catch(() => path)
  const places = [{ dir: dirname(real), base: basename(real), temps: true }]
  if (dirname(path) !== dirname(real) || basename(path) !== basename(real)) {
    places.push({ dir: dirname(path), base: basename(path), temps: false })
  }
  const owners = await allowedOwners(real)
  let best: Adopted | undefined
  for (const { dir, base, temps } of places) {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      continue
    }
    const tempName = new RegExp(`^\\.${escapeRegExp(base)}\\.[0-9a-f]{8}\\.tmp$`)
    for (const name of names) {
      const kind = name.startsWith(`${base}.recovered-`)
        ? 'recovery'
        : temps && tempName.test(name)
          ? 'temp'
          : undefined
      if (!kind) continue
      const file = join(dir, name)
      const found = await readLeftover(file, owners)
      if (found === 'skip') continue
      const tokens = found.tokens
      if (tokens && isNewer(tokens, current)) {
        if (!best || isNewer(tokens, best.tokens)) best = { file, kind, tokens }
      } else if (kind === 'temp') {
        // Every writer of creds.json writes under this lock, so a temp file seen while we hold it is no write
        // in progress: it was left by a killed program. (A writer that stalled past the stale age and lost the
        // lock finds its temp file gone: its rename fails, and its pair goes to a recovery file, adopted above.)
        await unlink(file).catch(() => undefined)
      }
    }
  }
  return best
}

/**
 * A leftover's pair, or undefined when it holds none (unparsable, incomplete); `skip` for what is not ours to
 * judge or remove: not a regular file (a symbolic link could lead anywhere), or owned by another user.
 */
async function readLeftover(
  file: string,
  owners: ReadonlySet<number> | undefined,
): Promise<{ tokens: StoredTokens | undefined } | 'skip'> {
  let info: Awaited<ReturnType<typeof lstat>>
  try {
    info = await lstat(file)
  } catch {
    return 'skip'
  }
  if (!info.isFile() || (owners && !owners.has(info.uid))) return 'skip'
  let tokens: StoredTokens | undefined
  try {
    const read = decodePair(JSON.parse(await readTextFile(file)), { where: file })
    tokens = read.ok ? read.tokens : undefined
  } catch {
    tokens = undefined
  }
  return { tokens }
}

/**
 * This user, and the owner of creds.json (root in a container sharing a user's folder); undefined where the
 * user id is unknown (Windows, Deno without --allow-sys): then the folder's files are taken as the user's.
 */
async function allowedOwners(real: string): Promise<ReadonlySet<number> | undefined> {
  const uid = currentUid()
  if (uid === undefined) return undefined
  const owners = new Set([uid])
  const owner = await stat(real).then(
    (info) => info.uid,
    () => undefined,
  )
  if (owner !== undefined) owners.add(owner)
  return owners
}

/**
 * True when `candidate` is a newer pair than `current`: its access token was issued later (`iat`, else expires
 * later), both decoded. A pair whose age cannot be told is never newer; any decodable pair is newer than none.
 */
export function isNewer(candidate: StoredTokens, current: StoredTokens | undefined): boolean {
  const mine = decodeAccessToken(candidate.accessToken)
  if (!mine.ok) return false
  if (!current) return true
  if (candidate.refreshToken === current.refreshToken) return false
  const theirs = decodeAccessToken(current.accessToken)
  if (!theirs.ok) return false
  const a = mine.claims
  const b = theirs.claims
  if (typeof a.iat === 'number' && typeof b.iat === 'number') return a.iat > b.iat
  return a.exp > b.exp
}

/** Removes an adopted copy once its pair is in creds.json. Best effort: a leftover is harmless once not newer. */
export async function removeCopy(adopted: Adopted): Promise<void> {
  await unlink(adopted.file).catch(() => undefined)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
