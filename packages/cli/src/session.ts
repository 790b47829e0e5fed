/**
 * The three files, a token manager on creds.json and a client: what every command but `doctor` starts from.
 * All token, HTTP and error handling is the core's; this only wires it to the CLI's streams.
 */

import {
  type Client,
  createClient,
  createTokenManager,
  type Logger,
  type TokenManager,
  VERSION,
} from '@aac/core'
import { type LoadedConfig, loadConfig } from '@aac/core/fs'
import { type CliIo, debugEnabled } from './io.ts'

export const USER_AGENT = `aac-cli/${VERSION}`

export interface Session extends LoadedConfig {
  tokenManager: TokenManager
  client: Client
}

/** Debug lines on stderr with AAC_DEBUG=1. The core never hands a token to its logger. */
export function debugLogger(io: CliIo): Logger | undefined {
  if (!debugEnabled(io.env)) return undefined
  return (message, details) =>
    io.stderr.write(`[aac] ${message}${details ? ` ${JSON.stringify(details)}` : ''}\n`)
}

export async function openSession(io: CliIo): Promise<Session> {
  const loaded = await loadConfig({ cwd: io.cwd, env: io.env })
  const logger = debugLogger(io)
  const tokenManager = createTokenManager({
    storage: loaded.storage,
    region: loaded.config.region,
    userAgent: USER_AGENT,
    // Named in the record a refresh leaves in creds.json if its answer is lost.
    programName: 'aac',
    ...(logger && { logger }),
  })
  const client = createClient({
    config: loaded.config,
    tokens: tokenManager,
    userAgent: USER_AGENT,
    ...(logger && { logger }),
  })
  return { ...loaded, tokenManager, client }
}
