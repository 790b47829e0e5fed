/**
 * Where `aac creds import` takes a new pair from: stdin (the JSON creds.json holds, or two lines, the access
 * token then the refresh token) or two named environment variables; never a process argument. The pair is
 * checked as loadConfig checks creds.json (shape, stray characters, the claims a refresh needs) and against the
 * API's region, without spending the refresh token.
 */

import { type AacConfig, apiTokensPage, ConfigError, type StoredTokens } from '@aac/core'
import { decodePair, decodePairText, pairConfigError } from '@aac/core/storage/pair-codec'
import { UsageError } from '../exit-codes.ts'
import type { CliIo } from '../io.ts'
import { refuseTokenValue } from './context.ts'
import { issuerProblem } from './issuer.ts'

/** The variables `--from-env` reads by default. */
export const DEFAULT_ACCESS_ENV = 'AAC_ACCESS_TOKEN'
export const DEFAULT_REFRESH_ENV = 'AAC_REFRESH_TOKEN'

/** More than any pair (two tokens of a few kB): a bigger input is not one. */
const MAX_INPUT_BYTES = 64 * 1024

/** The options of `aac creds import` that say where the pair comes from. */
export interface ImportSource {
  fromEnv?: boolean | undefined
  accessTokenEnv?: string | undefined
  refreshTokenEnv?: string | undefined
}

/** A pair read and checked, and where it came from (for messages). */
export interface ImportedPair {
  readonly tokens: StoredTokens
  readonly where: string
}

/**
 * Reads the pair from stdin or the environment and checks it; a UsageError (exit 2) when nothing usable was
 * given, a ConfigError (exit 3) when the pair itself is wrong. Messages never quote a token.
 *
 * @example
 * const { tokens } = await readImportedPair(io, options, config)
 */
export async function readImportedPair(
  io: CliIo,
  source: ImportSource,
  config: Pick<AacConfig, 'apiUrl' | 'region'>,
): Promise<ImportedPair> {
  const fromEnv =
    source.fromEnv || source.accessTokenEnv !== undefined || source.refreshTokenEnv !== undefined
  const read = fromEnv ? fromEnvironment(io, source, config) : await fromStdin(io, config)
  checkIssuer(read, config)
  return read
}

function fromEnvironment(io: CliIo, source: ImportSource, config: Pick<AacConfig, 'region'>): ImportedPair {
  const names = [
    variableName(source.accessTokenEnv ?? DEFAULT_ACCESS_ENV, '--access-token-env'),
    variableName(source.refreshTokenEnv ?? DEFAULT_REFRESH_ENV, '--refresh-token-env'),
  ] as const
  const unset = names.filter((name) => (io.env[name] ?? '').trim() === '')
  if (unset.length > 0) {
    throw new UsageError(
      `${unset.join(' and ')} ${unset.length > 1 ? 'are' : 'is'} not set (or empty): export the access token in ${names[0]} and the refresh token in ${names[1]} (from your CI's secrets or your secret manager), or name other variables with --access-token-env and --refresh-token-env.`,
    )
  }
  const where = `the environment variables ${names[0]} and ${names[1]}`
  const read = decodePair(
    { access_token: io.env[names[0]], refresh_token: io.env[names[1]] },
    { where, region: config.region, claims: true, fix: fixFor(where, config.region) },
  )
  if (!read.ok) throw pairConfigError(read.problem, names.join(', '))
  return { tokens: withoutMeta(read.tokens), where }
}

/** A variable's name as given: one that looks like a token is a token in an argument, and is refused unquoted. */
function variableName(name: string, option: string): string {
  refuseTokenValue(name, option)
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new UsageError(
      `${option} takes the name of an environment variable (letters, digits and _), such as ${option === '--access-token-env' ? DEFAULT_ACCESS_ENV : DEFAULT_REFRESH_ENV}.`,
    )
  }
  return name
}

async function fromStdin(io: CliIo, config: Pick<AacConfig, 'region'>): Promise<ImportedPair> {
  const where = 'stdin'
  const text = await readStdin(io)
  const fix = fixFor(where, config.region)
  const options = { where, region: config.region, claims: true, fix }
  const trimmed = text.replace(/^\uFEFF/, '').trim()
  if (trimmed === '') {
    throw new UsageError(
      `Nothing came on stdin: pipe the pair in, as JSON (aac creds import < pair.json, with {"access_token": "...", "refresh_token": "..."}) or as two lines (the access token, then the refresh token); or use --from-env.`,
    )
  }
  if (trimmed.startsWith('{')) {
    const read = decodePairText(trimmed, options)
    if (!read.ok) throw pairConfigError(read.problem, where)
    return { tokens: withoutMeta(read.tokens), where }
  }
  const lines = trimmed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
  if (lines.length !== 2) {
    throw new ConfigError(
      'CONFIG_INVALID',
      where,
      `stdin holds ${lines.length} non-empty lines: give two, the access token on the first and the refresh token on the second, or the JSON {"access_token": "...", "refresh_token": "..."}.`,
    )
  }
  const read = decodePair({ access_token: lines[0], refresh_token: lines[1] }, options)
  if (!read.ok) throw pairConfigError(read.problem, where)
  return { tokens: read.tokens, where }
}

/** stdin as UTF-8 text, at most 64 kB; a failure to read it is a UsageError saying what to pipe in. */
async function readStdin(io: CliIo): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for await (const chunk of io.stdin) {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
      size += bytes.byteLength
      if (size > MAX_INPUT_BYTES) {
        throw new UsageError(
          `stdin holds more than ${MAX_INPUT_BYTES / 1024} kB, far more than a token pair: pipe in only the pair.`,
        )
      }
      chunks.push(bytes)
    }
  } catch (error) {
    if (error instanceof UsageError) throw error
    const code = (error as { code?: unknown }).code
    throw new UsageError(
      `Could not read stdin (${typeof code === 'string' ? code : (error as Error).message}): pipe the pair in (aac creds import < pair.json), or use --from-env.`,
    )
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new UsageError('stdin is not UTF-8 text: pipe in the pair as text (JSON, or two lines).')
  }
}

/**
 * The issuer must be one the refresh token may go to, and in the API's region when both name one: a pair for
 * another region would fail at its first refresh, long after the import said all was well.
 */
function checkIssuer({ tokens, where }: ImportedPair, config: Pick<AacConfig, 'apiUrl' | 'region'>): void {
  const problem = issuerProblem(tokens.accessToken, config.region)
  if (problem?.kind === 'untrusted') {
    throw new ConfigError(
      'CONFIG_INVALID',
      where,
      `The pair from ${where} cannot be refreshed here: ${problem.reason} Nothing was stored.`,
    )
  }
  if (problem?.kind === 'other-region') {
    const { issued, host } = problem
    throw new ConfigError(
      'CONFIG_INVALID',
      where,
      `The pair from ${where} was issued for region ${issued} (${host}), but aac_url.txt points at ${config.apiUrl} (region ${config.region}): generate a pair at ${apiTokensPage(config.region)}, or point aac_url.txt at https://api.${issued}.alteryxcloud.com. Nothing was stored.`,
    )
  }
}

/** A new pair starts with no metadata: a record or clock offset pasted along with it belongs to another chain. */
function withoutMeta(tokens: StoredTokens): StoredTokens {
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }
}

function fixFor(where: string, region: string | undefined): string {
  return `generate a token pair at ${apiTokensPage(region)} ("+ Generate") and pass both tokens on ${where === 'stdin' ? 'stdin' : 'those variables'}`
}
