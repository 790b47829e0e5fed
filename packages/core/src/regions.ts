/**
 * The web pages a user is sent to when something needs fixing by hand, for their region. Regions appear in
 * hosts as `api.us1.alteryxcloud.com` (gateway), `us1.alteryxcloud.com` (web app) and `pingauth-eu1…` (issuer).
 */

export const DEFAULT_REGION = 'us1'

/**
 * The regions of Alteryx Cloud, each with its API URL's host (`api.<id>.alteryxcloud.com`); what `aac init`
 * offers.
 *
 * @example
 * REGIONS.map((region) => `https://api.${region.id}.alteryxcloud.com`)
 */
export const REGIONS: readonly { readonly id: string; readonly name: string }[] = [
  { id: 'us1', name: 'United States' },
  { id: 'eu1', name: 'Europe' },
  { id: 'au1', name: 'Australia' },
]

/** `https://us1.alteryxcloud.com`, the web app of a region. */
export function webAppUrl(region: string | undefined): string {
  return `https://${region ?? DEFAULT_REGION}.alteryxcloud.com`
}

/** Where API projects (and their Client ID) are created: the developer console. */
export function apiProjectsPage(region: string | undefined): string {
  return `${webAppUrl(region)}/cloud-portal/library/alteryx-io`
}

/** User Preferences > OAuth 2.0 API Tokens, where a token pair is generated. */
export function apiTokensPage(region: string | undefined): string {
  return `${webAppUrl(region)}/cloud-portal/preferences/oauth2-api-tokens`
}

/** The region named by an Alteryx Cloud host, if any: `api.eu1.alteryxcloud.com` → `eu1`. */
export function regionOfHost(hostname: string): string | undefined {
  const match = /^(?:api\.)?([a-z]{2}\d+)\.alteryxcloud\.com$/i.exec(hostname)
  if (match) return match[1]!.toLowerCase()
  const issuer = /^pingauth(?:-([a-z]{2}\d+))?\.alteryxcloud\.com$/i.exec(hostname)
  if (issuer) return (issuer[1] ?? DEFAULT_REGION).toLowerCase()
  return undefined
}

/**
 * True only for literal loopback addresses and the exact name `localhost`: 127.0.0.0/8, ::1 in any spelling
 * (`[::1]`, `[0:0:0:0:0:0:0:1]`) and IPv4-mapped `::ffff:127.x.x.x`. Where the fake cloud and local test
 * servers live, and the only hosts plain http is allowed for (aac_url.txt, the token endpoint).
 *
 * A name under `.localhost` (`x.localhost`) is not trusted: whatever resolves it (a hosts file, a DNS
 * server, a proxy) may point it anywhere, and the refresh token would follow. Neither is `localhost.`.
 *
 * Takes a URL's `hostname` (already normalised by the URL parser) or a bare host or socket address.
 *
 * @example
 * isLoopbackHost('127.0.0.1') // true
 * isLoopbackHost('[0:0:0:0:0:0:0:1]') // true
 * isLoopbackHost('x.localhost') // false
 * isLoopbackHost('api.us1.alteryxcloud.com') // false
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost') return true
  const ipv4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  if (ipv4) return ipv4.slice(1).every((part) => Number(part) <= 255)
  const ipv6 = /^\[(.*)\]$/.exec(host)?.[1] ?? host
  if (!ipv6.includes(':') || !/^[0-9a-f:.]+$/.test(ipv6)) return false
  // The URL parser writes every IPv6 spelling the same way: [::1], and [::ffff:7f00:1] for ::ffff:127.0.0.1.
  let canonical: string
  try {
    canonical = new URL(`http://[${ipv6}]/`).hostname
  } catch {
    return false
  }
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical)
}

/** Paths served by the direct host (`https://us1.alteryxcloud.com`); every other path goes to the API gateway. */
export function isDirectHostPath(path: string): boolean {
  return /^\/(?:v4|svc-workflow)(?:[/?#]|$)/.test(path)
}
