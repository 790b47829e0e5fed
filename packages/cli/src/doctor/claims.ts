/**
 * The access token's claims, the region its issuer names against aac_url.txt's, and whether the refresh token
 * may go to that issuer's token endpoint (the core's trust rules).
 */

import { apiTokensPage } from '@aac/core'
import {
  decodeAccessToken,
  describeTrust,
  isFresh,
  regionOfHost,
  type TokenEndpointTrustReason,
  tokenEndpointTrust,
} from '@aac/core/diagnostics'
import { CREDS_FILE, URL_FILE } from '@aac/core/fs'
import { EXIT } from '../exit-codes.ts'
import { duration } from '../time.ts'
import type { ApiUrl, Check } from './check.ts'
import { failed, type Step, skipped } from './steps.ts'

export const accessToken: Check = ({ found: { tokens } }) => {
  const name = 'access token'
  if (!tokens) return { steps: [skipped(name, `needs a valid ${CREDS_FILE}`)] }
  const decoded = decodeAccessToken(tokens.accessToken)
  // loadCreds already refused a token that does not decode, with the fix.
  if (!decoded.ok) return { steps: [] }
  const { claims } = decoded
  const left = claims.exp * 1000 - Date.now()
  const until = new Date(claims.exp * 1000).toISOString()
  const detail =
    left <= 0
      ? `expired ${duration(left)} ago (${until}): the next call refreshes it, as normal (access tokens live minutes)`
      : isFresh(claims, Date.now())
        ? `valid for ${duration(left)} (until ${until})`
        : `expires in ${duration(left)}: the next call refreshes it`
  return { steps: [{ name, status: 'pass', detail }], found: { claims } }
}

export const region: Check = ({ found: { url, claims } }) => {
  if (!claims || !url) return { steps: [skipped('region', `needs a valid ${URL_FILE} and ${CREDS_FILE}`)] }
  let alteryxIssuer = false
  try {
    alteryxIssuer = tokenEndpointTrust(claims.iss).reason === 'alteryxcloud'
  } catch {
    // An untrusted issuer is the token endpoint step's failure; here it only means "not Alteryx Cloud".
  }
  return { steps: [regionStep(url, claims.iss, alteryxIssuer)] }
}

export const tokenEndpoint: Check = ({ found: { claims } }) => {
  const name = 'token endpoint'
  if (!claims) return { steps: [skipped(name, `needs a valid ${CREDS_FILE}`)] }
  try {
    const { endpoint, reason } = tokenEndpointTrust(claims.iss)
    return {
      steps: [{ name, status: 'pass', detail: `${endpoint} (${trustedBecause(reason)})` }],
      found: { endpoint },
    }
  } catch (error) {
    return { steps: [failed(name, error, 'not trusted')] }
  }
}

/** Which of the core's trust rules lets the refresh token go to `reason`'s endpoint, for a person. */
export function trustedBecause(reason: TokenEndpointTrustReason): string {
  return `the refresh token may go there: ${describeTrust(reason)}`
}

/**
 * `pingauth-eu1.alteryxcloud.com` names its region; plain `pingauth` is taken for us1 (the core's reading), but
 * only a named region is sure enough to fail on.
 */
function regionStep(url: ApiUrl, issuer: string, alteryxIssuer: boolean): Step {
  const name = 'region'
  let host: string
  try {
    host = new URL(issuer).hostname.toLowerCase()
  } catch {
    return { name, status: 'skip', detail: 'the token names no issuer URL' }
  }
  const issuerRegion = regionOfHost(host)
  if (issuerRegion && url.region && issuerRegion !== url.region) {
    return {
      name,
      status: host.includes(issuerRegion) ? 'fail' : 'warn',
      detail: `tokens from ${issuerRegion} (${host}), aac_url.txt for ${url.region}`,
      fix: `creds.json holds tokens issued by ${host} (region ${issuerRegion}), but aac_url.txt points at ${url.apiUrl} (region ${url.region}). If your workspace is in ${issuerRegion}, write https://api.${issuerRegion}.alteryxcloud.com in aac_url.txt; otherwise generate a new pair at ${apiTokensPage(url.region)}.`,
      exit: EXIT.CONFIG,
    }
  }
  if (alteryxIssuer !== (url.region !== undefined)) {
    return {
      name,
      status: 'warn',
      detail: `tokens issued by ${host}, API at ${url.apiUrl}`,
      fix: alteryxIssuer
        ? `These are Alteryx Cloud tokens, but aac_url.txt points at ${url.apiUrl}: write your region's API URL (https://api.us1.alteryxcloud.com…) unless that host is a proxy you meant to use.`
        : `aac_url.txt points at Alteryx Cloud, but the tokens come from ${host}: generate a pair at ${apiTokensPage(url.region)}.`,
    }
  }
  return {
    name,
    status: 'pass',
    detail: issuerRegion
      ? `tokens and aac_url.txt both for ${issuerRegion}`
      : `tokens issued by ${host}${url.region ? `, API in ${url.region}` : ''}`,
  }
}
