// The pair's metadata as the page sends it over the bridge (see StoredTokens.meta in @aac/core): what the next
// program needs to know about a refresh left in flight, and the token server's clock offset. The page is
// trusted to say true things, not to send well-formed ones: whatever is malformed is dropped (the metadata only
// ever helps, and the pair beside it is fine), and nothing that could be a token, or a large value, is passed
// on to creds.json, which Alteryx's own scripts and people read.
import type { PairMeta, RefreshRecord } from '@aac/core'
import { isTokenShaped } from '@aac/core/diagnostics'
import { decodeMeta } from '@aac/core/storage/pair-codec'

export type { PairMeta }

/** A clock further off than this is not a clock offset. */
const MAX_CLOCK_OFFSET_MS = 366 * 24 * 60 * 60 * 1000
/** The token manager's token id: the first 16 hex digits of a SHA-256 (a little room either way). */
const TOKEN_ID = /^[0-9a-f]{8,32}$/
/** An ISO 8601 time as `Date.prototype.toISOString` writes it (extended years and offsets allowed). */
const ISO_TIME = /^[+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)$/

/** Longest text kept in each free-text field: a program name, a host name, a reason like `HTTP 502`. */
const MAX_CHARS = { program: 120, host: 253, detail: 300 } as const

/**
 * The well-formed part of `value` as {@link PairMeta}, or undefined when nothing is left. The shape is the pair
 * codec's (as every store keeps it: fields of the wrong type dropped, a refresh record with a bad `at`,
 * `program`, `state` or `tokenId` dropped whole); on top of it, what a page is not trusted with: an `at` that is
 * no ISO time, a token id of another form, a clock offset of more than a year, and any text that is too long,
 * holds control characters, looks like a token or contains a piece of one of `tokens` (dropped too, the record
 * whole when it is its `program`).
 *
 * @example
 * pairMetaOf({ clockOffsetMs: 1500, extra: 'x' }, pair) // { clockOffsetMs: 1500 }
 * pairMetaOf({ refresh: { ...record, detail: 'eyJhbGciOi…' } }, pair) // the record without its detail
 */
export function pairMetaOf(value: unknown, tokens: readonly string[] = []): PairMeta | undefined {
  const meta = decodeMeta(value, 'wire')
  if (!meta) return undefined
  const offset = meta.clockOffsetMs
  const clockOffsetMs = offset !== undefined && Math.abs(offset) <= MAX_CLOCK_OFFSET_MS ? offset : undefined
  const refresh = meta.refresh && recordOf(meta.refresh, tokens)
  if (clockOffsetMs === undefined && refresh === undefined) return undefined
  return {
    ...(clockOffsetMs !== undefined && { clockOffsetMs }),
    ...(refresh !== undefined && { refresh }),
  }
}

function recordOf(record: RefreshRecord, tokens: readonly string[]): RefreshRecord | undefined {
  const { at, program, pid, host, state, detail, tokenId } = record
  const text = (field: unknown, max: number) => safeText(field, max, tokens)
  if (!ISO_TIME.test(at) || Number.isNaN(Date.parse(at))) return undefined
  const name = text(program, MAX_CHARS.program)
  if (name === undefined) return undefined
  if (!TOKEN_ID.test(tokenId)) return undefined
  const hostName = text(host, MAX_CHARS.host)
  const reason = text(detail, MAX_CHARS.detail)
  return {
    at,
    program: name,
    ...(pid !== undefined && pid > 0 && { pid }),
    ...(hostName !== undefined && { host: hostName }),
    state,
    ...(reason !== undefined && { detail: reason }),
    tokenId,
  }
}

/** `value` if it is a short, printable, non-empty text that holds no token; else undefined. */
function safeText(value: unknown, max: number, tokens: readonly string[]): string | undefined {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) return undefined
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value)) return undefined
  if (isTokenShaped(value)) return undefined
  // A token cut short or wrapped in words is still a token.
  for (const token of tokens) {
    if (token.length >= 12 && value.includes(token.slice(0, 12))) return undefined
    if (token.length >= 12 && value.includes(token.slice(-12))) return undefined
  }
  return value
}
