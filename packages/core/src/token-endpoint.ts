import { AuthError } from './errors.ts'
import { isLoopbackHost } from './regions.ts'

/** Why a token endpoint may receive the refresh token. */
export type TokenEndpointTrustReason = 'alteryxcloud' | 'loopback' | 'trusted-by-option'

/**
 * Where to post the refresh token, and why that host may have it: `${iss}/token`, but only for an issuer we
 * trust. The `iss` claim comes from an unverified token, so a tampered creds.json could otherwise send the
 * refresh token anywhere.
 *
 * Trusted: https on `*.alteryxcloud.com` (`pingauth`, `pingauth-eu1`…) → `'alteryxcloud'`, any loopback address
 * (the fake cloud) → `'loopback'`, and the hosts the user names in `trustedTokenHosts` → `'trusted-by-option'`.
 * Anything else throws an `UNTRUSTED_TOKEN_ENDPOINT` AuthError.
 *
 * @example
 * tokenEndpointTrust('https://pingauth.alteryxcloud.com/as')
 * // { endpoint: 'https://pingauth.alteryxcloud.com/as/token', reason: 'alteryxcloud' }
 */
export function tokenEndpointTrust(
  issuer: string,
  trustedTokenHosts: readonly string[] = [],
): { endpoint: string; reason: TokenEndpointTrustReason } {
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
  const reason: TokenEndpointTrustReason | undefined =
    url.protocol === 'https:' && (host === 'alteryxcloud.com' || host.endsWith('.alteryxcloud.com'))
      ? 'alteryxcloud'
      : (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(host)
        ? 'loopback'
        : trustedTokenHosts.some(
              (h) => h.toLowerCase() === host || h.toLowerCase() === url.host.toLowerCase(),
            )
          ? 'trusted-by-option'
          : undefined
  if (!reason) {
    throw new AuthError(
      'UNTRUSTED_TOKEN_ENDPOINT',
      `Refusing to send the refresh token to ${url.origin}: the access token's issuer is not an Alteryx Cloud host (https://*.alteryxcloud.com). If you really use this token server, trust it explicitly with the trustedTokenHosts option (["${url.host}"]).`,
    )
  }
  return { endpoint: `${url.origin}${url.pathname.replace(/\/+$/, '')}/token`, reason }
}

/**
 * The token endpoint for `issuer`, if trusted (see {@link tokenEndpointTrust}).
 *
 * @example
 * tokenEndpoint('https://pingauth.alteryxcloud.com/as') // 'https://pingauth.alteryxcloud.com/as/token'
 */
export function tokenEndpoint(issuer: string, trustedTokenHosts: readonly string[] = []): string {
  return tokenEndpointTrust(issuer, trustedTokenHosts).endpoint
}
