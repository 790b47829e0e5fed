/**
 * Parsing the user's three files. Everything here works on text, so it runs in any runtime; reading the files
 * from disk lives in `./fs.ts`. Each bad input gets its own message that names the file and the fix.
 */

import { ConfigError } from './errors.ts'
import { decodeAccessToken } from './jwt.ts'
import { apiProjectsPage, apiTokensPage, isLoopbackHost, regionOfHost } from './regions.ts'
import type { StoredTokens } from './storage/types.ts'
import type { AacConfig } from './types.ts'

/** The names used in messages; pass full paths so the user knows which copy is meant. */
export interface ConfigFileNames {
  aacUrl: string
  clientId: string
  creds: string
}

export const DEFAULT_FILE_NAMES: ConfigFileNames = {
  aacUrl: 'aac_url.txt',
  clientId: 'client_id.txt',
  creds: 'creds.json',
}

const EXAMPLE_URL = 'https://api.us1.alteryxcloud.com'
const PLACEHOLDER_ACCESS = 'Your access token here'
const PLACEHOLDER_REFRESH = 'Your refresh token here'

/** Strips a BOM and surrounding whitespace (CRLF, trailing newline, spaces). */
export function cleanText(text: string): string {
  return text.replace(/^\uFEFF/, '').trim()
}

/**
 * Parses aac_url.txt: the API base URL.
 *
 * @example
 * parseApiUrl('https://api.eu1.alteryxcloud.com/\r\n') // { apiUrl: 'https://api.eu1.alteryxcloud.com', directUrl: 'https://eu1.alteryxcloud.com', region: 'eu1' }
 */
export function parseApiUrl(
  text: string,
  file = DEFAULT_FILE_NAMES.aacUrl,
): Pick<AacConfig, 'apiUrl' | 'directUrl' | 'region'> {
  const value = cleanText(text)
  if (value === '') {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} is empty: put your API URL in it, for example ${EXAMPLE_URL} (the address you see in the browser, with "api." in front).`,
    )
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    const guess = /^[\w.-]+\.alteryxcloud\.com\/?$/i.test(value)
      ? ` Did you mean https://${value.replace(/\/$/, '')}?`
      : ''
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} does not hold a URL ("${truncate(value)}"): it must be your API URL, for example ${EXAMPLE_URL}.${guess}`,
    )
  }
  const loopback = isLoopbackHost(url.hostname)
  const host = url.hostname.toLowerCase()
  const webAppHost = !loopback && /\.alteryxcloud\.com$/.test(host) && !host.startsWith('api.')
  if (url.protocol !== 'https:' && !(loopback && url.protocol === 'http:')) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} must use https (found ${url.protocol}//${url.host}): write https://${webAppHost ? 'api.' : ''}${url.host} instead.`,
    )
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} must hold only the base URL, without a path or query (found "${truncate(value)}"): write ${url.origin}.`,
    )
  }
  const region = regionOfHost(host)
  if (webAppHost) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} holds ${url.origin}, the web app's address, not the API's: write https://api.${host} (the address you see in the browser, with "api." in front).`,
    )
  }
  const apiUrl = url.origin
  // The direct host (for /v4 and /svc-workflow) is the same host without "api."; a loopback fake serves both.
  const directUrl = host.startsWith('api.') ? `${url.protocol}//${url.host.slice(4)}` : apiUrl
  return { apiUrl, directUrl, region }
}

/**
 * Parses client_id.txt (or api_project_id.txt): the API project's Client ID.
 *
 * @example
 * parseProjectId('7c5e…\n') // '7c5e…'
 */
export function parseProjectId(text: string, file = DEFAULT_FILE_NAMES.clientId, region?: string): string {
  const value = cleanText(text)
  const fix = `paste the Client ID of your API project from ${apiProjectsPage(region)} (open the project, or create one with "+ New").`
  if (value === '') throw new ConfigError('CONFIG_INVALID', file, `${file} is empty: ${fix}`)
  if (/^your\b/i.test(value) || /\s/.test(value)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} does not hold a Client ID ("${truncate(value)}"): ${fix}`,
    )
  }
  return value
}

/**
 * Parses creds.json and checks the access token's claims. Never quotes a token in a message.
 *
 * @example
 * const tokens = parseCreds(await readFile('creds.json', 'utf8'))
 */
export function parseCreds(text: string, file = DEFAULT_FILE_NAMES.creds, region?: string): StoredTokens {
  const shape = 'it must look like {"access_token": "...", "refresh_token": "..."}'
  const generate = `generate a token pair at ${apiTokensPage(region)} ("+ Generate") and paste both tokens into ${file}`
  const value = cleanText(text)
  if (value === '') throw new ConfigError('CONFIG_INVALID', file, `${file} is empty: ${generate}; ${shape}.`)
  let data: unknown
  try {
    data = JSON.parse(value)
  } catch {
    // The parser's own message can quote the file's content, and so a token: say where, not what.
    throw new ConfigError('CONFIG_INVALID', file, `${file} is not valid JSON: ${shape}.`)
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError('CONFIG_INVALID', file, `${file} does not hold a JSON object: ${shape}.`)
  }
  const record = data as Record<string, unknown>
  const access = record['access_token']
  const refresh = record['refresh_token']
  if (access === PLACEHOLDER_ACCESS || refresh === PLACEHOLDER_REFRESH) {
    throw new ConfigError('CONFIG_INVALID', file, `${file} still holds the placeholder tokens: ${generate}.`)
  }
  for (const [key, token] of [
    ['access_token', access],
    ['refresh_token', refresh],
  ] as const) {
    if (typeof token !== 'string' || token.trim() === '') {
      throw new ConfigError(
        'CONFIG_INVALID',
        file,
        `${file} has no "${key}"${token === undefined ? '' : ' string'}: ${generate}; ${shape}.`,
      )
    }
  }
  const accessToken = (access as string).trim()
  const refreshToken = (refresh as string).trim()
  assertAccessTokenClaims(accessToken, file, region)
  return { accessToken, refreshToken }
}

/** Throws a ConfigError naming `file` when the access token lacks what the refresh needs. */
export function assertAccessTokenClaims(accessToken: string, file: string, region?: string): void {
  const decoded = decodeAccessToken(accessToken)
  if (decoded.ok) return
  const copy = `copy the whole access token again from ${apiTokensPage(region)}, or generate a new pair there`
  switch (decoded.problem.kind) {
    case 'not-jwt':
      throw new ConfigError(
        'CONFIG_INVALID',
        file,
        `The access_token in ${file} is not a JWT (three parts separated by dots, starting "eyJ"): ${copy}.`,
      )
    case 'payload-not-json':
      throw new ConfigError(
        'CONFIG_INVALID',
        file,
        `The access_token in ${file} does not decode: its middle part is not base64url-encoded JSON. It may be cut short or altered: ${copy}.`,
      )
    case 'missing-claims':
      throw new ConfigError(
        'CONFIG_INVALID',
        file,
        `The access_token in ${file} lacks the ${decoded.problem.claims.join(', ')} claim${decoded.problem.claims.length > 1 ? 's' : ''} needed to refresh it: it is not an Alteryx Cloud access token. ${capitalize(copy)}.`,
      )
  }
}

/** The three files' text, as read from disk or given in code. */
export interface ConfigTexts {
  aacUrl: string
  clientId: string
  creds: string
}

/**
 * Parses the three files at once.
 *
 * @example
 * const { config, tokens } = parseConfig({ aacUrl, clientId, creds })
 */
export function parseConfig(
  texts: ConfigTexts,
  names: ConfigFileNames = DEFAULT_FILE_NAMES,
): { config: AacConfig; tokens: StoredTokens } {
  const url = parseApiUrl(texts.aacUrl, names.aacUrl)
  const projectId = parseProjectId(texts.clientId, names.clientId, url.region)
  const tokens = parseCreds(texts.creds, names.creds, url.region)
  return { config: { ...url, projectId }, tokens }
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
