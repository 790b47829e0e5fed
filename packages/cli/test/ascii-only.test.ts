// scripts/ascii-only.mjs: the bundle in ASCII only (a single other character makes V8 keep the whole script as
// two bytes a character), its regular expressions matching as before, its source map pointing where it did.
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire, SourceMap } from 'node:module'
import { join } from 'node:path'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { escapeNonAscii } from '../scripts/ascii-only.mjs'
import { useCloud } from './helpers.ts'

const fake = useCloud()

/** Where the generated `needle` maps to in the source, through the map beside `file`. */
async function origin(file: string, needle: string) {
  const lines = (await readFile(file, 'utf8')).split('\n')
  const line = lines.findIndex((text) => text.includes(needle))
  const map = new SourceMap(JSON.parse(await readFile(`${file}.map`, 'utf8')))
  const { originalLine, originalColumn } = map.findEntry(line, lines[line]!.indexOf(needle)) as {
    originalLine: number
    originalColumn: number
  }
  return { originalLine, originalColumn }
}

describe('escapeNonAscii', () => {
  it('escapes what esbuild leaves in regular expressions; they match the same, and the map still points right', async () => {
    const dir = await fake.tempDir()
    const source = join(dir, 'input.ts')
    await writeFile(
      source,
      [
        'export const ellipsis = /^(?:…+|—)$/',
        'export const smile = /^😀$/u',
        "export function after(): Error { return new RangeError('after the expressions') }",
        '',
      ].join('\n'),
    )
    const out = join(dir, 'out.cjs')
    await build({
      entryPoints: [source],
      outfile: out,
      bundle: true,
      format: 'cjs',
      minify: true,
      sourcemap: 'linked',
    })
    expect(await readFile(out, 'utf8')).toMatch(/[\u0080-\uffff]/)
    const before = await origin(out, 'RangeError')
    expect(before).toEqual({ originalLine: 2, originalColumn: expect.any(Number) })

    expect(await escapeNonAscii(out)).toBe(4)
    const text = await readFile(out, 'utf8')
    expect(text).not.toMatch(/[\u0080-\uffff]/)
    expect(await origin(out, 'RangeError')).toEqual(before)
    const loaded = createRequire(import.meta.url)(out) as { ellipsis: RegExp; smile: RegExp }
    expect(['…', '……', '—', '.', '……—'].map((s) => loaded.ellipsis.test(s))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ])
    expect(loaded.smile.test('😀')).toBe(true)
    expect(loaded.smile.test('x')).toBe(false)
    // Nothing left to escape: the file is left as it is.
    expect(await escapeNonAscii(out)).toBe(0)
  })

  it('refuses a character after a backslash, where the escape would mean something else', async () => {
    const file = join(await fake.tempDir(), 'odd.cjs')
    await writeFile(file, 'module.exports = /\\…/\n')
    await expect(escapeNonAscii(file)).rejects.toThrow(/odd\.cjs:1:20: this character cannot be escaped here/)
  })
})
