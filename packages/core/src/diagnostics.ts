/**
 * `@aac/core/diagnostics`: the pieces a setup checker needs beyond the client (`aac doctor` is one): decoding a
 * token's claims, judging its freshness, which rule trusts a token endpoint, which region a host names, and
 * turning raw fetch outcomes into the library's typed errors. Web APIs only, like the main entry; apps rarely
 * need any of it.
 *
 * @example
 * import { decodeAccessToken, tokenEndpointTrust } from '@aac/core/diagnostics'
 *
 * const decoded = decodeAccessToken(accessToken)
 * if (decoded.ok) console.log(tokenEndpointTrust(decoded.claims.iss).reason) // 'alteryxcloud'
 */

export { errorFromResponse as apiErrorFromResponse, type ResponseErrorContext } from './http/api-error.ts'
export { describeFetchFailure, type FetchFailureContext } from './http/fetch-failure.ts'
export {
  type AccessTokenClaims,
  type DecodeResult,
  decodeAccessToken,
  isFresh,
  type JwtProblem,
  refreshSkewMs,
} from './jwt.ts'
export { isTokenShaped } from './redact.ts'
export { isLoopbackHost, REGIONS, regionOfHost } from './regions.ts'
export {
  describeTrust,
  type TokenEndpointTrustReason,
  tokenEndpoint,
  tokenEndpointTrust,
} from './token-endpoint.ts'
