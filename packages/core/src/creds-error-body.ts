/**
 * Alteryx's own example scripts save whatever the token endpoint answers, so after one failed refresh their
 * creds.json holds `{"error": "invalid_grant", "error_description": …}` instead of a pair. Read as "a file
 * without an access token", that would send the user looking for a typo; it is a lost chain.
 */

import { apiTokensPage } from './regions.ts'

/**
 * True when a parsed creds.json is an OAuth error answer (RFC 6749 §5.2) rather than a token pair.
 *
 * @example
 * isTokenErrorBody({ error: 'invalid_grant', error_description: 'Refresh token was revoked' }) // true
 */
export function isTokenErrorBody(record: Record<string, unknown>): boolean {
  return (
    typeof record['error'] === 'string' &&
    typeof record['access_token'] !== 'string' &&
    typeof record['refresh_token'] !== 'string'
  )
}

/**
 * The message for {@link isTokenErrorBody}: what happened, that the chain is lost, and where to get a new pair
 * (`fix`, when given, says how to put it in place instead of pasting it into `file`). Quotes only the OAuth error
 * code, and only when it is one of the codes the standard defines.
 */
export function tokenErrorBodyMessage(
  file: string,
  record: Record<string, unknown>,
  region: string | undefined,
  fix?: string,
): string {
  const code = record['error']
  const named = isStandardOAuthError(code) ? ` ("error": "${code}")` : ''
  const instead =
    fix === undefined
      ? `Generate a new pair at ${apiTokensPage(region)} ("+ Generate") and paste both tokens into ${file} as {"access_token": "...", "refresh_token": "..."}.`
      : `${fix.charAt(0).toUpperCase()}${fix.slice(1)}.`
  return (
    `${file} holds a token endpoint's error answer${named} instead of a token pair: a program that saves ` +
    'whatever the token endpoint answers (such as Alteryx’s own example scripts) wrote it over the pair after a ' +
    `failed refresh, so the refresh token it held is lost. ${instead}`
  )
}

/**
 * True for the error codes RFC 6749 §5.2 defines: the only words of a token endpoint's error answer that may be
 * quoted in a message (anything else in it is outside text and may echo a token).
 */
export function isStandardOAuthError(code: unknown): code is string {
  return typeof code === 'string' && STANDARD_CODES.has(code)
}

const STANDARD_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
])
