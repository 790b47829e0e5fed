/**
 * `aac creds move --to <store>`: the pair leaves one store for another with no moment in which a program could
 * refresh it and lose the result. Under both stores' locks (taken in a fixed order, as the core's movePair does,
 * so that two moves in opposite directions cannot wait for each other): read the source; look at the target
 * (refusing to overwrite another pair); write the target and read it back; only then point the setting at the
 * target and clear the source. A failure before the read-back leaves the source untouched (creds.json byte for
 * byte) and the target as it was; a failure after it undoes the target and the setting too. (movePair itself
 * neither looks at the target first nor undoes a write, which is why this does not use it.)
 */

import { readdir } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { ConfigError, StorageError, type StoredTokens, type TokenStorage } from '@aac/core'
import { checkCredsFile, readTextFile, type StoreSpec, writeFileAtomic } from '@aac/core/fs'
import { decodePairText, MOVED_TO_KEY } from '@aac/core/storage/pair-codec'
import { type CredsContext, closeStore, describeSetting, showSetting, storeOption } from './context.ts'
import { refuseOverwrite } from './refusal.ts'
import { recordSetting } from './setting.ts'
import { PLACEHOLDERS, takeSnapshot, type Undoable, undone, writeVerified } from './snapshot.ts'

/** The options of `aac creds move`. */
export interface MoveOptions {
  /** The target setting: `keychain`, `file`, `keychain:<name>`, any value AAC_STORE takes. */
  to: string
  /** The source setting; default: the one in force. */
  from?: string | undefined
  /** Replace a different pair the target already holds. */
  force?: boolean | undefined
}

/** What happened, for the command to print: lines for stdout, warnings for stderr. */
export interface MoveReport {
  readonly lines: string[]
  readonly warnings: string[]
}

/**
 * Moves the pair; throws (with the store and the fix named) when it cannot, having changed nothing.
 *
 * @example
 * const report = await movePairBetweenStores(await openCredsContext(io), { to: 'keychain' })
 */
export async function movePairBetweenStores(
  context: CredsContext,
  options: MoveOptions,
): Promise<MoveReport> {
  const target = storeOption(options.to, '--to')
  let source = options.from === undefined ? context.setting : storeOption(options.from, '--from')
  let from: TokenStorage | undefined
  let to: TokenStorage | undefined
  try {
    to = await context.open(target)
    from = await context.open(source)
    // The setting already names the target (store.txt written by hand first, as `loadConfig`'s message for an
    // empty store suggests this very command): the pair to move is the one creds.json still holds.
    const settingIsTarget =
      options.from === undefined && target.kind !== 'file' && from.location === to.location
    if (settingIsTarget && (await credsHoldsPair(context.credsPath))) {
      await closeStore(from)
      source = { kind: 'file', value: 'file', rest: '', source: 'default' }
      from = await context.open(source)
    }
    if (from.location === to.location) {
      return {
        lines: [`The pair is already in ${to.location} (${describeSetting(source)}): nothing to move.`],
        warnings: [],
      }
    }
    const [first, second] = from.location < to.location ? [from, to] : [to, from]
    const signal = context.io.signal
    const stores = { from, to }
    return await first.withLock(
      () => second.withLock(() => transfer(context, { source, target, ...stores }, options), { signal }),
      { signal },
    )
  } finally {
    await closeStore(from)
    await closeStore(to)
  }
}

interface Ends {
  source: StoreSpec
  target: StoreSpec
  from: TokenStorage
  to: TokenStorage
}

/** The move itself, under both locks. */
async function transfer(context: CredsContext, ends: Ends, options: MoveOptions): Promise<MoveReport> {
  const { source, target, from, to } = ends
  // The file store's read under its lock moves a creds.json that does not parse aside: a move leaves it be.
  if (source.kind === 'file') await assertParses(context.credsPath)
  const tokens = await from.read()
  if (!tokens) {
    throw new ConfigError(
      'CONFIG_MISSING',
      from.location,
      `${from.location} holds no token pair (${describeSetting(source)}), so there is nothing to move: store one there with aac creds import, or name the store that holds it with --from.`,
    )
  }
  if (source.kind === 'file') await assertReplaceable(context.credsPath)
  const before = await takeSnapshot(to, { credsPath: context.credsPath, isFile: target.kind === 'file' })
  await refuseOverwrite(before.holding, tokens, to.location, options.force === true)
  await writeVerified(to, tokens, before)

  // The pair is in the target, read back. Point the setting there first: a program starting now waits for the
  // target's lock, then finds the pair; one that chose the source already waits for its lock, then finds the note.
  const steps: Undoable[] = [before]
  try {
    const setting = await recordSetting(context, target)
    steps.push(setting)
    const cleared = await clearSource(context, ends, tokens)
    const warnings = setting.actionNeeded ? [setting.message] : []
    const lines = [
      `Moved the token pair from ${from.location} to ${to.location} (read back and verified).`,
      cleared,
    ]
    if (!setting.actionNeeded) lines.push(setting.message)
    if (source.kind === 'file') warnings.push(...(await leftoverCopies(context.credsPath)))
    return { lines, warnings }
  } catch (error) {
    throw await undone(error, steps)
  }
}

/** True when creds.json holds a pair (not the placeholders, not the note): read without its lock, only to choose. */
async function credsHoldsPair(credsPath: string): Promise<boolean> {
  const text = await readTextFile(credsPath).catch(() => undefined)
  return text !== undefined && decodePairText(text, { where: credsPath }).ok
}

/** creds.json that is not JSON at all: said, and left exactly as it is. */
async function assertParses(credsPath: string): Promise<void> {
  const text = await readTextFile(credsPath).catch(() => undefined)
  if (text === undefined) return
  const read = decodePairText(text, { where: credsPath })
  if (!read.ok && read.problem.kind === 'not-json') {
    throw new ConfigError(
      'CONFIG_INVALID',
      credsPath,
      `${read.problem.message} Nothing was moved, and the file was left as it is.`,
    )
  }
}

/** creds.json must be replaceable before anything is written elsewhere: else the pair would end up in both places. */
async function assertReplaceable(credsPath: string): Promise<void> {
  const blocking = (await checkCredsFile(credsPath)).filter((problem) => problem.blocksWrite)
  if (blocking.length > 0) {
    throw new StorageError(
      'STORAGE_ERROR',
      `Cannot move the pair out of ${credsPath}, since it could not be replaced afterwards; nothing was changed. ${blocking.map((p) => p.message).join(' ')}`,
      { location: credsPath },
    )
  }
}

/**
 * Empties the source once the target is verified: creds.json gets the placeholders and a note of where the pair
 * went (its other keys kept, so Alteryx's scripts and our readers see a file they know); a keychain entry is
 * deleted; a store that cannot delete gets the placeholders. Returns what was done, for the user.
 */
async function clearSource(context: CredsContext, ends: Ends, tokens: StoredTokens): Promise<string> {
  const { source, target, from } = ends
  const shown = showSetting(target.value)
  if (source.kind === 'file') {
    const path = context.credsPath
    const existing: unknown = JSON.parse(await readTextFile(path))
    const kept = typeof existing === 'object' && existing !== null && !Array.isArray(existing) ? existing : {}
    const note = {
      ...kept,
      access_token: PLACEHOLDERS.accessToken,
      refresh_token: PLACEHOLDERS.refreshToken,
      aac: { [MOVED_TO_KEY]: shown },
    }
    const text = `${JSON.stringify(note, null, 2)}\n`
    await writeFileAtomic(path, text)
    const back = await readTextFile(path)
    const read = decodePairText(back, { where: path })
    if (
      back.includes(tokens.refreshToken) ||
      back.includes(tokens.accessToken) ||
      read.ok ||
      read.problem.kind !== 'moved'
    ) {
      throw new StorageError(
        'STORAGE_ERROR',
        `${path} did not take the placeholders (another program may be writing it).`,
        {
          location: path,
        },
      )
    }
    return `${path} now holds the placeholders and a note that the pair is in ${shown}.`
  }
  const remove = (from as { remove?: () => Promise<boolean> }).remove
  if (typeof remove === 'function') {
    await remove.call(from)
    if ((await from.read()) !== undefined) {
      throw new StorageError('STORAGE_ERROR', `${from.location} still holds a pair after it was deleted.`, {
        location: from.location,
      })
    }
    return `${from.location} was deleted.`
  }
  await from.write(PLACEHOLDERS)
  return `${from.location} now holds the placeholder tokens (it cannot delete a pair).`
}

/** Copies a failed save left beside creds.json: older pairs, still on disk, which only the user may delete. */
async function leftoverCopies(credsPath: string): Promise<string[]> {
  const prefix = `${basename(credsPath)}.recovered-`
  const names = await readdir(dirname(credsPath)).catch(() => [] as string[])
  const copies = names.filter((name) => name.startsWith(prefix))
  if (copies.length === 0) return []
  return [
    `${copies.length} older cop${copies.length === 1 ? 'y' : 'ies'} of a pair that a failed save left beside creds.json (${copies.join(', ')}) still hold tokens in plaintext: delete ${copies.length === 1 ? 'it' : 'them'} once you no longer need ${copies.length === 1 ? 'it' : 'them'}.`,
  ]
}
