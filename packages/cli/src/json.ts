/**
 * JSON for people and for pipes: indented like `JSON.stringify(value, null, 2)` either way, coloured like jq
 * on a terminal (keys blue, strings green, null grey).
 */

import type { Paint } from './io.ts'

/** Indented JSON, painted when `paint` paints; without colour it equals `JSON.stringify(value, null, 2)`. */
export function renderJson(value: unknown, paint: Paint): string {
  return render(value, '', paint)
}

/**
 * The same, as it reads nested `indent` deep: how `aac api --paginate --slurp` prints one item of the array
 * it streams, so that the whole equals `renderJson(items)`.
 */
export function renderJsonAt(value: unknown, indent: string, paint: Paint): string {
  return render(value, indent, paint)
}

function render(value: unknown, indent: string, paint: Paint): string {
  if (value === null) return paint('gray', 'null')
  if (typeof value === 'string') return paint('green', JSON.stringify(value))
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value)
  if (typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    // Like JSON.stringify: undefined and functions in arrays become null.
    const items = value.map((item) => inner + render(item === undefined ? null : item, inner, paint))
    return `[\n${items.join(',\n')}\n${indent}]`
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
  if (entries.length === 0) return '{}'
  const lines = entries.map(
    ([key, item]) => `${inner}${paint(['blue', 'bold'], JSON.stringify(key))}: ${render(item, inner, paint)}`,
  )
  return `{\n${lines.join(',\n')}\n${indent}}`
}

/**
 * A response body as the user expects to see it: JSON rendered, text as it came (with a final newline),
 * nothing for an empty body.
 */
export function renderBody(data: unknown, contentType: string | null, paint: Paint): string {
  if (data === undefined) return ''
  const json = /[/+]json\b/i.test(contentType ?? '') || typeof data !== 'string'
  if (!json) return (data as string).endsWith('\n') ? (data as string) : `${data}\n`
  return `${renderJson(data, paint)}\n`
}
