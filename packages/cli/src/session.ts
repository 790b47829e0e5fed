/**
 * The three files, a token manager on creds.json and a client: what every command but `doctor` starts from.
 * All token, HTTP and error handling is the core's; this only wires it to the CLI's streams. The doctor builds
 * its own from the files it has judged one by one, with the same two factories, so it tests what the other
 * commands run.
 */

import {
  type AacConfig,
  type AccessTokenSource,
  type Client,
  type ClientBaseOptions,
  createClient,
  createTokenManager,
  type Logger,
  type StoredTokens,
  type TokenManager,
  type TokenStorage,
  VERSION,
} from '@aac/core'
import { type ConfigDirChoice, type LoadedConfig, loadConfig, locateConfigDir } from '@aac/core/fs'
import { lineLogger } from '@aac/core/process'
import { type CliIo, debugEnabled } from './io.ts'

export const USER_AGENT = `aac-cli/${VERSION}`

export interface Session extends LoadedConfig {
  tokenManager: TokenManager
  client: Client
}

/** Debug lines on stderr with AAC_DEBUG=1. The core never hands a token to its logger. */
export function debugLogger(io: CliIo): Logger | undefined {
  if (!debugEnabled(io.env)) return undefined
  return lineLogger((line) => io.stderr.write(line))
}

/**
 * The token manager of every aac command on a creds.json storage.
 *
 * @example
 * const manager = cliTokenManager(io, fileStorage({ path: credsPath }), config.region)
 */
export function cliTokenManager(io: CliIo, storage: TokenStorage, region: string | undefined): TokenManager {
  const logger = debugLogger(io)
  return createTokenManager({
    storage,
    region,
    userAgent: USER_AGENT,
    // Named in the record a refresh leaves in creds.json if its answer is lost.
    programName: 'aac',
    ...(logger && { logger }),
  })
}

/**
 * The client of every aac command; `options` adjust timeouts, retries or fetch (the doctor's calls try once).
 *
 * @example
 * const client = cliClient(io, config, tokenManager, { timeoutMs: 10_000, retry: { retries: 0 } })
 */
export function cliClient(
  io: CliIo,
  config: AacConfig,
  tokens: AccessTokenSource,
  options: Pick<ClientBaseOptions, 'timeoutMs' | 'retry' | 'fetch'> = {},
): Client {
  const logger = debugLogger(io)
  return createClient({ ...options, config, tokens, userAgent: USER_AGENT, ...(logger && { logger }) })
}

/**
 * The config folder of this run: --config-dir, AAC_CONFIG_DIR, the nearest folder above holding aac_url.txt,
 * else the per-user folder; with the rule that chose it (`aac doctor` prints it).
 *
 * @example
 * const { dir, reason } = await configDir(io)
 */
export function configDir(io: CliIo): Promise<ConfigDirChoice> {
  return locateConfigDir({ dir: io.configDir, dirOption: '--config-dir', cwd: io.cwd, env: io.env })
}

export async function openSession(io: CliIo): Promise<Session> {
  const { dir } = await configDir(io)
  const loaded = await loadConfig({ dir, cwd: io.cwd, env: io.env })
  const storage = firstReadFrom(loaded.storage, loaded.tokens)
  const tokenManager = cliTokenManager(io, storage, loaded.config.region)
  return { ...loaded, tokenManager, client: cliClient(io, loaded.config, tokenManager) }
}

/**
 * The store, but its first read outside the lock returns the pair loadConfig has just read and checked: the
 * token manager's first, lock-free read (is the token still fresh?) would read and check the same pair again,
 * a third of a ms of `aac token` (for a keychain, a second round trip). Any later read, and every read once
 * withLock was called (the re-read under the lock that decides a refresh), reads the store.
 *
 * @example
 * const manager = cliTokenManager(io, firstReadFrom(loaded.storage, loaded.tokens), loaded.config.region)
 */
export function firstReadFrom(storage: TokenStorage, tokens: StoredTokens): TokenStorage {
  let unread: StoredTokens | undefined = tokens
  return {
    ...storage,
    read() {
      const pair = unread
      unread = undefined
      return pair ? Promise.resolve(pair) : storage.read()
    },
    withLock(fn, options) {
      unread = undefined
      return storage.withLock(fn, options)
    },
  }
}
