/**
 * Parsing the user's three files. Everything here works on text, so it runs in any runtime; reading the files
 * from disk lives in `./fs.ts`. Each bad input gets its own message that names the file and the fix.
 */

import { ConfigError } from './errors.ts'
import { cleanText, firstNonHeaderCharacter } from './pasted-text.ts'
import { isTokenShaped } from './redact.ts'
import { apiProjectsPage, isLoopbackHost, regionOfHost } from './regions.ts'
import { parsePairText } from './storage/pair-codec.ts'
import type { StoredTokens } from './storage/types.ts'
import type { AacConfig } from './types.ts'

export { cleanText, firstNonHeaderCharacter } from './pasted-text.ts'
export { assertAccessTokenClaims } from './storage/pair-codec.ts'

/** The names used in messages; pass full paths so the user knows which copy is meant. */
export interface ConfigFileNames {
  /** How aac_url.txt is named in messages. */
  aacUrl: string
  /** How client_id.txt is named in messages. */
  clientId: string
  /** How creds.json is named in messages. */
  creds: string
}

/** The three files' plain names, used in messages when no full paths are given to {@link parseConfig}. */
export const DEFAULT_FILE_NAMES: ConfigFileNames = {
  aacUrl: 'aac_url.txt',
  clientId: 'client_id.txt',
  creds: 'creds.json',
}

const EXAMPLE_URL = 'https://api.us1.alteryxcloud.com'

/** `scheme://user:password@` or `user:password@` before the host: never quoted back. */
const USERINFO = /^(?:[a-z][a-z\d+.-]*:\/\/)?[^/?#\s]*@/i
/** `host`, `host:port` or `host/`, without a scheme (the URL parser would take `host:` for one). */
const BARE_HOST = /^(?:(?:[\w-]+\.)+[\w-]+(?::\d+)?|[\w-]+:\d+)\/?$/

/**
 * Parses aac_url.txt: the API base URL.
 *
 * Plain http is accepted only for loopback addresses and the name `localhost` (see {@link isLoopbackHost}), the
 * same rule as for the token endpoint. Messages quote the file's text only when it does not look like a token,
 * and never quote a user name or password.
 *
 * @example
 * parseApiUrl('https://api.eu1.alteryxcloud.com/\r\n') // { apiUrl: 'https://api.eu1.alteryxcloud.com', directUrl: 'https://eu1.alteryxcloud.com', region: 'eu1' }
 */
export function parseApiUrl(
  text: string,
  file = DEFAULT_FILE_NAMES.aacUrl,
): Pick<AacConfig, 'apiUrl' | 'directUrl' | 'region'> {
  const value = cleanText(text)
  const example = `for example ${EXAMPLE_URL} (the address you see in the browser, with "api." in front)`
  if (value === '') {
    throw new ConfigError('CONFIG_INVALID', file, `${file} is empty: put your API URL in it, ${example}.`)
  }
  if (isTokenShaped(value)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} holds something that looks like a token (its text is not shown, so that the token stays secret): tokens belong in creds.json, and ${file} must hold only your API URL, ${example}.`,
    )
  }
  if (USERINFO.test(value)) {
    const clean = withoutUserinfo(value)
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} holds a user name or password before the host (not shown here): remove the user name and password from the URL; the API takes none. ${clean ? `Write ${clean}.` : `It must hold only your API URL, ${example}.`}`,
    )
  }
  if (BARE_HOST.test(value)) {
    const host = value.replace(/\/$/, '')
    const scheme = isLoopbackHost(host.replace(/:\d+$/, '')) ? 'http' : 'https'
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} holds ${quote(value)} without https:// in front: write ${scheme}://${apiHost(host)}.`,
    )
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} does not hold a URL (${quote(value)}): it must hold your API URL, ${example}.`,
    )
  }
  if (url.username || url.password) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} holds a user name or password before the host (not shown here): remove the user name and password from the URL; the API takes none. Write ${isWebAppHost(url.hostname) ? `https://${apiHost(url.host)}` : url.origin}.`,
    )
  }
  const loopback = isLoopbackHost(url.hostname)
  const host = url.hostname.toLowerCase()
  const webAppHost = isWebAppHost(host)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    const instead =
      url.host && /\.alteryxcloud\.com$/.test(host) ? ` Write https://${apiHost(url.host)}.` : ''
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} holds a "${url.protocol}" URL (${quote(value)}), but it must hold the https URL of the Alteryx Cloud API, ${example}.${instead}`,
    )
  }
  if (url.protocol === 'http:' && !loopback) {
    const port = url.port ? `:${url.port}` : ''
    const local = /\.alteryxcloud\.com$/.test(host)
      ? ''
      : ` Plain http is allowed only for a server on this computer, at localhost, 127.0.0.1 or [::1] (http://localhost${port}); a name such as ${host} may resolve anywhere.`
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} must use https (found http://${url.host}): write https://${apiHost(url.host)} instead.${local}`,
    )
  }
  const apiOrigin = webAppHost ? `https://${apiHost(url.host)}` : url.origin
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} must hold only the base URL, without a path or query (found ${quote(value)}): write ${apiOrigin}.`,
    )
  }
  const region = regionOfHost(host)
  if (webAppHost) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} holds ${url.origin}, ${/^pingauth/.test(host) ? "the token issuer's address" : "the web app's address"}, not the API's: write ${apiOrigin}${regionOfHost(host) && !/^pingauth/.test(host) ? ' (the address you see in the browser, with "api." in front)' : ''}.`,
    )
  }
  const apiUrl = url.origin
  // The direct host (for /v4 and /svc-workflow) is the same host without "api."; a loopback fake serves both.
  const directUrl = host.startsWith('api.') ? `${url.protocol}//${url.host.slice(4)}` : apiUrl
  return { apiUrl, directUrl, region }
}

/**
 * The API host for an Alteryx Cloud host someone may paste instead: the web app (`us1.alteryxcloud.com`), a
 * workspace's own address (`acme.us1.alteryxcloud.com`) or the token issuer (`pingauth-eu1.alteryxcloud.com`)
 * → `api.<region>.alteryxcloud.com`; other hosts as they are. Keeps a port.
 */
function apiHost(hostAndPort: string): string {
  const [, name = hostAndPort, port = ''] = /^(.*?)(:\d+)?$/.exec(hostAndPort) ?? []
  const host = name.toLowerCase()
  if (!isWebAppHost(host)) return hostAndPort
  const region =
    /^(?:[\w-]+\.)?([a-z]{2}\d+)\.alteryxcloud\.com$/.exec(host)?.[1] ??
    (/^pingauth(?:-[a-z]{2}\d+)?\.alteryxcloud\.com$/.test(host) ? regionOfHost(host) : undefined)
  return `${region ? `api.${region}.alteryxcloud.com` : `api.${host}`}${port}`
}

/** An Alteryx Cloud host that is not the API gateway: the web app, a workspace address, the issuer… */
function isWebAppHost(host: string): boolean {
  return /\.alteryxcloud\.com$/.test(host) && !host.startsWith('api.')
}

/** The URL without its user name and password, as the origin to write; undefined when that is no help. */
function withoutUserinfo(value: string): string | undefined {
  try {
    const url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(value) ? value : `https://${value}`)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
    url.username = ''
    url.password = ''
    const origin = isWebAppHost(url.hostname) ? `https://${apiHost(url.host)}` : url.origin
    return isTokenShaped(origin) ? undefined : origin
  } catch {
    return undefined
  }
}

/**
 * Parses client_id.txt (or api_project_id.txt): the API project's Client ID. It is sent as the
 * `x-api-project-id` header, so it must be a valid header value: visible ASCII, no spaces or control characters
 * (fetch would refuse the request, which would look like a network failure).
 *
 * @example
 * parseProjectId('7c5e…\n') // '7c5e…'
 */
export function parseProjectId(text: string, file = DEFAULT_FILE_NAMES.clientId, region?: string): string {
  const value = cleanText(text)
  const fix = `paste the Client ID of your API project from ${apiProjectsPage(region)} (open the project, or create one with "+ New").`
  if (value === '') throw new ConfigError('CONFIG_INVALID', file, `${file} is empty: ${fix}`)
  if (/^your\b/i.test(value)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} does not hold a Client ID (${quote(value)}): ${fix}`,
    )
  }
  if (JWT_LIKE.test(value)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} holds a token (a JWT, starting "eyJ"), not a Client ID: tokens belong in creds.json. In ${file}, ${fix}`,
    )
  }
  const bad = firstNonHeaderCharacter(value)
  if (bad) {
    const where = `${bad.name} at character ${bad.position} of ${bad.length}`
    const holds = isTokenShaped(value)
      ? `holds ${where} (the value is not shown: it looks like a token)`
      : `holds ${quote(value)}, with ${where}`
    throw new ConfigError(
      'CONFIG_INVALID',
      file,
      `${file} ${holds}: the Client ID is sent in the x-api-project-id header, which takes only letters, digits and punctuation, without spaces. Delete that character, or copy the Client ID of your API project again from ${apiProjectsPage(region)} and paste it as plain text.`,
    )
  }
  return value
}

/** A JWT or its start: never a Client ID. */
const JWT_LIKE = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/

/**
 * Parses creds.json and checks the access token's claims. Never quotes a token in a message. The checks and
 * messages are the token-pair codec's (`storage/pair-codec.ts`), which the stores use too: the same bad file is
 * the same ConfigError here, through `loadConfig` and through `fileStorage().read()` (which leaves the claims
 * to the token manager).
 *
 * @example
 * const tokens = parseCreds(await readFile('creds.json', 'utf8'))
 */
export function parseCreds(text: string, file = DEFAULT_FILE_NAMES.creds, region?: string): StoredTokens {
  return parsePairText(text, { where: file, region, claims: true })
}

/** The three files' text, as read from disk or given in code. */
export interface ConfigTexts {
  /** The text of aac_url.txt: the API URL. */
  aacUrl: string
  /** The text of client_id.txt: the API project's Client ID. */
  clientId: string
  /** The text of creds.json: `{"access_token": "…", "refresh_token": "…"}`. */
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

/**
 * A config value quoted for a message: JSON-escaped (control characters show as `\u0007`), cut to 60
 * characters. Callers check {@link isTokenShaped} and user info first; this refuses a token-shaped value anyway.
 */
function quote(value: string): string {
  if (isTokenShaped(value)) return 'its text is not shown: it looks like a token'
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
}
