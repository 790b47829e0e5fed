/**
 * `aac api` arguments: `-f key=value` (a string), `-F key=value` (typed: numbers, true, false, null,
 * `@file`, `@-` for stdin), nested keys `a[b]=1`, `list[]=x` and `list[]` (an empty array) for JSON bodies,
 * and `-H 'name: value'` headers. Same conventions as `gh api`.
 */

import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Query } from '@aac/core'
import { UsageError } from './exit-codes.ts'

/** `key=value`, or `key[]` alone: an empty array (gh's syntax), which only a JSON body can carry. */
export type Field =
  | { key: string; value: string | number | boolean | null; emptyArray?: undefined }
  | { key: string; value?: undefined; emptyArray: true }

/** Splits `key=value`; the value may itself contain `=`. `key[]` without a value is an empty array. */
function split(arg: string, flag: string): [string, string] | Field {
  const at = arg.indexOf('=')
  if (at < 0 && /^[^[\]]+(?:\[[^[\]]*\])*\[\]$/.test(arg)) return { key: arg, emptyArray: true }
  if (at <= 0) {
    throw new UsageError(
      `${flag} ${arg}: expected key=value, like ${flag} limit=100 (or key[] for an empty array)`,
    )
  }
  return [arg.slice(0, at), arg.slice(at + 1)]
}

export function rawField(arg: string): Field {
  const parts = split(arg, '-f')
  if (!Array.isArray(parts)) return parts
  const [key, value] = parts
  return { key, value }
}

/** Where `-F key=@file` and `key=@-` read from. */
export interface FieldSources {
  cwd: string
  /** The whole of stdin as text, for `@-`; it can be read once only. */
  readStdin(what: string): Promise<string>
}

/**
 * `-F`: JSON literals (numbers, true, false, null) become themselves; `@path` is the file's text and `@-` all of
 * stdin. An integer beyond 2^53 stays a string: as a number it would silently become another id.
 */
export async function typedField(arg: string, sources: FieldSources): Promise<Field> {
  const parts = split(arg, '-F')
  if (!Array.isArray(parts)) return parts
  const [key, text] = parts
  if (text === '@-') return { key, value: await sources.readStdin(`-F ${key}=@-`) }
  if (text === 'true' || text === 'false') return { key, value: text === 'true' }
  if (text === 'null') return { key, value: null }
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
    const number = Number(text)
    const integer = /^-?\d+$/.test(text)
    if (Number.isFinite(number) && (!integer || Number.isSafeInteger(number))) return { key, value: number }
    return { key, value: text }
  }
  if (text.startsWith('@')) {
    const path = text.slice(1)
    try {
      return { key, value: await readFile(resolve(sources.cwd, path), 'utf8') }
    } catch (error) {
      throw new UsageError(
        `-F ${key}=@${path}: cannot read ${path} (${(error as { code?: string }).code ?? error})`,
      )
    }
  }
  return { key, value: text }
}

/** For GET: every field a query parameter, repeated keys repeated. */
export function fieldsToQuery(fields: readonly Field[]): Query {
  const query: Record<string, string[]> = {}
  for (const field of fields) {
    if (field.emptyArray) {
      throw new UsageError(
        `${field.key}: an empty array can only be sent in a JSON body: add -X POST, PUT or PATCH, or drop it`,
      )
    }
    query[field.key] = [...(query[field.key] ?? []), String(field.value)]
  }
  return Object.fromEntries(
    Object.entries(query).map(([key, values]) => [key, values.length === 1 ? values[0] : values]),
  )
}

/** For writes: a JSON object; `a[b]=1` nests, `tags[]=x` appends, `tags[]` alone makes sure the array exists. */
export function fieldsToBody(fields: readonly Field[]): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const field of fields) {
    const { key } = field
    // `tags[]` alone: the array itself is the value set (or kept, if earlier fields filled it).
    const path = field.emptyArray ? parseKey(key).slice(0, -1) : parseKey(key)
    const value = field.emptyArray ? [] : field.value
    let target: Record<string, unknown> | unknown[] = body
    for (let i = 0; i < path.length; i++) {
      const part = path[i]!
      const last = i === path.length - 1
      const nextIsArray = !last && path[i + 1] === ''
      if (Array.isArray(target)) {
        if (part !== '') throw new UsageError(`-f ${key}: "[]" can only be followed by "[]" or end the key`)
        if (last) target.push(value)
        else {
          const child: Record<string, unknown> | unknown[] = nextIsArray ? [] : {}
          target.push(child)
          target = child
        }
        continue
      }
      if (last) {
        if (!field.emptyArray) target[part] = value
        else if (target[part] === undefined) target[part] = value
        else if (!Array.isArray(target[part])) {
          throw new UsageError(`-f ${key}: "${part}" is already set to a value that is not an array`)
        }
        break
      }
      const existing: unknown = target[part]
      const fits = nextIsArray ? Array.isArray(existing) : isObject(existing)
      if (existing !== undefined && !fits) {
        throw new UsageError(`-f ${key}: "${part}" is already set to a value of another kind`)
      }
      const child: Record<string, unknown> | unknown[] =
        (existing as Record<string, unknown> | unknown[] | undefined) ?? (nextIsArray ? [] : {})
      target[part] = child
      target = child
    }
  }
  return body
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `a[b][]` → ['a', 'b', '']. */
function parseKey(key: string): string[] {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key)
  if (!match) throw new UsageError(`-f ${key}: keys look like name, name[sub] or name[]`)
  const parts = [match[1]!]
  for (const [, inner] of match[2]!.matchAll(/\[([^[\]]*)\]/g)) parts.push(inner!)
  return parts
}

/**
 * `-H 'name: value'`. Authorization is the managed token's: refuse to let a header replace it. Errors never
 * repeat the argument: a header pasted without its colon (`Authorization Bearer eyJ…`) may be a credential.
 */
export function parseHeader(arg: string): [string, string] {
  const at = arg.indexOf(':')
  const name = at > 0 ? arg.slice(0, at).trim() : ''
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(
      `-H: expected 'name: value' with a colon after a header name, like -H 'Accept: text/csv' (the argument is not shown: it may hold a secret)`,
    )
  }
  if (name.toLowerCase() === 'authorization') {
    throw new UsageError(
      '-H Authorization: aac sends your access token itself (from creds.json); drop this header.',
    )
  }
  const value = arg.slice(at + 1).trim()
  // fetch refuses such a value when the request is sent, which would read as a network failure and be retried.
  const bad = [...value].findIndex((char) => !/^[\x20-\x7e\t]$/.test(char))
  if (bad >= 0) {
    const char = [...value][bad]!
    const code = char.codePointAt(0)!
    const what =
      code < 0x20 || code === 0x7f
        ? `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`
        : `a non-ASCII character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`
    throw new UsageError(
      `-H ${name}: the value holds ${what} at character ${bad + 1}, which a header cannot carry: use plain ASCII (the value is not shown: it may hold a secret)`,
    )
  }
  return [name, value]
}
