/**
 * The web pages a user is sent to when something needs fixing by hand, for their region. Regions appear in
 * hosts as `api.us1.alteryxcloud.com` (gateway), `us1.alteryxcloud.com` (web app) and `pingauth-eu1…` (issuer).
 */

export const DEFAULT_REGION = 'us1'

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
 * 127.0.0.0/8, ::1 and localhost: where the fake cloud and local test servers live.
 *
 * @example
 * isLoopbackHost('127.0.0.1') // true
 * isLoopbackHost('api.us1.alteryxcloud.com') // false
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return (
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
  )
}

/** Paths served by the direct host (`https://us1.alteryxcloud.com`); every other path goes to the API gateway. */
export function isDirectHostPath(path: string): boolean {
  return /^\/(?:v4|svc-workflow)(?:[/?#]|$)/.test(path)
}
