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
import { type ApiUrl, type Check, pairPlace, usesCredsFile } from './check.ts'
import { failed, type Step, skipped } from './steps.ts'

export const accessToken: Check = ({ found }) => {
  const name = 'access token'
  const { tokens } = found
  if (!tokens) return { steps: [skipped(name, `needs a valid ${pairPlace(found)}`)] }
  const decoded = decodeAccessToken(tokens.accessToken)
  // loadCreds (loadStoredPair for the other stores) already refused a token that does not decode, with the fix.
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

export const region: Check = ({ found }) => {
  const { url, claims } = found
  if (!claims || !url)
    return { steps: [skipped('region', `needs a valid ${URL_FILE} and ${pairPlace(found)}`)] }
  let alteryxIssuer = false
  try {
    alteryxIssuer = tokenEndpointTrust(claims.iss).reason === 'alteryxcloud'
  } catch {
    // An untrusted issuer is the token endpoint step's failure; here it only means "not Alteryx Cloud".
  }
  const where = usesCredsFile(found) ? CREDS_FILE : (found.store?.storage.location ?? CREDS_FILE)
  return { steps: [regionStep(url, claims.iss, alteryxIssuer, where)] }
}

export const tokenEndpoint: Check = ({ found }) => {
  const name = 'token endpoint'
  const { claims } = found
  if (!claims) return { steps: [skipped(name, `needs a valid ${pairPlace(found)}`)] }
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
 * only a named region is sure enough to fail on. `where`: the store holding the tokens (creds.json…).
 */
function regionStep(url: ApiUrl, issuer: string, alteryxIssuer: boolean, where: string): Step {
  const name = 'region'
  const store = where === CREDS_FILE ? '' : ' and store it with aac creds import'
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
      fix: `${where} holds tokens issued by ${host} (region ${issuerRegion}), but aac_url.txt points at ${url.apiUrl} (region ${url.region}). If your workspace is in ${issuerRegion}, write https://api.${issuerRegion}.alteryxcloud.com in aac_url.txt; otherwise generate a new pair at ${apiTokensPage(url.region)}${store}.`,
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
        : `aac_url.txt points at Alteryx Cloud, but the tokens come from ${host}: generate a pair at ${apiTokensPage(url.region)}${store}.`,
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
