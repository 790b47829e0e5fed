// The bundle in ASCII only. V8 keeps a script that holds a single other character as two bytes a character, and
// reading it and checking it against the code cache then cost each `aac` run about half a ms more. esbuild
// escapes such characters everywhere but in regular expression literals (where the escape would change the
// expression's `source`) and comments; in both, `\uXXXX` means the same character. Plain JavaScript, run by
// scripts/bundle.mjs.

import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
/** `\uXXXX` is six characters where there was one: what follows on the line moves right by five. */
const WIDENING = 5

/**
 * Writes every character of the JavaScript file `file` outside ASCII as `\uXXXX` (each UTF-16 unit, so a pair
 * for a character beyond U+FFFF, which a regular expression matches with or without its `u` flag), and moves
 * the columns of its source map (`file`.map, when there is one) to match. A character written after a backslash,
 * or a line separator, fails the build: the escape would not mean the same there. Resolves to how many
 * characters were escaped.
 *
 * @example
 * await escapeNonAscii('dist/main.cjs') // 1: the … in a regular expression
 */
export async function escapeNonAscii(file) {
  const lines = (await readFile(file, 'utf8')).split('\n')
  /** The columns, on each line that has any, of the characters escaped. */
  const escaped = new Map()
  const ascii = lines.map((line, index) =>
    line.replace(/[\u0080-\uffff]/g, (char, column) => {
      const where = `${file}:${index + 1}:${column + 1}`
      if (char === '\u2028' || char === '\u2029' || line[column - 1] === '\\')
        throw new Error(
          `${where}: this character cannot be escaped here; write it as an escape in the source`,
        )
      escaped.set(index, [...(escaped.get(index) ?? []), column])
      return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
    }),
  )
  if (escaped.size === 0) return 0
  await writeFile(file, ascii.join('\n'))
  const mapFile = `${file}.map`
  if (existsSync(mapFile)) {
    const map = JSON.parse(await readFile(mapFile, 'utf8'))
    map.mappings = moveColumns(map.mappings, escaped)
    await writeFile(mapFile, JSON.stringify(map))
  }
  return [...escaped.values()].reduce((sum, columns) => sum + columns.length, 0)
}

/**
 * Source map `mappings` with the generated column of each segment moved right by five for every escaped
 * character before it on its line. Only a segment's first field is the generated column, relative to the
 * segment before it on the same line; the other fields are left as they are.
 */
function moveColumns(mappings, escaped) {
  return mappings
    .split(';')
    .map((line, index) => {
      const columns = escaped.get(index)
      if (!columns || line === '') return line
      let column = 0
      let previous = 0
      return line
        .split(',')
        .map((segment) => {
          const [delta, length] = decodeVlq(segment)
          column += delta
          const moved = column + WIDENING * columns.filter((escapedAt) => escapedAt < column).length
          const text = encodeVlq(moved - previous) + segment.slice(length)
          previous = moved
          return text
        })
        .join(',')
    })
    .join(';')
}

/** The first base64 VLQ number of `text`, and how many characters it takes. */
function decodeVlq(text) {
  let value = 0
  let shift = 0
  let index = 0
  for (;;) {
    const digit = BASE64.indexOf(text[index++])
    if (digit < 0) throw new Error(`not a source map segment: ${text}`)
    value += (digit & 31) * 2 ** shift
    if ((digit & 32) === 0) break
    shift += 5
  }
  return [value % 2 === 1 ? -(value - 1) / 2 : value / 2, index]
}

function encodeVlq(number) {
  let value = number < 0 ? -number * 2 + 1 : number * 2
  let text = ''
  do {
    let digit = value % 32
    value = Math.floor(value / 32)
    if (value > 0) digit += 32
    text += BASE64[digit]
  } while (value > 0)
  return text
}
