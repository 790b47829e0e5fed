/**
 * `@aac/core/fs`: the config-file loader (`loadConfig` and its steps), through `node:fs/promises` (which Node,
 * Deno and Bun all run). It also re-exports the file store and its parts (lock, atomic write, file checks), which
 * live in `storage/file.ts` and `storage/file/` and have their own subpath, `@aac/core/storage/file`. Browsers use
 * the main entry only.
 *
 * @example
 * import { createClient } from '@aac/core'
 * import { loadConfig } from '@aac/core/fs'
 *
 * const { config, storage } = await loadConfig()
 * const client = createClient({ config, storage })
 */

import { basename, join, resolve } from 'node:path'
import process from 'node:process'
import { cleanText, parseApiUrl, parseCreds, parseProjectId } from './config.ts'
import { locateConfigDir } from './config-dir.ts'
import { ConfigError } from './errors.ts'
import { apiProjectsPage, apiTokensPage } from './regions.ts'
import {
  CONFIG_FILE_MAX_BYTES,
  CREDS_FILE_MAX_BYTES,
  danglingLinkTarget,
  explainReadFailure,
} from './storage/file/checks.ts'
import { readTextFile } from './storage/file/read-text-file.ts'
import { loadStoredPair, type StoreSpec, selectStore } from './storage/select.ts'
import type { StoredTokens, TokenStorage } from './storage/types.ts'
import type { AacConfig } from './types.ts'

export {
  type ConfigDirChoice,
  type ConfigDirSource,
  type LocateConfigDirOptions,
  locateConfigDir,
  userConfigDir,
} from './config-dir.ts'
export { writeFileAtomic } from './storage/file/atomic-write.ts'
export {
  type CheckCredsFileOptions,
  CONFIG_FILE_MAX_BYTES,
  CREDS_FILE_MAX_BYTES,
  type CredsFileProblem,
  type CredsFileProblemKind,
  checkCredsFile,
  explainReadFailure,
  FileKindError,
} from './storage/file/checks.ts'
export {
  acquireFileLock,
  type FileLock,
  type FileLockOptions,
  inspectLock,
  LOCK_DEFAULTS,
  type LockOwner,
  type LockState,
  type StaleReason,
} from './storage/file/lock.ts'
export { type ReadTextFileOptions, readTextFile } from './storage/file/read-text-file.ts'
export {
  credsLockPath,
  type FileStorageOptions,
  type FileTokenStorage,
  fileStorage,
} from './storage/file.ts'
export {
  DEFAULT_STORE,
  describeSource,
  loadStoredPair,
  type MovePairOptions,
  movePair,
  openStore,
  parseStoreSpec,
  type ReadStoreSpecOptions,
  readStoreSpec,
  type SelectStoreOptions,
  STORE_ENV,
  STORE_FILE,
  STORE_KINDS,
  type StoreContext,
  type StoreKind,
  type StoreSpec,
  selectStore,
} from './storage/select.ts'

/** The file holding the API URL (`https://api.us1.alteryxcloud.com`), as Alteryx's examples name it. */
export const URL_FILE = 'aac_url.txt'
/** The files that may hold the API project's Client ID, in the order they are tried. */
export const CLIENT_ID_FILES = ['client_id.txt', 'api_project_id.txt'] as const
/** The file holding the token pair, `{"access_token": "…", "refresh_token": "…"}`. */
export const CREDS_FILE = 'creds.json'

/**
 * Options of {@link loadConfig}: where the three files are, or values that replace them.
 *
 * @example
 * await loadConfig({ dir: '/home/me/aac' })
 */
export interface LoadConfigOptions {
  /** The folder holding the three files. Default: `AAC_CONFIG_DIR`, else the nearest ancestor of `cwd` with aac_url.txt, else the per-user folder (see locateConfigDir). */
  dir?: string
  /** Where the upward search starts (default: the working directory). */
  cwd?: string
  /** Overrides aac_url.txt. */
  apiUrl?: string
  /** Overrides client_id.txt. */
  projectId?: string
  /** Overrides the creds.json path. */
  credsPath?: string
  /** Where the pair lives (`file`, `keychain`, `keychain:<name>`…): overrides `AAC_STORE` and store.txt. */
  store?: string
  /** Environment to read `AAC_CONFIG_DIR` from (default: the process's). */
  env?: Record<string, string | undefined>
}

/** What {@link loadConfig} found: the config and a file storage for `createClient`, and where each came from. */
export interface LoadedConfig {
  /** The API URLs, region and project id: hand it to `createClient`. */
  config: AacConfig
  /** The folder the files came from. */
  dir: string
  /** Full paths of the files used. */
  files: { aacUrl: string | undefined; clientId: string | undefined; creds: string }
  /** The pair as it was on disk when loaded (already validated). */
  tokens: StoredTokens
  /** The store the pair lives in (creds.json unless AAC_STORE or store.txt says otherwise), with its lock: hand it to createClient. */
  storage: TokenStorage
  /** The store setting in force, and where it came from (storage/select.ts). */
  store: StoreSpec
}

/**
 * Finds the config folder: `AAC_CONFIG_DIR` if set, else the nearest ancestor of `cwd` holding aac_url.txt (so
 * scripts work from the repo root and from inside `examples/`), else the per-user folder. See
 * {@link locateConfigDir}, which also says which rule matched.
 *
 * @example
 * const dir = await findConfigDir() // '/home/me/.config/aac'
 */
export async function findConfigDir(
  cwd: string = process.cwd(),
  env: Record<string, string | undefined> = process.env,
): Promise<string> {
  return (await locateConfigDir({ cwd, env })).dir
}

/**
 * Reads and validates aac_url.txt, client_id.txt (or api_project_id.txt) and creds.json, each saved as UTF-8
 * (with or without a BOM) or UTF-16 with a BOM (PowerShell 5's `>`): see {@link readTextFile}. Every problem
 * is a ConfigError naming the file and the fix; nothing is written. `loadApiUrl`, `loadProjectId` and
 * `loadCreds` are its steps, for tools that check the files one by one.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env
  const needsDir =
    options.apiUrl === undefined || options.projectId === undefined || options.credsPath === undefined
  const dir = options.dir
    ? resolve(options.dir)
    : needsDir
      ? await findConfigDir(options.cwd, env)
      : resolve(options.cwd ?? process.cwd())

  let aacUrlPath: string | undefined
  let url: ApiUrl
  if (options.apiUrl !== undefined) {
    url = parseApiUrl(options.apiUrl, 'the apiUrl option')
  } else {
    const loaded = await loadApiUrl(dir)
    aacUrlPath = loaded.path
    url = loaded.url
  }

  let clientIdPath: string | undefined
  let projectId: string
  if (options.projectId !== undefined) {
    projectId = parseProjectId(options.projectId, 'the projectId option', url.region)
  } else {
    const loaded = await loadProjectId(dir, url.region)
    clientIdPath = loaded.path
    projectId = loaded.projectId
  }

  const credsPath = options.credsPath ? resolve(options.credsPath) : join(dir, CREDS_FILE)
  const config = { ...url, projectId }
  // Where the pair lives: creds.json unless AAC_STORE or store.txt names another store (storage/select.ts).
  const { spec, storage } = await selectStore({ dir, env, store: options.store, config, credsPath })
  const tokens =
    spec.kind === 'file'
      ? await loadCreds(credsPath, url.region)
      : await loadStoredPair(storage, spec, url.region)

  return {
    config,
    dir,
    files: { aacUrl: aacUrlPath, clientId: clientIdPath, creds: credsPath },
    tokens,
    storage,
    store: spec,
  }
}

type ApiUrl = Pick<AacConfig, 'apiUrl' | 'directUrl' | 'region'>

/**
 * Reads and checks `dir`/aac_url.txt, as `loadConfig` does: a ConfigError naming the file and the fix when
 * it is missing, unreadable or wrong. For tools that check the files one by one (`aac doctor`).
 *
 * @example
 * const { path, url } = await loadApiUrl('/home/me/aac') // url.apiUrl, url.directUrl, url.region
 */
export async function loadApiUrl(dir: string): Promise<{ path: string; url: ApiUrl }> {
  const path = join(resolve(dir), URL_FILE)
  const text = await readConfigFile(path)
  if (text === undefined) {
    throw new ConfigError(
      'CONFIG_MISSING',
      path,
      `${path} not found: create it with your API URL, the address you see in the browser with "api." in front: https://api.us1.alteryxcloud.com (US), https://api.eu1.alteryxcloud.com (Europe) or https://api.au1.alteryxcloud.com (Australia).`,
    )
  }
  return { path, url: parseApiUrl(text, path) }
}

/**
 * Reads and checks `dir`/client_id.txt, else api_project_id.txt (client_id.txt wins unless it is blank), as
 * `loadConfig` does. `region` (from aac_url.txt) names the right page in the messages.
 *
 * @example
 * const { path, projectId } = await loadProjectId('/home/me/aac', 'us1')
 */
export async function loadProjectId(
  dir: string,
  region?: string,
): Promise<{ path: string; projectId: string }> {
  let blank: { path: string; text: string } | undefined
  for (const name of CLIENT_ID_FILES) {
    const path = join(resolve(dir), name)
    const text = await readConfigFile(path)
    if (text === undefined) continue
    if (cleanText(text) !== '') return { path, projectId: parseProjectId(text, path, region) }
    blank ??= { path, text }
  }
  if (blank) return { path: blank.path, projectId: parseProjectId(blank.text, blank.path, region) }
  const path = join(resolve(dir), CLIENT_ID_FILES[0])
  throw new ConfigError(
    'CONFIG_MISSING',
    path,
    `${path} not found: create it with the Client ID of your API project from ${apiProjectsPage(region)} (open the project, or create one with "+ New"; api_project_id.txt is accepted too).`,
  )
}

/**
 * Reads and checks the creds.json at `path`, as `loadConfig` does (the pair is not sent anywhere).
 *
 * @example
 * const tokens = await loadCreds('/home/me/aac/creds.json', 'us1')
 */
export async function loadCreds(path: string, region?: string): Promise<StoredTokens> {
  const text = await readConfigFile(path, CREDS_FILE_MAX_BYTES)
  if (text === undefined) {
    throw new ConfigError(
      'CONFIG_MISSING',
      path,
      `${path} not found: generate a token pair at ${apiTokensPage(region)} ("+ Generate") and save it there as {"access_token": "...", "refresh_token": "..."}.`,
    )
  }
  return parseCreds(text, path, region)
}

/**
 * The file's text (see readTextFile), undefined if it does not exist. Anything else that keeps it from being
 * read (a folder, a FIFO, a symbolic link in a loop or to nowhere, a 50 MB file) is a ConfigError saying which
 * and what to do.
 */
async function readConfigFile(
  path: string,
  maxBytes: number = CONFIG_FILE_MAX_BYTES,
): Promise<string | undefined> {
  try {
    return await readTextFile(path, { maxBytes })
  } catch (error) {
    if (isNotFound(error)) {
      const target = await danglingLinkTarget(path)
      if (target === undefined) return undefined
      throw new ConfigError(
        'CONFIG_MISSING',
        path,
        `${path} is a symbolic link to ${target}, which does not exist: put the file at ${target}, or point the link at the real file (ln -sf /path/to/${basename(path)} ${path}).`,
        { cause: error },
      )
    }
    throw new ConfigError('CONFIG_INVALID', path, explainReadFailure(path, error), { cause: error })
  }
}

function isNotFound(error: unknown): boolean {
  return codeOf(error) === 'ENOENT' || (error instanceof Error && error.name === 'NotFound')
}

function codeOf(error: unknown): string {
  return (error as { code?: string } | null)?.code ?? (error instanceof Error ? error.name : 'unknown error')
}
