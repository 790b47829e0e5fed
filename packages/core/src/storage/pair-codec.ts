/**
 * The token pair as stores keep it, in one place: how it is read from JSON, what makes a stored pair unusable,
 * what must never be written, and how it is written. Every store and the browser example's dev server use it, so
 * the same bad pair gets the same message wherever it is read; each caller picks the error class that fits what
 * it reads (creds.json is the user's file: a ConfigError; see {@link pairConfigError}).
 *
 * Two forms of the same pair:
 *
 *     stored (creds.json, webStorage):  {"access_token": "...", "refresh_token": "...", "aac": {...}}
 *     wire (StoredTokens as JSON):      {"accessToken": "...", "refreshToken": "...", "meta": {...}}
 *
 * The `"aac"` value is {@link PairMeta} in snake_case (see meta-json.ts); other keys are the user's and are kept
 * by {@link encodePairText}. Web APIs only: the universal entry uses it.
 *
 * @example
 * import { decodePairText, encodePairText } from '@aac/core/storage/pair-codec'
 *
 * const read = decodePairText(text, { where: 'my-vault › aac' })
 * if (!read.ok) throw new Error(read.problem.message)
 * const text = encodePairText(read.tokens)
 */

import { isTokenErrorBody, tokenErrorBodyMessage } from '../creds-error-body.ts'
import { ConfigError, StorageError } from '../errors.ts'
import { decodeAccessToken } from '../jwt.ts'
import { cleanText, firstNonHeaderCharacter } from '../pasted-text.ts'
import { isTokenShaped } from '../redact.ts'
import { apiTokensPage } from '../regions.ts'
import { META_KEY, metaFromJson, metaToJson, normalizeMeta } from './meta-json.ts'
import type { PairMeta, StoredTokens } from './types.ts'

export { META_KEY }

/** The stored form, as messages show it. */
export const PAIR_SHAPE = '{"access_token": "...", "refresh_token": "..."}'

/** `stored`: creds.json and webStorage (snake_case, meta under `"aac"`); `wire`: StoredTokens as JSON. */
export type PairForm = 'stored' | 'wire'

const KEYS = {
  stored: { access: 'access_token', refresh: 'refresh_token', meta: META_KEY },
  wire: { access: 'accessToken', refresh: 'refreshToken', meta: 'meta' },
} as const

/** Options of the pair codec's readers: where the pair is (for messages), the region, how strict to be. */
export interface PairCodecOptions {
  /** Where the pair is, named in every message: a file path, `IndexedDB "aac" › tokens › "aac.tokens"`. */
  where: string
  /** The region (`us1`, `eu1`…) of the API in use, for the page named in messages. */
  region?: string | undefined
  /**
   * Also check the access token's claims (`iss`, `client_id`, `exp`), as a refresh needs them. Default false:
   * a store keeps whatever pair it is given, and the token manager judges the access token when it uses it; the
   * pair the user pastes is checked up front (`parseCreds`, `loadConfig`, `loadCreds`).
   */
  claims?: boolean | undefined
  /** What the user does to put a good pair there. Default: generate one and paste both tokens into `where`. */
  fix?: string | undefined
  /** Default `stored`. */
  form?: PairForm | undefined
}

/**
 * Why a pair cannot be used. `empty` and `not-json` are about the text (a store may be mid-write: the file store
 * retries, and moves a file that never parses aside); the others are about what a parsed value holds. `moved`: the
 * placeholders with a note that `aac creds move` moved the pair to another store (see {@link pairMovedTo}).
 */
export type PairProblemKind =
  | 'empty'
  | 'not-json'
  | 'not-object'
  | 'error-body'
  | 'placeholder'
  | 'moved'
  | 'fields'
  | 'character'
  | 'claims'

/** A pair that cannot be used, with a message that names `where` and the fix, and never quotes a token. */
export interface PairProblem {
  /** What is wrong, for code to branch on. */
  readonly kind: PairProblemKind
  /** What is wrong and how to fix it, for the user. */
  readonly message: string
}

/** What a decode returns: the pair, or the problem found, never a thrown error. */
export type PairDecoding =
  | { readonly ok: true; readonly tokens: StoredTokens }
  | { readonly ok: false; readonly problem: PairProblem }

/**
 * Reads a pair from JSON text: a BOM and surrounding whitespace are ignored, the tokens trimmed, the metadata
 * kept when well-formed (a malformed one is dropped, never fatal).
 *
 * @example
 * const read = decodePairText('{"access_token": "eyJ…", "refresh_token": "…"}\r\n', { where: 'creds.json' })
 * if (read.ok) read.tokens.refreshToken
 */
export function decodePairText(text: string, options: PairCodecOptions): PairDecoding {
  const value = cleanText(text)
  const { where } = options
  const shape = shapeOf(options.form)
  if (value === '') return problem('empty', `${where} is empty: ${fixOf(options)}; ${shape}.`)
  let data: unknown
  try {
    data = JSON.parse(value)
  } catch {
    // The parser's own message can quote the text, and so a token: say where, not what.
    return problem('not-json', `${where} is not valid JSON: ${shape}.`)
  }
  return decodePair(data, options)
}

/**
 * Reads a pair from a parsed JSON value: see {@link decodePairText}. Checked in this order, the first problem
 * found being the one reported: a JSON object; not a token endpoint's error answer; not the shipped placeholders
 * (`moved` when a note says where `aac creds move` put the pair);
 * both tokens non-empty strings; no character a copy added (a no-break space…); with `claims`, the access token's.
 *
 * @example
 * decodePair({ accessToken: 'a', refreshToken: 'r' }, { where: 'the page', form: 'wire' }) // { ok: true, … }
 */
export function decodePair(value: unknown, options: PairCodecOptions): PairDecoding {
  const { where, region } = options
  const keys = KEYS[options.form ?? 'stored']
  const shape = shapeOf(options.form)
  if (!isObject(value)) return problem('not-object', `${where} does not hold a JSON object: ${shape}.`)
  // What a failed refresh leaves behind in programs that save whatever the token endpoint answers.
  if (isTokenErrorBody(value)) {
    return problem('error-body', tokenErrorBodyMessage(where, value, region, options.fix))
  }
  const access = value[keys.access]
  const refresh = value[keys.refresh]
  // creds.json ships with "Your access token here": say so instead of sending it to the server.
  if ([access, refresh].some((token) => typeof token === 'string' && isPlaceholder(token))) {
    // `aac creds move` leaves the placeholders and a note of where the pair went: say where to look instead.
    const moved = pairMovedTo(value)
    if (moved !== undefined) {
      return problem(
        'moved',
        `${where} holds no token pair: it was moved to ${moved} (aac creds move). Point every program there: set AAC_STORE=${moved}, or put ${moved} in store.txt in the config folder; or move it back with \`aac creds move --to file\`.`,
      )
    }
    const page =
      options.fix === undefined
        ? ' That page is User Preferences > OAuth 2.0 API Tokens in Alteryx Cloud.'
        : ''
    return problem('placeholder', `${where} still holds the placeholder tokens: ${fixOf(options)}.${page}`)
  }
  const missing = [fieldProblem(keys.access, access), fieldProblem(keys.refresh, refresh)].filter(Boolean)
  if (missing.length > 0) {
    return problem('fields', `${where} has ${missing.join(' and ')}: ${fixOf(options)}; ${shape}.`)
  }
  const tokens = { accessToken: (access as string).trim(), refreshToken: (refresh as string).trim() }
  for (const [key, token] of [
    [keys.access, tokens.accessToken],
    [keys.refresh, tokens.refreshToken],
  ] as const) {
    // A stray character from a copy (a no-break space, a zero-width space, a line break inside): the access
    // token would fail as a header (and look like a network error), the refresh token as invalid_grant (and
    // look like a lost chain). Say where it is, never what the token is.
    const bad = firstNonHeaderCharacter(token)
    if (bad) {
      const which = key === keys.access ? 'access token' : 'refresh token'
      return problem(
        'character',
        `The ${key} in ${where} holds ${bad.name} at character ${bad.position} of ${bad.length}: tokens hold only letters, digits and punctuation, so it was changed when copied. Delete that character, or copy the ${which} again from ${apiTokensPage(region)} (or generate a new pair there).`,
      )
    }
  }
  if (options.claims) {
    const claims = accessTokenProblem(tokens.accessToken, where, region)
    if (claims) return { ok: false, problem: claims }
  }
  const meta = decodeMeta(value[keys.meta], options.form)
  return { ok: true, tokens: { ...tokens, ...(meta && { meta }) } }
}

/**
 * {@link decodePairText}, throwing {@link pairConfigError}: for a pair the user put there (creds.json).
 *
 * @example
 * const tokens = parsePairText(text, { where: '/home/me/aac/creds.json', region: 'eu1', claims: true })
 */
export function parsePairText(text: string, options: PairCodecOptions): StoredTokens {
  const read = decodePairText(text, options)
  if (!read.ok) throw pairConfigError(read.problem, options.where)
  return read.tokens
}

/**
 * The error for a pair the user put in `file` (creds.json): a ConfigError `CONFIG_INVALID` naming the file,
 * which the user fixes by editing it (exit 3 in the CLI), whichever path read it.
 */
export function pairConfigError(problem: PairProblem, file: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', file, problem.message)
}

/**
 * Why an access token cannot be refreshed (not a JWT, a payload that does not decode, claims missing), or
 * undefined when it can. Never quotes the token.
 *
 * @example
 * accessTokenProblem('abcdef', 'creds.json')?.message // 'The access_token in creds.json is not a JWT …'
 */
export function accessTokenProblem(
  accessToken: string,
  where: string,
  region?: string,
): PairProblem | undefined {
  const decoded = decodeAccessToken(accessToken)
  if (decoded.ok) return undefined
  const { problem } = decoded
  const copy = `copy the whole access token again from ${apiTokensPage(region)}, or generate a new pair there`
  const what =
    problem.kind === 'not-jwt'
      ? `is not a JWT (three parts separated by dots, starting "eyJ"): ${copy}`
      : problem.kind === 'payload-not-json'
        ? `does not decode: its middle part is not base64url-encoded JSON. It may be cut short or altered: ${copy}`
        : `lacks the ${problem.claims.join(', ')} claim${problem.claims.length > 1 ? 's' : ''} needed to refresh it: it is not an Alteryx Cloud access token. ${capitalize(copy)}`
  return { kind: 'claims', message: `The access_token in ${where} ${what}.` }
}

/**
 * Throws a ConfigError naming `file` when the access token lacks what the refresh needs.
 *
 * @example
 * assertAccessTokenClaims(tokens.accessToken, 'creds.json', 'us1')
 */
export function assertAccessTokenClaims(accessToken: string, file: string, region?: string): void {
  const found = accessTokenProblem(accessToken, file, region)
  if (found) throw pairConfigError(found, file)
}

/**
 * The key of the `"aac"` value that says where `aac creds move` moved the pair.
 *
 * @example
 * JSON.stringify({ access_token: 'Your access token here', refresh_token: 'Your refresh token here', aac: { [MOVED_TO_KEY]: 'keychain' } })
 */
export const MOVED_TO_KEY = 'moved_to'

/**
 * The store setting a stored value's note says its pair was moved to (`aac creds move` writes the placeholders
 * and `{"aac": {"moved_to": "<setting>"}}` into creds.json), or undefined when there is no such note, or it is not
 * a setting that may be shown (blank, over 200 characters, several lines, or shaped like a token).
 *
 * @example
 * pairMovedTo({ access_token: 'Your access token here', aac: { moved_to: 'keychain' } }) // 'keychain'
 */
export function pairMovedTo(value: unknown): string | undefined {
  const meta = isObject(value) ? value[META_KEY] : undefined
  const moved = isObject(meta) ? meta[MOVED_TO_KEY] : undefined
  if (typeof moved !== 'string') return undefined
  const setting = moved.trim()
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a line break or control character is refused.
  if (setting === '' || setting.length > 200 || /[\u0000-\u001f\u007f]/.test(setting)) return undefined
  return isTokenShaped(setting) ? undefined : setting
}

/**
 * True for the placeholders creds.json ships with (`Your access token here`), and the like.
 *
 * @example
 * isPlaceholder('Your refresh token here') // true
 */
export function isPlaceholder(value: string): boolean {
  return /^your .* here$/i.test(value.trim())
}

/**
 * True for what may be stored as a token: a string that is not blank. The one rule for writing: an empty token
 * would replace a pair that still works.
 */
export function isWritableToken(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== ''
}

/**
 * The pair in `value` if it is one a store may write (both tokens {@link isWritableToken}, as given), with its
 * metadata when well-formed; else undefined. Lenient on purpose: for pairs that must not be lost, such as a
 * token endpoint's answer (`stored` form) or the pair a page sends to be saved (`wire` form).
 *
 * @example
 * writablePair(await response.json()) // { accessToken, refreshToken } or undefined
 */
export function writablePair(value: unknown, form: PairForm = 'stored'): StoredTokens | undefined {
  if (!isObject(value)) return undefined
  const keys = KEYS[form]
  const accessToken = value[keys.access]
  const refreshToken = value[keys.refresh]
  if (!isWritableToken(accessToken) || !isWritableToken(refreshToken)) return undefined
  const meta = decodeMeta(value[keys.meta], form)
  return { accessToken, refreshToken, ...(meta && { meta }) }
}

/**
 * The refusal of a write whose pair {@link writablePair} would not take: a StorageError naming `where`.
 *
 * @example
 * assertWritable(tokens, storage.location) // before anything is written
 */
export function assertWritable(tokens: StoredTokens, where: string): void {
  if (!isWritableToken(tokens.accessToken) || !isWritableToken(tokens.refreshToken)) {
    throw refusedWrite(where)
  }
}

/** The StorageError for a refused write: nothing was written. */
export function refusedWrite(where: string): StorageError {
  return new StorageError(
    'STORAGE_ERROR',
    `Refusing to store an empty or non-string token in ${where}; it was left unchanged.`,
    { location: where },
  )
}

/**
 * The pair in the stored form, with its metadata when there is any.
 *
 * @example
 * encodePair({ accessToken: 'a', refreshToken: 'r' }) // { access_token: 'a', refresh_token: 'r' }
 */
export function encodePair(tokens: StoredTokens): Record<string, unknown> {
  const meta = metaToJson(tokens.meta)
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    ...(meta && { [META_KEY]: meta }),
  }
}

/**
 * creds.json's text for `tokens`: two-space indented, with a final newline. Keys a user or another tool keeps
 * beside the pair in `existing` (the parsed file being replaced) stay where they were; the metadata belongs to the
 * pair it was written with, so it is replaced wholesale (removed when there is none); an error answer saved over
 * the pair (see isTokenErrorBody) is no one's data, and its keys go with it.
 *
 * @example
 * encodePairText(tokens, JSON.parse(await readFile('creds.json', 'utf8')))
 */
export function encodePairText(tokens: StoredTokens, existing?: unknown): string {
  const base = isObject(existing) && !isTokenErrorBody(existing) ? existing : {}
  const { [META_KEY]: _old, ...kept } = base
  return `${JSON.stringify({ ...kept, ...encodePair(tokens) }, null, 2)}\n`
}

/**
 * A plain copy of a pair, with only the well-formed part of its metadata: what every store's `read` returns after
 * a `write` of `tokens`.
 */
export function copyPair(tokens: StoredTokens): StoredTokens {
  const meta = normalizeMeta(tokens.meta)
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, ...(meta && { meta }) }
}

/**
 * The well-formed part of a stored metadata value (`stored`: snake_case under `"aac"`; `wire`: {@link PairMeta}),
 * or undefined when nothing is left. Malformed parts are dropped, never fatal: the metadata only ever helps.
 */
export function decodeMeta(value: unknown, form: PairForm = 'stored'): PairMeta | undefined {
  return form === 'stored' ? metaFromJson(value) : normalizeMeta(isObject(value) ? value : undefined)
}

function fieldProblem(key: string, value: unknown): string | undefined {
  if (value === undefined) return `no "${key}"`
  if (typeof value !== 'string') return `no "${key}" string (it holds ${kindOf(value)})`
  if (value.trim() === '') return `no "${key}" string (only an empty "${key}")`
  return undefined
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function fixOf(options: PairCodecOptions): string {
  return (
    options.fix ??
    `generate a token pair at ${apiTokensPage(options.region)} ("+ Generate") and paste both tokens into ${options.where}`
  )
}

function shapeOf(form: PairForm | undefined): string {
  return form === 'wire'
    ? 'it must look like {"accessToken": "...", "refreshToken": "..."}'
    : `it must look like ${PAIR_SHAPE}`
}

function problem(kind: PairProblemKind, message: string): PairDecoding {
  return { ok: false, problem: { kind, message } }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
