/**
 * `@aac/core/fs`: the parts that read and write files, through `node:fs/promises` (which Node, Deno and Bun all
 * run). Browsers use the main entry only.
 *
 * @example
 * import { createClient } from '@aac/core'
 * import { loadConfig } from '@aac/core/fs'
 *
 * const { config, storage } = await loadConfig()
 * const client = createClient({ config, storage })
 */

import { readFile, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import process from 'node:process'
import { cleanText, parseApiUrl, parseCreds, parseProjectId } from './config.ts'
import { ConfigError } from './errors.ts'
import { isPermissionDenial } from './internal/permission-hint.ts'
import { fileStorage } from './node/file-storage.ts'
import { apiProjectsPage, apiTokensPage } from './regions.ts'
import type { StoredTokens, TokenStorage } from './storage/types.ts'
import type { AacConfig } from './types.ts'

export { writeFileAtomic } from './node/atomic-write.ts'
export { acquireFileLock, type FileLock, type FileLockOptions } from './node/file-lock.ts'
export { type FileStorageOptions, type FileTokenStorage, fileStorage } from './node/file-storage.ts'

export const URL_FILE = 'aac_url.txt'
export const CLIENT_ID_FILES = ['client_id.txt', 'api_project_id.txt'] as const
export const CREDS_FILE = 'creds.json'

export interface LoadConfigOptions {
  /** The folder holding the three files. Default: `AAC_CONFIG_DIR`, else the nearest ancestor of `cwd` with aac_url.txt. */
  dir?: string
  /** Where the upward search starts (default: the working directory). */
  cwd?: string
  /** Overrides aac_url.txt. */
  apiUrl?: string
  /** Overrides client_id.txt. */
  projectId?: string
  /** Overrides the creds.json path. */
  credsPath?: string
  /** Environment to read `AAC_CONFIG_DIR` from (default: the process's). */
  env?: Record<string, string | undefined>
}

export interface LoadedConfig {
  config: AacConfig
  /** The folder the files came from. */
  dir: string
  /** Full paths of the files used. */
  files: { aacUrl: string | undefined; clientId: string | undefined; creds: string }
  /** The pair as it was on disk when loaded (already validated). */
  tokens: StoredTokens
  /** A file storage on that creds.json, with its lock: hand it to createClient. */
  storage: TokenStorage
}

/**
 * Finds the config folder: `AAC_CONFIG_DIR` if set, else the nearest ancestor of `cwd` holding aac_url.txt,
 * so scripts work from the repo root and from inside `examples/`.
 */
export async function findConfigDir(
  cwd: string = process.cwd(),
  env: Record<string, string | undefined> = process.env,
): Promise<string> {
  const fromEnv = env['AAC_CONFIG_DIR']?.trim()
  if (fromEnv) {
    const dir = resolve(cwd, fromEnv)
    if (!(await isDirectory(dir))) {
      throw new ConfigError(
        'CONFIG_MISSING',
        'AAC_CONFIG_DIR',
        `AAC_CONFIG_DIR is set to ${dir}, which is not a folder: point it at the folder holding ${URL_FILE}, client_id.txt and ${CREDS_FILE}, or unset it.`,
      )
    }
    return dir
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (await isFile(join(dir, URL_FILE))) return dir
    if (dirname(dir) === dir) break
  }
  throw new ConfigError(
    'CONFIG_MISSING',
    URL_FILE,
    `No ${URL_FILE} found in ${resolve(cwd)} or any folder above it: run from the folder that holds ${URL_FILE}, client_id.txt and ${CREDS_FILE}, or set AAC_CONFIG_DIR to that folder.`,
  )
}

/**
 * Reads and validates aac_url.txt, client_id.txt (or api_project_id.txt) and creds.json. Every problem is a
 * ConfigError naming the file and the fix; nothing is written.
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
  let url: Pick<AacConfig, 'apiUrl' | 'directUrl' | 'region'>
  if (options.apiUrl !== undefined) {
    url = parseApiUrl(options.apiUrl, 'the apiUrl option')
  } else {
    aacUrlPath = join(dir, URL_FILE)
    const text = await readRequired(
      aacUrlPath,
      `put your API URL in it, for example https://api.us1.alteryxcloud.com`,
    )
    url = parseApiUrl(text, aacUrlPath)
  }

  let clientIdPath: string | undefined
  let projectId: string
  if (options.projectId !== undefined) {
    projectId = parseProjectId(options.projectId, 'the projectId option', url.region)
  } else {
    const found = await readFirst(CLIENT_ID_FILES.map((name) => join(dir, name)))
    if (!found) {
      const path = join(dir, CLIENT_ID_FILES[0])
      throw new ConfigError(
        'CONFIG_MISSING',
        path,
        `${path} not found: create it with the Client ID of your API project from ${apiProjectsPage(url.region)} (api_project_id.txt is accepted too).`,
      )
    }
    clientIdPath = found.path
    projectId = parseProjectId(found.text, found.path, url.region)
  }

  const credsPath = options.credsPath ? resolve(options.credsPath) : join(dir, CREDS_FILE)
  const credsText = await readRequired(
    credsPath,
    `generate a token pair at ${apiTokensPage(url.region)} and save it there as {"access_token": "...", "refresh_token": "..."}`,
  )
  const tokens = parseCreds(credsText, credsPath, url.region)

  return {
    config: { ...url, projectId },
    dir,
    files: { aacUrl: aacUrlPath, clientId: clientIdPath, creds: credsPath },
    tokens,
    storage: fileStorage({ path: credsPath }),
  }
}

async function readRequired(path: string, fix: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if (isNotFound(error)) throw new ConfigError('CONFIG_MISSING', path, `${path} not found: ${fix}.`)
    throw new ConfigError(
      'CONFIG_INVALID',
      path,
      `${path} cannot be read (${codeOf(error)}): check its permissions.`,
      {
        cause: error,
      },
    )
  }
}

/** The first of `paths` that exists and is not blank (client_id.txt wins over api_project_id.txt). */
async function readFirst(paths: readonly string[]): Promise<{ path: string; text: string } | undefined> {
  let firstExisting: { path: string; text: string } | undefined
  for (const path of paths) {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if (isNotFound(error)) continue
      throw new ConfigError(
        'CONFIG_INVALID',
        path,
        `${path} cannot be read (${codeOf(error)}): check its permissions.`,
        { cause: error },
      )
    }
    if (cleanText(text) !== '') return { path, text }
    firstExisting ??= { path, text }
  }
  return firstExisting
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), absentUnlessDenied)
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), absentUnlessDenied)
}

/** Deno's sandbox refusing a look is not "no such file": its error names the flag to add, so let it through. */
function absentUnlessDenied(error: unknown): false {
  if (isPermissionDenial(error)) throw error
  return false
}

function isNotFound(error: unknown): boolean {
  return codeOf(error) === 'ENOENT' || (error instanceof Error && error.name === 'NotFound')
}

function codeOf(error: unknown): string {
  return (error as { code?: string } | null)?.code ?? (error instanceof Error ? error.name : 'unknown error')
}
