// What the dev server knows about the user's config, read afresh at each request: fix a file, press reload.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type AacConfig,
  formatError,
  isAacError,
  parseApiUrl,
  parseProjectId,
  StorageError,
  type StoredTokens,
  type TokenStorage,
} from '@aac/core'
import { decodeAccessToken } from '@aac/core/diagnostics'
import {
  CLIENT_ID_FILES,
  CREDS_FILE,
  describeSource,
  fileStorage,
  findConfigDir,
  loadConfig,
  openStore,
  readStoreSpec,
  URL_FILE,
} from '@aac/core/fs'
import type { ErrorBody } from '../src/protocol.ts'

export interface SettingsSource {
  /** The folder holding the three files; else AAC_CONFIG_DIR, else the nearest folder above `searchFrom`. */
  configDir: string | undefined
  searchFrom: string
  env: Record<string, string | undefined>
}

export type { ErrorBody }

export interface Settings {
  /** From aac_url.txt and client_id.txt; present whenever those two are valid, even if creds.json is not. */
  config: AacConfig | undefined
  /** Where the pair lives, once the folder is found: creds.json, or the store AAC_STORE or store.txt names. */
  credsPath: string | undefined
  /** Why the CLI examples would fail on these files, if they would. */
  error: ErrorBody | undefined
  /** The `iss` of the access token in creds.json, when it decodes: its token endpoint may be forwarded to. */
  issuer: string | undefined
}

export async function readSettings(source: SettingsSource): Promise<Settings> {
  let dir: string | undefined
  try {
    dir = await configDir(source)
    const loaded = await loadConfig({ dir, env: source.env })
    const claims = decodeAccessToken(loaded.tokens.accessToken)
    return {
      config: loaded.config,
      credsPath: loaded.storage.location,
      error: undefined,
      issuer: claims.ok ? claims.claims.iss : undefined,
    }
  } catch (error) {
    // Standalone mode keeps its tokens in the browser: it only needs the URL and the project id.
    const config = dir ? await urlAndProject(dir).catch(() => undefined) : undefined
    return {
      config,
      credsPath: dir ? join(dir, CREDS_FILE) : undefined,
      error: errorBody(error),
      issuer: undefined,
    }
  }
}

/**
 * A store the bridge can share: one whose lock is a file, which the page's leases take (creds.json's, or the
 * keychain store's in the state folder).
 */
export interface BridgeStorage extends TokenStorage {
  readonly lockPath: string
  resolveLockPath(): Promise<string>
  saveRecovery(tokens: StoredTokens): Promise<string>
}

/**
 * The store for the storage bridge, as AAC_STORE or store.txt chooses it (creds.json by default), needing only
 * the folder (the page decides what to do with the pair).
 */
export async function bridgeStorage(source: SettingsSource): Promise<BridgeStorage> {
  const dir = await configDir(source)
  const credsPath = join(dir, CREDS_FILE)
  const spec = await readStoreSpec({ dir, env: source.env })
  if (spec.kind === 'file') return fileStorage({ path: credsPath })
  const storage = await openStore(spec, { config: await urlAndProject(dir), credsPath, env: source.env })
  if (!('resolveLockPath' in storage && 'lockPath' in storage && storage.saveRecovery)) {
    throw new StorageError(
      'STORAGE_ERROR',
      `The browser example's dev server shares the pair with the page under a lock file, which ${storage.location} (${describeSource(spec)}) does not have: run it with creds.json or the keychain (AAC_STORE=file or AAC_STORE=keychain).`,
      { location: storage.location },
    )
  }
  return storage as BridgeStorage
}

function configDir(source: SettingsSource): Promise<string> {
  if (source.configDir) return Promise.resolve(source.configDir)
  return findConfigDir(source.searchFrom, source.env)
}

async function urlAndProject(dir: string): Promise<AacConfig> {
  const urlPath = join(dir, URL_FILE)
  const url = parseApiUrl(await readFile(urlPath, 'utf8'), urlPath)
  for (const name of CLIENT_ID_FILES) {
    const path = join(dir, name)
    const text = await readFile(path, 'utf8').catch(() => undefined)
    if (text !== undefined && text.trim() !== '') {
      return { ...url, projectId: parseProjectId(text, path, url.region) }
    }
  }
  throw new Error('no client id')
}

/** Messages of @aac/core never hold a token; anything else is reduced to its name, in case it quotes one. */
export function errorBody(error: unknown): ErrorBody {
  if (isAacError(error)) {
    const extra = error as { file?: unknown; location?: unknown }
    return {
      name: error.name,
      code: error.code,
      message: error.message,
      ...(typeof extra.file === 'string' && { file: extra.file }),
      ...(typeof extra.location === 'string' && { location: extra.location }),
      line: formatError(error),
    }
  }
  const name = error instanceof Error ? error.name : 'Error'
  const message = `The dev server failed (${name}); see its terminal, and run it with AAC_DEBUG=1 for details.`
  return { name: 'AacError', code: 'STORAGE_ERROR', message, line: `error [STORAGE_ERROR]: ${message}` }
}
