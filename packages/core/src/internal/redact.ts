/**
 * Redaction for anything that may end up in an error, a log line or a terminal: API response bodies, request
 * paths, causes. Tokens are removed by value (the ones we know), by shape (JWTs, `Bearer …`) and by key.
 */

export const REDACTED = '[REDACTED]'

/** Shorter values would also match ordinary words and numbers in the text. */
const MIN_SECRET_LENGTH = 8

// A JWT: base64url header (JSON, so `eyJ`), payload and a signature that may be empty.
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g
const BEARER = /\b(Bearer)\s+(?!\[REDACTED\])[A-Za-z0-9._~+/=-]+/gi
// `access_token=…` in form bodies and `"refresh_token": "…"` in JSON text (also JSON inside a JSON string).
const KEYED =
  /\b(access_?token|refresh_?token|id_?token|client_?secret|password)(\\?["']?\s*[:=]\s*\\?["']?)(?!null\b|\[REDACTED\])[^\s"'&,;}\\]+/gi

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
])

const MAX_DEPTH = 32

function prepare(secrets: Iterable<string>): string[] {
  const unique = new Set<string>()
  for (const secret of secrets) {
    if (typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH) unique.add(secret)
  }
  // Longest first, so a secret that contains another is removed whole.
  return [...unique].sort((a, b) => b.length - a.length)
}

function redactWith(text: string, prepared: readonly string[]): string {
  let out = text
  for (const secret of prepared) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED)
  }
  return out.replace(KEYED, `$1$2${REDACTED}`).replace(JWT, REDACTED).replace(BEARER, `$1 ${REDACTED}`)
}

/**
 * Replaces every known secret (values of 8 characters or more), every JWT-shaped string, every `Bearer <x>`
 * credential and `access_token=<x>`-style pairs with `[REDACTED]`.
 *
 * @example
 * redactText('Authorization: Bearer abc.def', []) // 'Authorization: Bearer [REDACTED]'
 * redactText('token is s3cr3t-value', ['s3cr3t-value']) // 'token is [REDACTED]'
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  return redactWith(text, prepare(secrets))
}

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''))
}

function copy(value: unknown, prepared: readonly string[], seen: WeakSet<object>, depth: number): unknown {
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
