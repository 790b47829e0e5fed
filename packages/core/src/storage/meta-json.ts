/**
 * {@link PairMeta} as stores keep it beside the pair: one `"aac"` value in snake_case, the style of the pair's own
 * keys. creds.json and the browser store both use it, so a pair moved between them keeps what it says.
 *
 *     {"access_token": "...", "refresh_token": "...",
 *      "aac": {"clock_offset_ms": -600000,
 *              "refresh": {"at": "...", "program": "...", "pid": 1, "host": "...", "state": "sent",
 *                          "detail": "...", "token_id": "..."}}}
 *
 * Web APIs only: the universal entry uses it.
 */

import type { PairMeta, RefreshRecord } from './types.ts'

/** The key beside `access_token` and `refresh_token` that holds the metadata. */
export const META_KEY = 'aac'

const STATES: ReadonlySet<string> = new Set(['sent', 'uncertain', 'spent'])

/**
 * The JSON value to store under {@link META_KEY}, or undefined when there is nothing worth keeping (then the key
 * must be removed). Fields of the wrong type are dropped, never stored.
 *
 * @example
 * metaToJson({ clockOffsetMs: -600000 }) // { clock_offset_ms: -600000 }
 * metaToJson({}) // undefined
 */
export function metaToJson(meta: PairMeta | undefined): Record<string, unknown> | undefined {
  const clean = normalizeMeta(meta)
  if (!clean) return undefined
  const { clockOffsetMs, refresh } = clean
  // The record's fields in the same order, only `tokenId` renamed.
  const { tokenId, ...record } = refresh ?? { tokenId: undefined }
  return {
    ...(clockOffsetMs !== undefined && { clock_offset_ms: clockOffsetMs }),
    ...(refresh && { refresh: { ...record, token_id: tokenId } }),
  }
}

/**
 * Reads a stored {@link META_KEY} value. Whatever is malformed is ignored, never fatal: the metadata only helps
 * (a refresh record with a bad field is dropped whole, a bad clock offset alone). Undefined when nothing is left.
 *
 * @example
 * metaFromJson({ clock_offset_ms: 1500 }) // { clockOffsetMs: 1500 }
 * metaFromJson('garbage') // undefined
 */
export function metaFromJson(value: unknown): PairMeta | undefined {
  if (!isObject(value)) return undefined
  const raw = value['refresh']
  return normalizeMeta({
    clockOffsetMs: value['clock_offset_ms'] as number | undefined,
    // normalizeRecord takes the known fields and checks each.
    refresh: isObject(raw) ? ({ ...raw, tokenId: raw['token_id'] } as unknown as RefreshRecord) : undefined,
  })
}

/**
 * A plain copy of `meta` holding only well-formed fields, or undefined when none is left: what every store
 * returns from `read` after a `write` of `meta`, so that they all behave alike.
 */
export function normalizeMeta(meta: PairMeta | undefined): PairMeta | undefined {
  if (!isObject(meta)) return undefined
  const offset = meta.clockOffsetMs
  const clockOffsetMs = typeof offset === 'number' && Number.isFinite(offset) ? offset : undefined
  const record: unknown = meta.refresh
  const refresh = isObject(record) ? normalizeRecord(record as unknown as RefreshRecord) : undefined
  if (clockOffsetMs === undefined && refresh === undefined) return undefined
  return {
    ...(clockOffsetMs !== undefined && { clockOffsetMs }),
    ...(refresh !== undefined && { refresh }),
  }
}

function normalizeRecord(record: RefreshRecord): RefreshRecord | undefined {
  const { at, program, pid, host, state, detail, tokenId } = record
  if (typeof at !== 'string' || typeof program !== 'string' || typeof tokenId !== 'string') return undefined
  if (typeof state !== 'string' || !STATES.has(state)) return undefined
  return {
    at,
    program,
    ...(typeof pid === 'number' && Number.isSafeInteger(pid) && { pid }),
    ...(typeof host === 'string' && { host }),
    state,
    ...(typeof detail === 'string' && { detail }),
    tokenId,
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
