/**
 * Redaction for anything that may end up in an error, a log line or a terminal: API response bodies, request
 * paths, headers, causes. Tokens are removed by value (the ones we know, and the parts of known JWTs), by shape
 * (JWTs, `Bearer …`) and by key. The library's own sentences get {@link redactOwnText} only: the key patterns
 * are for outside text.
 */

export const REDACTED = '[REDACTED]'

/** Shorter values would also match ordinary words and numbers in the text. */
const MIN_SECRET_LENGTH = 8

// A JWT: base64url header (JSON, so `eyJ`), payload and a signature that may be empty.
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g
// `Bearer <credential>`, but not `Bearer realm="…"` (a WWW-Authenticate challenge).
const BEARER = /\b(Bearer)(\s+)(?!(?:realm|scope|error|error_description|error_uri)=)([A-Za-z0-9._~+/=-]+)/gi
// `access_token=…` in form bodies and `"refresh_token": "…"` in JSON text (also JSON inside a JSON string).
const KEYED =
  /\b(access_?token|refresh_?token|id_?token|client_?secret|password)(\\?["']?\s*[:=]\s*)(\\?["']?)([^\s"'&,;}\\]+)/gi
/** Placeholders that stand for a token in examples and messages: `"..."`, `"…"`, `"<token>"`, `"***"`. */
const PLACEHOLDER = /^(?:\.{2,}|…+|\*+|<[^<>]*>)$/
/** Sentence punctuation after an unquoted value belongs to the sentence. */
const TRAILING_PUNCTUATION = /[.:!?)\]]+$/

/** Parts of a known JWT this long are redacted on their own too (a signature quoted without the rest). */
const MIN_PART_LENGTH = 16

/**
 * Whether an unquoted value after a secret key or `Bearer` may be a credential rather than a word of a
 * sentence: it holds a digit or token punctuation (`._~+/=-`), an upper-case letter after its first
 * character, or is 16 characters or longer. `generate`, `token`, `expired` are words; `opaque123`,
 * `abc.def`, `sEcReT` are not.
 */
function mayBeCredential(value: string): boolean {
  return value.length >= 16 || /[\d._~+/=-]/.test(value) || /.[A-Z]/.test(value)
}

function redactKeyed(
  match: string,
  key: string,
  separator: string,
  quote: string,
  value: string,
  offset: number,
  whole: string,
): string {
  if (value.startsWith(REDACTED) || value === 'null') return match
  const quoted = /["']/.test(quote)
  // A quoted value that runs to its closing quote is the whole value: secret unless it is a placeholder.
  if (quoted && whole.startsWith(quote, offset + match.length)) {
    return PLACEHOLDER.test(value) ? match : `${key}${separator}${quote}${REDACTED}`
  }
  // Unquoted (a form body, a header, a sentence) or a quoted text with spaces: only what looks like a token.
  const core = value.replace(TRAILING_PUNCTUATION, '')
  if (core === '' || !mayBeCredential(core) || PLACEHOLDER.test(core)) return match
  return `${key}${separator}${quote}${REDACTED}${value.slice(core.length)}`
}

function redactBearer(match: string, scheme: string, space: string, value: string): string {
  if (value.startsWith(REDACTED)) return match
  const core = value.replace(TRAILING_PUNCTUATION, '')
  if (core === '' || !mayBeCredential(core)) return match
  return `${scheme}${space}${REDACTED}${value.slice(core.length)}`
}

// Token shapes, for deciding whether a value may be quoted back at all (see isTokenShaped).
const JWT_START = /eyJ[A-Za-z0-9_-]{4,}/
const TOKEN_RUN = /[A-Za-z0-9_~+=-]{20,}/g
const KEY_RUN = /[A-Za-z0-9]{32,}/g

/**
 * True when `text` holds something shaped like a token, so that it must not be quoted in a message: a JWT (or
 * its start, `eyJ…`), a run of 20 or more token characters without a space, dot, slash or colon that mixes
 * upper case, lower case and digits (opaque tokens, API keys), or 32 or more letters and digits without any
 * separator that hold both (hex digests, keys). Ordinary ids stay quotable: `project-1`, a UUID, a host name,
 * a URL with a path, a sentence.
 *
 * @example
 * isTokenShaped('7c5e1b2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b') // false
 * isTokenShaped('kNTtZ9s4n2Ok3VQiXwWc6tHfGkb0gPx1') // true
 */
export function isTokenShaped(text: string): boolean {
  if (JWT_START.test(text)) return true
  for (const [run] of text.matchAll(TOKEN_RUN)) {
    if (/[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run)) return true
  }
  for (const [run] of text.matchAll(KEY_RUN)) {
    if (/\d/.test(run) && /[a-z]/i.test(run)) return true
  }
  return false
}

/** Keys whose values are always secret, compared without case, `-` or `_`. */
const SECRET_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'cookie',
  'setcookie',
  'password',
  'clientsecret',
  // AWS API Gateway renames an Authorization header it passes on; some servers echo it back.
  'xamznremappedauthorization',
])

const MAX_DEPTH = 32

/** Known secrets, longest first, and separately the parts of the known JWTs among them. */
interface Prepared {
  whole: readonly string[]
  parts: readonly string[]
}

function prepare(secrets: Iterable<string>): Prepared {
  const whole = new Set<string>()
  const parts = new Set<string>()
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue
    whole.add(secret)
    // A known JWT's parts, each on its own: a signature or payload quoted without the rest is still the token's.
    if (secret.includes('.')) {
      for (const part of secret.split('.')) if (part.length >= MIN_PART_LENGTH) parts.add(part)
    }
  }
  // Longest first, so a secret that contains another is removed whole.
  const byLength = (a: string, b: string) => b.length - a.length
  return { whole: [...whole].sort(byLength), parts: [...parts].sort(byLength) }
}

function replaceAll(text: string, values: readonly string[]): string {
  let out = text
  for (const value of values) {
    if (out.includes(value)) out = out.split(value).join(REDACTED)
  }
  return out
}

/**
 * Known tokens whole, then anything JWT-shaped (another token of the same family shares the header part, so
 * parts come after: a JWT with its header removed would no longer look like one), then the parts of known JWTs.
 */
function redactKnown(text: string, prepared: Prepared): string {
  return replaceAll(replaceAll(text, prepared.whole).replace(JWT, REDACTED), prepared.parts)
}

function redactWith(text: string, prepared: Prepared): string {
  return redactKnown(text, prepared).replace(KEYED, redactKeyed).replace(BEARER, redactBearer)
}

/**
 * For the library's own sentences (an AacError's message): removes known secrets by value and anything
 * shaped like a JWT, but applies no key or `Bearer` pattern, which could take a word of the sentence or a
 * `"..."` placeholder for a secret. Outside text quoted in those messages (response bodies, causes) is
 * redacted with {@link redactText} where it is quoted.
 *
 * @example
 * redactOwnText('creds.json has no "access_token": generate a pair', []) // unchanged
 */
export function redactOwnText(text: string, secrets: Iterable<string> = []): string {
  return redactKnown(text, prepare(secrets))
}

/**
 * Replaces every known secret (values of 8 characters or more, and each part of 16 or more of a known JWT),
 * every JWT-shaped string, every `Bearer <x>` credential and `access_token=<x>`-style pairs with `[REDACTED]`.
 * A quoted value after a secret key is redacted unless it is a placeholder (`"..."`); an unquoted one (and the
 * word after `Bearer`) only when it looks like a credential, not a word: `has no "access_token": generate a
 * pair` stays as it is.
 *
 * @example
 * redactText('Authorization: Bearer abc.def', []) // 'Authorization: Bearer [REDACTED]'
 * redactText('token is s3cr3t-value', ['s3cr3t-value']) // 'token is [REDACTED]'
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  return redactWith(text, prepare(secrets))
}

/**
 * A request's path and query as messages and logs show them: {@link redactText} applied, since a query may
 * carry a token.
 *
 * @example
 * redactPath(new URL('https://api.us1.alteryxcloud.com/v4/flows?limit=10'), []) // '/v4/flows?limit=10'
 */
export function redactPath(url: URL, secrets: Iterable<string> = []): string {
  return redactText(url.pathname + url.search, secrets)
}

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''))
}

function copy(value: unknown, prepared: Prepared, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactWith(value, prepared)
  if (typeof value === 'function' || typeof value === 'symbol') return undefined
  if (typeof value !== 'object' || value === null) return value
  if (seen.has(value)) return '[Circular]'
  if (depth >= MAX_DEPTH) return '[Truncated]'
  seen.add(value)
  try {
    if (Array.isArray(value)) return value.map((item) => copy(item, prepared, seen, depth + 1))
    if (value instanceof Date) return value.toISOString()
    if (value instanceof Error) return { name: value.name, message: redactWith(value.message, prepared) }
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        isSecretKey(key) && item !== null && item !== undefined && item !== ''
          ? REDACTED
          : copy(item, prepared, seen, depth + 1)
    }
    return out
  } finally {
    // Only ancestors count as cycles: the same object twice in siblings is copied twice.
    seen.delete(value)
  }
}

/**
 * A redacted deep copy of JSON-like data: values under secret keys (authorization, access_token, refresh_token,
 * accessToken, refreshToken, cookie, set-cookie, password, client_secret… in any case) become `[REDACTED]`,
 * and every string goes through {@link redactText}. The input is not modified; cycles become `[Circular]`.
 *
 * @example
 * redactValue({ access_token: 'eyJ…', user: { name: 'Ann' } }) // { access_token: '[REDACTED]', user: { name: 'Ann' } }
 */
export function redactValue(value: unknown, secrets: Iterable<string> = []): unknown {
  return copy(value, prepare(secrets), new WeakSet(), 0)
}
