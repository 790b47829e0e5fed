/**
 * What a store holds before `aac creds move` or `import` writes to it, and how to put it back: so that a write
 * that fails, or reads back wrong, leaves no half-written or stray pair behind. Taken and used under the store's
 * lock. A stray copy of a live pair is worse than none: once the original rotates, the copy's refresh token is
 * spent, and sending it again can make the server revoke the whole chain.
 */

import { readFile, rm } from 'node:fs/promises'
import { isAacError, StorageError, type StoredTokens, type TokenStorage } from '@aac/core'
import { writeFileAtomic } from '@aac/core/fs'
import { copyPair, decodePairText, encodePair, isPlaceholder } from '@aac/core/storage/pair-codec'

/** The placeholders creds.json ships with, which `aac creds move` puts back when the pair leaves it. */
export const PLACEHOLDERS = {
  accessToken: 'Your access token here',
  refreshToken: 'Your refresh token here',
} as const

/** What a store holds: no pair (nothing, or the placeholders), a pair, or something else that is not one. */
export type Holding =
  | { readonly kind: 'none' }
  | { readonly kind: 'pair'; readonly tokens: StoredTokens }
  | { readonly kind: 'other'; readonly why: string }

export interface Snapshot {
  readonly holding: Holding
  /** Puts the store back as it was; resolves to what was done, for the message. Throws if it cannot. */
  restore(): Promise<string>
}

/** A store that can delete its pair (the keychain's `remove`). */
interface Removable {
  remove(): Promise<boolean>
}

function removable(storage: TokenStorage): storage is TokenStorage & Removable {
  return typeof (storage as Partial<Removable>).remove === 'function'
}

/**
 * The store's content now. creds.json is kept byte for byte; other stores as the pair they hold. A store that
 * cannot be read (no keychain service, a locked keyring) rejects: nothing has been written yet.
 *
 * @example
 * const before = await takeSnapshot(storage, { credsPath })
 */
export async function takeSnapshot(
  storage: TokenStorage,
  file: { credsPath: string; isFile: boolean },
): Promise<Snapshot> {
  if (file.isFile) return fileSnapshot(file.credsPath)
  let holding: Holding
  try {
    const tokens = await storage.read()
    holding = tokens ? { kind: 'pair', tokens } : { kind: 'none' }
  } catch (error) {
    if ((error as { problem?: unknown }).problem === 'not-a-pair') {
      // A keychain entry holding something else: replaced only with --force.
      holding = { kind: 'other', why: (error as Error).message }
    } else if (isAacError(error) && error.message.includes('still holds the placeholder tokens')) {
      // What restore() leaves in a store that cannot delete (Redis, PostgreSQL): no pair.
      holding = { kind: 'none' }
    } else {
      // Unreachable, locked, or a value the store refuses: nothing is written over what cannot be seen.
      throw error
    }
  }
  return {
    holding,
    async restore() {
      if (holding.kind === 'pair') {
        await storage.write(holding.tokens)
        return `${storage.location} holds the pair it held before`
      }
      if (removable(storage)) {
        await storage.remove()
        return `what was written to ${storage.location} was deleted`
      }
      // No way to delete: the placeholders at least leave no live pair there.
      await storage.write(PLACEHOLDERS)
      return `${storage.location} now holds the placeholder tokens instead (it cannot delete a pair): delete the entry if you like`
    },
  }
}

/** creds.json as it is, byte for byte, and how to put exactly those bytes back (or remove a file that was not there). */
async function fileSnapshot(credsPath: string): Promise<Snapshot> {
  let bytes: Buffer | undefined
  try {
    bytes = await readFile(credsPath)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StorageError('STORAGE_ERROR', `Could not read ${credsPath}: ${(error as Error).message}`, {
        cause: error,
        location: credsPath,
      })
    }
  }
  return {
    holding: bytes === undefined ? { kind: 'none' } : judgeCreds(bytes, credsPath),
    async restore() {
      if (bytes === undefined) {
        await rm(credsPath, { force: true })
        return `${credsPath}, which did not exist before, was removed`
      }
      await writeFileAtomic(credsPath, bytes.toString('utf8'))
      return `${credsPath} holds exactly what it held before`
    },
  }
}

/** creds.json's bytes judged without the file store (whose read under the lock would move an unparsable file aside). */
function judgeCreds(bytes: Buffer, credsPath: string): Holding {
  // The file store writes UTF-8; a file in another encoding is not ours to restore byte for byte.
  if (!Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)) {
    return { kind: 'other', why: `${credsPath} is not UTF-8 text` }
  }
  const read = decodePairText(bytes.toString('utf8'), { where: credsPath })
  if (read.ok) return { kind: 'pair', tokens: read.tokens }
  const { kind, message } = read.problem
  if (kind === 'placeholder' || kind === 'moved' || kind === 'empty') return { kind: 'none' }
  return { kind: 'other', why: message }
}

/**
 * True when two pairs are the same tokens with the same metadata (as stores keep it: only its well-formed part).
 *
 * @example
 * samePair(await storage.read(), written) // true after a faithful write
 */
export function samePair(a: StoredTokens | undefined, b: StoredTokens | undefined): boolean {
  if (!a || !b) return a === b
  return JSON.stringify(encodePair(copyPair(a))) === JSON.stringify(encodePair(copyPair(b)))
}

/** True for the placeholders: a pair `restore` may have left, which is no pair. */
export function isPlaceholderPair(tokens: StoredTokens): boolean {
  return isPlaceholder(tokens.accessToken) || isPlaceholder(tokens.refreshToken)
}

/**
 * Writes `tokens` and reads them back; on any failure puts the store back as `before` found it and rethrows the
 * failure, with what was done (or could not be done) added to its message.
 *
 * @example
 * await writeVerified(storage, tokens, await takeSnapshot(storage, file))
 */
export async function writeVerified(
  storage: TokenStorage,
  tokens: StoredTokens,
  before: Snapshot,
): Promise<void> {
  try {
    await storage.write(tokens)
    const back = await storage.read()
    if (!samePair(back, tokens)) {
      throw new StorageError(
        'STORAGE_ERROR',
        `${storage.location} did not give back the pair just written to it (another program may be writing there).`,
        { location: storage.location },
      )
    }
  } catch (error) {
    throw await undone(error, [before])
  }
}

/** Something to put back after a failure: a snapshot of a store or of store.txt. */
export interface Undoable {
  restore(): Promise<string>
}

/**
 * Puts back each of `steps` (in reverse: the last change first) and adds to `error`'s message what was done, or
 * what could not be, so that nobody is left guessing where the pair is. Returns `error`.
 */
export async function undone(error: unknown, steps: readonly Undoable[]): Promise<unknown> {
  const notes: string[] = []
  for (const step of [...steps].reverse()) {
    try {
      notes.push(await step.restore())
    } catch (failure) {
      notes.push(`COULD NOT UNDO A STEP: ${(failure as Error).message ?? String(failure)}`)
    }
  }
  if (error instanceof Error && notes.length > 0) {
    // The error keeps its class and code (and so its exit code); the message says what was put back.
    error.message = `${error.message} Undone: ${notes.join('; ')}.`
  }
  return error
}
