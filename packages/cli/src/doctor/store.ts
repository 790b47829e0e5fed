/**
 * Which token store is in force, chosen as every program's loadConfig chooses it (`AAC_STORE`, else store.txt,
 * else creds.json), and, for a store other than creds.json, whether it can be reached and read and holds a usable
 * pair: the verdicts, in the stores' own words, that a program loading the config would get.
 */

import { isAacError, type StoredTokens, type TokenStorage } from '@aac/core'
import { CREDS_FILE, loadStoredPair, openStore, readStoreSpec, type StoreSpec } from '@aac/core/fs'
import { settingOrigin, showSetting } from '../creds/context.ts'
import type { Check, Findings } from './check.ts'
import { failed, skipped } from './steps.ts'

const SETTING = 'token store'
const PAIR = 'token pair'

export const storeSetting: Check = async ({ io, dir, credsPath, found }) => {
  let spec: StoreSpec
  try {
    spec = await readStoreSpec({ dir, env: io.env })
  } catch (error) {
    return { steps: [failed(SETTING, error)], found: { pairPlace: SETTING } }
  }
  const setting = `${showSetting(spec.value)}, ${settingOrigin(spec)}`
  const { url, projectId } = found
  // creds.json needs nothing from the other files; the other stores name the chain after the API host and the
  // Client ID (keychainAccount), so they are opened only once both passed.
  if (spec.kind !== 'file' && (!url || !projectId)) {
    return {
      steps: [
        skipped(SETTING, `${setting}; needs a valid aac_url.txt and client_id.txt, which name its pair`),
      ],
      found: { pairPlace: PAIR },
    }
  }
  const config = { apiUrl: url?.apiUrl ?? '', projectId: projectId ?? '', region: url?.region }
  let storage: TokenStorage
  try {
    storage = await openStore(spec, { config, credsPath, env: io.env })
  } catch (error) {
    return { steps: [failed(SETTING, error)], found: { pairPlace: SETTING } }
  }
  return {
    steps: [{ name: SETTING, status: 'pass', detail: `${storage.location} (${setting})` }],
    found: { store: { spec, storage }, pairPlace: spec.kind === 'file' ? CREDS_FILE : PAIR },
  }
}

/**
 * The pair in a store other than creds.json, read without its lock (looking changes nothing and waits for
 * nobody) and judged by loadConfig's own loadStoredPair: no pair, an access token a refresh cannot use.
 */
export const storedPair: Check = async ({ found }) => {
  const { store } = found
  if (!store || store.spec.kind === 'file') return { steps: [] }
  const { storage, spec } = store
  let held: StoredTokens | undefined
  try {
    held = await storage.read()
  } catch (error) {
    // No Secret Service, a locked keyring, an entry that is not a pair, a server that refuses or is not there.
    return {
      steps: [failed(PAIR, error, `cannot be read (${problemOf(error)})`)],
      found: { storeHolds: 'unknown' },
    }
  }
  // The one read, judged as loadConfig judges it (its message names the setting and the commands that fill it).
  const seen: TokenStorage = { ...storage, read: async () => held }
  const holds: Findings['storeHolds'] = held ? 'pair' : 'none'
  let tokens: StoredTokens
  try {
    tokens = await loadStoredPair(seen, spec, found.url?.region)
  } catch (error) {
    const detail = held ? 'the access token cannot be used' : 'none stored there'
    return { steps: [failed(PAIR, error, detail)], found: { storeHolds: holds } }
  }
  return {
    steps: [{ name: PAIR, status: 'pass', detail: `both tokens present in ${storage.location}` }],
    // Nothing can tell whether a write would land without writing; the refresh writes a record before it sends
    // the refresh token, so a store that refuses writes stops it before anything is spent.
    found: { tokens, credsWritable: true, storeHolds: holds },
  }
}

/** The kind of failure in a word: the keychain's `problem` (no-service, locked…), else the error's code. */
function problemOf(error: unknown): string {
  const problem = (error as { problem?: unknown } | null)?.problem
  if (typeof problem === 'string') return problem
  return isAacError(error) ? error.code : error instanceof Error ? error.name : 'error'
}
