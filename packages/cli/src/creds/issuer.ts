/**
 * Whether a new pair's refresh token may go where its access token says it was issued: to a trusted token
 * endpoint, and in the API's region when both name one. A pair for another region would fail at its first
 * refresh, long after `aac creds import` or `aac init` said all was well. Each caller words the refusal for its
 * own input (a file or variables, a pasted pair).
 */

import { decodeAccessToken, regionOfHost, tokenEndpointTrust } from '@aac/core/diagnostics'

/** Why the pair cannot be refreshed against `region`. */
export type IssuerProblem =
  | { kind: 'untrusted'; reason: string }
  | { kind: 'other-region'; issued: string; host: string }

/** Undefined when the pair may be used in `region` (or its access token does not decode: the codec said so). */
export function issuerProblem(accessToken: string, region: string | undefined): IssuerProblem | undefined {
  const decoded = decodeAccessToken(accessToken)
  if (!decoded.ok) return undefined
  const issuer = decoded.claims.iss
  try {
    tokenEndpointTrust(issuer)
  } catch (error) {
    return { kind: 'untrusted', reason: (error as Error).message }
  }
  const host = new URL(issuer).hostname.toLowerCase()
  const issued = regionOfHost(host)
  // Plain `pingauth` is read as us1, but only a host that names its region is sure enough to refuse on.
  if (issued && region && host.includes(issued) && issued !== region)
    return { kind: 'other-region', issued, host }
  return undefined
}
