import { AuthError } from './errors.ts'
import { isLoopbackHost } from './regions.ts'

/**
 * Where to post the refresh token: `${iss}/token`, but only for an issuer we trust. The `iss` claim comes from
 * an unverified token, so a tampered creds.json could otherwise send the refresh token anywhere.
 *
 * Trusted: https on `*.alteryxcloud.com` (`pingauth`, `pingauth-eu1`…), any loopback address (the fake cloud),
 * and the hosts the user names in `trustedTokenHosts`.
 *
 * @example
 * tokenEndpoint('https://pingauth.alteryxcloud.com/as') // 'https://pingauth.alteryxcloud.com/as/token'
 */
export function tokenEndpoint(issuer: string, trustedTokenHosts: readonly string[] = []): string {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw new AuthError(
      'UNTRUSTED_TOKEN_ENDPOINT',
      `The access token's issuer ("iss" claim) is not a URL, so there is no token endpoint to refresh at: generate a new token pair.`,
    )
  }
  const host = url.hostname.toLowerCase()
  const trusted =
    (url.protocol === 'https:' && (host === 'alteryxcloud.com' || host.endsWith('.alteryxcloud.com'))) ||
    ((url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(host)) ||
    trustedTokenHosts.some((h) => h.toLowerCase() === host || h.toLowerCase() === url.host.toLowerCase())
  if (!trusted) {
    throw new AuthError(
      'UNTRUSTED_TOKEN_ENDPOINT',
      `Refusing to send the refresh token to ${url.origin}: the access token's issuer is not an Alteryx Cloud host (https://*.alteryxcloud.com). If you really use this token server, trust it explicitly with the trustedTokenHosts option (["${url.host}"]).`,
    )
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/token`
}
