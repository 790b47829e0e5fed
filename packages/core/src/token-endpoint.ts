import { AuthError } from './errors.ts'
import { isLoopbackHost } from './regions.ts'

/** Why a token endpoint may receive the refresh token. */
export type TokenEndpointTrustReason = 'alteryxcloud' | 'loopback' | 'trusted-by-option'

const TRUST_SENTENCES: Record<TokenEndpointTrustReason, string> = {
  alteryxcloud: "https on *.alteryxcloud.com, Alteryx Cloud's own hosts",
  loopback:
    'a loopback address on this computer (localhost, 127.0.0.0/8 or ::1), where the fake cloud and local test servers run',
  'trusted-by-option': 'a host you trusted explicitly in the trustedTokenHosts option',
}

/**
 * Why a token endpoint is trusted, as a phrase for a person (for `aac doctor` and logs).
 *
 * @example
 * describeTrust('alteryxcloud') // "https on *.alteryxcloud.com, Alteryx Cloud's own hosts"
 */
export function describeTrust(reason: TokenEndpointTrustReason): string {
  return TRUST_SENTENCES[reason]
}

function isAlteryxCloudHost(host: string): boolean {
  return host === 'alteryxcloud.com' || host.endsWith('.alteryxcloud.com')
}

/**
 * Where to post the refresh token, and why that host may have it: `${iss}/token`, but only for an issuer we
 * trust. The `iss` claim comes from an unverified token, so a tampered creds.json could otherwise send the
 * refresh token anywhere.
 *
 * Trusted: https on `*.alteryxcloud.com` (`pingauth`, `pingauth-eu1`…) → `'alteryxcloud'`; http or https on a
 * literal loopback address or the exact name `localhost` (the fake cloud; see {@link isLoopbackHost}: a name
 * such as `x.localhost` is not one) → `'loopback'`; and http(s) on the hosts the user names in
 * `trustedTokenHosts` → `'trusted-by-option'`. Anything else throws an `UNTRUSTED_TOKEN_ENDPOINT` AuthError.
 * {@link describeTrust} words each reason for a person.
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
  const web = url.protocol === 'http:' || url.protocol === 'https:'
  const reason: TokenEndpointTrustReason | undefined =
    url.protocol === 'https:' && isAlteryxCloudHost(host)
      ? 'alteryxcloud'
      : web && isLoopbackHost(host)
        ? 'loopback'
        : web &&
            trustedTokenHosts.some(
              (h) => h.toLowerCase() === host || h.toLowerCase() === url.host.toLowerCase(),
            )
          ? 'trusted-by-option'
          : undefined
  if (!reason) throw new AuthError('UNTRUSTED_TOKEN_ENDPOINT', refusal(url, host))
  return { endpoint: `${url.origin}${url.pathname.replace(/\/+$/, '')}/token`, reason }
}

/** Why the refresh token is not sent to `url`, and what would make it trusted. */
function refusal(url: URL, host: string): string {
  const where = url.origin === 'null' ? `a "${url.protocol}" URL` : url.origin
  const start = `Refusing to send the refresh token to ${where}`
  const rule =
    "The refresh token goes only to https on *.alteryxcloud.com (Alteryx Cloud's own hosts) or, for local tests, to localhost, 127.0.0.0/8 or [::1]."
  if (url.protocol === 'http:' && isAlteryxCloudHost(host)) {
    return `${start}: the access token's issuer uses plain http, and the refresh token is sent to Alteryx Cloud over https only. The token is not one Alteryx Cloud issued: generate a new token pair.`
  }
  const trust =
    url.protocol === 'http:' || url.protocol === 'https:'
      ? ` If you really use this token server, trust it explicitly with the trustedTokenHosts option (["${url.host}"]).`
      : ''
  if (host === 'localhost.' || host.endsWith('.localhost') || host.endsWith('.localhost.')) {
    return `${start}: ${host} is a name, not a loopback address, and whatever resolves it may point it anywhere. ${rule} For a local token server use http://localhost or http://127.0.0.1.${trust}`
  }
  return `${start}: the access token's issuer is not an Alteryx Cloud host. ${rule}${trust}`
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
