/**
 * `aac creds import`: a new pair, from stdin or named environment variables, into the store the setting names
 * (or `--to`), under its lock: read back and verified, the store put back as it was if that fails. A store that
 * already holds another pair keeps it unless `--force`: whether its refresh token still works cannot be known
 * without spending it.
 */

import type { StoredTokens, TokenStorage } from '@aac/core'
import { type CredsContext, closeStore, describeSetting, showSetting, storeOption } from './context.ts'
import { type ImportSource, readImportedPair } from './import-input.ts'
import { describePair } from './pair-facts.ts'
import { refuseOverwrite } from './refusal.ts'
import { takeSnapshot, writeVerified } from './snapshot.ts'

/** The options of `aac creds import`. */
export interface ImportOptions extends ImportSource {
  /** The store to import into; default: the one the setting names. */
  to?: string | undefined
  /** Replace a pair the store already holds (or something that is not a pair). */
  force?: boolean | undefined
}

/** What happened: lines for stdout, warnings for stderr. */
export interface ImportReport {
  readonly lines: string[]
  readonly warnings: string[]
}

/**
 * Reads, checks and stores the pair; throws with the store and the fix named when it cannot, having changed
 * nothing.
 *
 * @example
 * await importPair(await openCredsContext(io), { fromEnv: true })
 */
export async function importPair(context: CredsContext, options: ImportOptions): Promise<ImportReport> {
  const target = options.to === undefined ? context.setting : storeOption(options.to, '--to')
  // Read and checked before any store is opened: a bad pair costs nothing.
  const { tokens, where } = await readImportedPair(context.io, options, context.config)
  let storage: TokenStorage | undefined
  try {
    storage = await context.open(target)
    const store = storage
    const stored = await store.withLock(
      () => storeUnderLock(context, store, tokens, target.kind === 'file', options),
      {
        signal: context.io.signal,
      },
    )
    const lines = [
      stored
        ? `Stored the token pair from ${where} in ${store.location} (read back and verified): ${describePair(tokens)}.`
        : `${store.location} already holds this pair: nothing to do.`,
    ]
    const warnings: string[] = []
    if (target.value !== context.setting.value) {
      warnings.push(
        `The setting in force is ${describeSetting(context.setting)}, not ${showSetting(target.value)}: programs keep reading the pair from there until you point them here (AAC_STORE=${showSetting(target.value)}, or that value in store.txt), or move it with aac creds move.`,
      )
    }
    return { lines, warnings }
  } finally {
    await closeStore(storage)
  }
}

/** Under the lock: refuse to replace another pair unasked, then write and verify. False when it was already there. */
async function storeUnderLock(
  context: CredsContext,
  storage: TokenStorage,
  tokens: StoredTokens,
  isFile: boolean,
  options: ImportOptions,
): Promise<boolean> {
  const before = await takeSnapshot(storage, { credsPath: context.credsPath, isFile })
  const held = before.holding.kind === 'pair' ? before.holding.tokens : undefined
  let pair = tokens
  if (held && held.refreshToken === tokens.refreshToken) {
    if (held.accessToken === tokens.accessToken) return false
    // The same chain: its metadata (a refresh record above all) stays with it.
    pair = { ...tokens, ...(held.meta && { meta: held.meta }) }
  }
  await refuseOverwrite(before.holding, pair, storage.location, options.force === true)
  await writeVerified(storage, pair, before)
  return true
}
