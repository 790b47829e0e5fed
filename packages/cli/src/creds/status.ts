/**
 * `aac creds status`: where the pair lives and why, when its access token expires, when it last rotated, and any
 * refresh whose answer was lost; never a token. The store is read without its lock: looking changes nothing and
 * waits for nobody.
 */

import { stat } from 'node:fs/promises'
import {
  ConfigError,
  isAacError,
  type RefreshRecord,
  redactText,
  type StoredTokens,
  type TokenStorage,
} from '@aac/core'
import { STORE_FILE } from '@aac/core/fs'
import { type CredsContext, closeStore, settingOrigin, settingSourceKind, showSetting } from './context.ts'
import { pairFacts, refreshTokenId } from './pair-facts.ts'

/** `aac creds status --json`: stable field names, snake_case like creds.json. */
export interface StatusReport {
  store: {
    /** The setting in force (a URL's password hidden): `file`, `keychain`, `keychain:work`… */
    setting: string
    /** `AAC_STORE`, `store.txt` or `default`. */
    source: string
    /** The store.txt that holds the setting, when it does. */
    source_file: string | null
    /** Why this store, in words. */
    reason: string
    /** Where the pair is: creds.json's path, `keychain entry "aac" › "<account>"`… */
    location: string
  }
  /** What the store holds; null when it holds no usable pair (see `problem`). */
  pair: PairStatus | null
  /** Why there is no usable pair, or the store could not be read: the error's code and message. */
  problem: { code: string; message: string } | null
}

export interface PairStatus {
  access_token: {
    expires_at: string | null
    expires_in_seconds: number | null
    expired: boolean | null
    issued_at: string | null
    issuer: string | null
    client_id: string | null
  }
  /** When the pair last rotated, and what that is known from. */
  last_rotated: { at: string | null; known_from: 'access token iat' | 'creds.json modified' | null }
  /** A refresh whose answer was never saved (`meta.refresh`), or null. */
  interrupted_refresh: (Omit<RefreshRecord, 'tokenId'> & { about_this_pair: boolean }) | null
  /** The token server's clock minus this machine's, in ms, when learnt. */
  clock_offset_ms: number | null
}

/**
 * Reads the store the setting names and describes it; a store that cannot be read, or holds no pair, is a
 * `problem` (with `error`, for the exit code) rather than a throw, so the store part is always reported.
 *
 * @example
 * const { report, error } = await credsStatus(await openCredsContext(io))
 */
export async function credsStatus(context: CredsContext): Promise<{ report: StatusReport; error?: unknown }> {
  const { setting } = context
  const storeFile = settingSourceKind(setting) === STORE_FILE ? setting.source : null
  let storage: TokenStorage | undefined
  try {
    storage = await context.open(setting)
    const store = {
      setting: showSetting(setting.value),
      source: settingSourceKind(setting),
      source_file: storeFile,
      reason: settingOrigin(setting),
      location: storage.location,
    }
    let tokens: StoredTokens | undefined
    try {
      tokens = await storage.read()
    } catch (error) {
      return { report: { store, pair: null, problem: problemOf(error) }, error }
    }
    if (!tokens) {
      const error = new ConfigError(
        'CONFIG_MISSING',
        storage.location,
        `${storage.location} holds no token pair: store one with aac creds move --to ${store.setting} (from creds.json) or aac creds import (from stdin or environment variables).`,
      )
      return { report: { store, pair: null, problem: problemOf(error) }, error }
    }
    const pair = await pairStatus(tokens, setting.kind === 'file' ? context.credsPath : undefined)
    return { report: { store, pair, problem: null } }
  } finally {
    await closeStore(storage)
  }
}

async function pairStatus(tokens: StoredTokens, credsPath: string | undefined): Promise<PairStatus> {
  const facts = pairFacts(tokens)
  const now = Date.now()
  const expiresIn = facts.expiresAt ? Math.floor((facts.expiresAt.getTime() - now) / 1000) : null
  let lastRotated: PairStatus['last_rotated'] = { at: null, known_from: null }
  if (facts.issuedAt) lastRotated = { at: facts.issuedAt.toISOString(), known_from: 'access token iat' }
  else if (credsPath) {
    // Every rotation rewrites creds.json; so does any other edit, which is why iat comes first.
    const modified = await stat(credsPath).then(
      (s) => s.mtime,
      () => undefined,
    )
    if (modified) lastRotated = { at: modified.toISOString(), known_from: 'creds.json modified' }
  }
  const record = tokens.meta?.refresh
  let interrupted: PairStatus['interrupted_refresh'] = null
  if (record) {
    const { tokenId, ...shown } = record
    interrupted = { ...shown, about_this_pair: tokenId === (await refreshTokenId(tokens.refreshToken)) }
  }
  return {
    access_token: {
      expires_at: facts.expiresAt?.toISOString() ?? null,
      expires_in_seconds: expiresIn,
      expired: expiresIn === null ? null : expiresIn <= 0,
      issued_at: facts.issuedAt?.toISOString() ?? null,
      issuer: facts.issuer ?? null,
      client_id: facts.clientId ?? null,
    },
    last_rotated: lastRotated,
    interrupted_refresh: interrupted,
    clock_offset_ms: tokens.meta?.clockOffsetMs ?? null,
  }
}

function problemOf(error: unknown): { code: string; message: string } {
  if (isAacError(error)) return { code: error.code, message: error.message }
  // Not one of ours: its text is redacted as formatError redacts it.
  return { code: 'ERROR', message: redactText(error instanceof Error ? error.message : String(error)) }
}
