/**
 * Recording where the pair now lives, after `aac creds move`: store.txt in the config folder (deleted for
 * creds.json, the default), unless `AAC_STORE` is set, which wins over it and which only the user can change.
 */

import { readFile, rm } from 'node:fs/promises'
import { StorageError } from '@aac/core'
import { STORE_ENV, STORE_FILE, type StoreSpec, writeFileAtomic } from '@aac/core/fs'
import type { CredsContext } from './context.ts'
import { showSetting } from './context.ts'
import type { Undoable } from './snapshot.ts'

/** What was done about the setting: a sentence for the user, and whether they must act. */
export interface SettingChange extends Undoable {
  /** What now says where the pair is, or what the user must set. */
  readonly message: string
  /** True when `AAC_STORE` still names the old place: the user must change it. */
  readonly actionNeeded: boolean
}

/**
 * Points the setting at `target`: store.txt says its value (or is deleted when the target is creds.json). With
 * `AAC_STORE` set nothing is written; the message says what to set. `restore()` puts store.txt back as it was.
 *
 * @example
 * const change = await recordSetting(context, target)
 */
export async function recordSetting(context: CredsContext, target: StoreSpec): Promise<SettingChange> {
  const { storeFile, io } = context
  const shown = showSetting(target.value)
  const env = io.env[STORE_ENV]
  if (env !== undefined && env !== '') {
    const set =
      target.kind === 'file' ? `unset ${STORE_ENV} (or set ${STORE_ENV}=file)` : `set ${STORE_ENV}=${shown}`
    return {
      actionNeeded: true,
      message: `${STORE_ENV} is set to ${showSetting(env)}, which wins over ${STORE_FILE}, so it was left to you: ${set} wherever you set it (shell profile, CI settings), or every program keeps looking in the old place and finds no pair there.`,
      restore: async () => `${STORE_FILE} was not changed`,
    }
  }
  const before = await readBytes(storeFile)
  const restore = async () => {
    if (before === undefined) await rm(storeFile, { force: true })
    else await writeFileAtomic(storeFile, before.toString('utf8'), { mode: 0o600 })
    return `${storeFile} is as it was`
  }
  try {
    if (target.kind === 'file') {
      if (before === undefined) {
        return {
          actionNeeded: false,
          message: `No ${STORE_FILE}: every program reads creds.json, the default.`,
          restore,
        }
      }
      await rm(storeFile)
      return {
        actionNeeded: false,
        message: `${storeFile} was deleted: every program reads creds.json, the default.`,
        restore,
      }
    }
    const text = `# Where the token pair lives (written by aac creds move; see docs/stores.md). Delete this file for creds.json.\n${target.value}\n`
    await writeFileAtomic(storeFile, text, { mode: 0o600 })
  } catch (error) {
    throw new StorageError(
      'STORAGE_ERROR',
      `Could not ${target.kind === 'file' ? 'delete' : 'write'} ${storeFile} (${(error as Error).message}).`,
      { cause: error, location: storeFile },
    )
  }
  return {
    actionNeeded: false,
    message: `${storeFile} now says ${shown}: aac, the examples and the browser page's dev server read the pair there.`,
    restore,
  }
}

async function readBytes(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new StorageError('STORAGE_ERROR', `Could not read ${path} (${(error as Error).message}).`, {
      cause: error,
      location: path,
    })
  }
}
