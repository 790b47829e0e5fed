import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../src/exit-codes.ts'
import { fieldsToBody, fieldsToQuery, parseHeader, rawField, typedField } from '../src/fields.ts'
import { painter, wantsColour } from '../src/io.ts'
import { renderBody, renderJson } from '../src/json.ts'

const plain = (_style: unknown, text: string) => text

describe('fields and headers', () => {
  it('-F types JSON literals and reads @file; -f keeps strings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aac-fields-'))
    await writeFile(join(dir, 'note.txt'), 'from a file\n')
    const typed = await Promise.all(
      [
        'n=28629',
        'x=-1.5e3',
        'yes=true',
        'no=false',
        'nothing=null',
        'word=hello',
        'eq=a=b',
        'note=@note.txt',
        'big=12345678901234567890',
        'huge=1e400',
        'safe=-9007199254740991',
      ].map((arg) => typedField(arg, { cwd: dir, readStdin: async () => 'unused' })),
    )
    expect(Object.fromEntries(typed.map((f) => [f.key, f.value]))).toEqual({
      n: 28629,
      x: -1500,
      yes: true,
      no: false,
      nothing: null,
      word: 'hello',
      eq: 'a=b',
      note: 'from a file\n',
      // As numbers these would become other values: kept exactly, as strings.
      big: '12345678901234567890',
      huge: '1e400',
      safe: -9007199254740991,
    })
    expect(rawField('n=28629')).toEqual({ key: 'n', value: '28629' })
    expect(() => rawField('novalue')).toThrow(/expected key=value/)
    await expect(typedField('x=@missing.txt', { cwd: dir, readStdin: async () => 'unused' })).rejects.toThrow(
      /cannot read missing\.txt/,
    )
    // @- is stdin, read through the command's one reader (which refuses a second reader).
    const fromStdin = await typedField('body=@-', { cwd: dir, readStdin: async (what) => `${what} read` })
    expect(fromStdin).toEqual({ key: 'body', value: '-F body=@- read' })
    await rm(dir, { recursive: true })
  })

  it('builds nested JSON bodies and repeated query parameters', () => {
    const fields = [
      { key: 'wrangledDataset[id]', value: 7 },
      { key: 'overrides[execution]', value: 'photon' },
      { key: 'tags[]', value: 'a' },
      { key: 'tags[]', value: 'b' },
      { key: 'name', value: 'x' },
    ]
    expect(fieldsToBody(fields)).toEqual({
      wrangledDataset: { id: 7 },
      overrides: { execution: 'photon' },
      tags: ['a', 'b'],
      name: 'x',
    })
    expect(() =>
      fieldsToBody([
        { key: 'a', value: 1 },
        { key: 'a[b]', value: 2 },
      ]),
    ).toThrow(/already set/)
    expect(() => fieldsToBody([{ key: 'a]b', value: 1 }])).toThrow(/keys look like/)
    // `key[]` alone: an empty array, kept when other fields append to it.
    expect(rawField('tags[]')).toEqual({ key: 'tags[]', emptyArray: true })
    expect(fieldsToBody([rawField('tags[]'), rawField('a[b][]'), rawField('name=x')])).toEqual({
      tags: [],
      a: { b: [] },
      name: 'x',
    })
    expect(fieldsToBody([rawField('tags[]=x'), rawField('tags[]'), rawField('tags[]=y')])).toEqual({
      tags: ['x', 'y'],
    })
    expect(() => fieldsToBody([rawField('tags=x'), rawField('tags[]')])).toThrow(/not an array/)
    expect(() => fieldsToQuery([rawField('tags[]')])).toThrow(/only be sent in a JSON body/)
    expect(() => rawField('tags')).toThrow(/expected key=value/)
    expect(
      fieldsToQuery([
        { key: 'id', value: 1 },
        { key: 'id', value: 2 },
        { key: 'limit', value: 5 },
      ]),
    ).toEqual({
      id: ['1', '2'],
      limit: '5',
    })
  })

  it("parses 'name: value' headers and refuses to replace the Authorization header", () => {
    expect(parseHeader('Accept:  text/csv ')).toEqual(['Accept', 'text/csv'])
    expect(parseHeader('x-a: b: c')).toEqual(['x-a', 'b: c'])
    expect(() => parseHeader('no colon')).toThrow(/expected 'name: value'/)
    // A header pasted without its colon may be a credential: never repeated in the error.
    const pasted = 'Authorization Bearer eyJhbGciOiJSUzI1NiJ9.secret-part'
    expect(() => parseHeader(pasted)).toThrow(/expected 'name: value'/)
    expect(() => parseHeader(pasted)).not.toThrow(/Bearer|secret-part/)
    expect(() => parseHeader('authorization: Bearer x')).toThrow(/aac sends your access token itself/)
  })

  it('refuses a header value fetch would refuse, as a usage error naming the character, not the value', () => {
    for (const [arg, what, value] of [
      ['X-Token: abc\u200bdef', /a non-ASCII character \(U\+200B\) at character 4/, 'abc'],
      ['X-Note: caf\u00e9', /a non-ASCII character \(U\+00E9\) at character 4/, 'caf'],
      ['X-Note: a\u0007b', /a control character \(U\+0007\) at character 2/, 'a\u0007b'],
    ] as const) {
      expect(() => parseHeader(arg)).toThrow(UsageError)
      expect(() => parseHeader(arg)).toThrow(what)
      expect(() => parseHeader(arg)).not.toThrow(value)
    }
    expect(parseHeader('X-Trace: a b\tc')).toEqual(['X-Trace', 'a b\tc'])
  })
})

describe('output', () => {
  it('renders JSON exactly like JSON.stringify(value, null, 2) when not painting', () => {
    const value = { a: [1, 'two', null, true, { b: [] }, []], c: {}, d: 'quote "x"', e: -0.5, f: undefined }
    expect(renderJson(value, plain)).toBe(JSON.stringify(value, null, 2))
    expect(renderJson([], plain)).toBe('[]')
    expect(renderBody('"Complete"', 'text/plain', plain)).toBe('"Complete"\n')
    expect(renderBody('Complete', 'application/json', plain)).toBe('"Complete"\n')
    expect(renderBody(undefined, 'application/json', plain)).toBe('')
  })

  it('decides colour from FORCE_COLOR, NO_COLOR, TERM and whether the stream is a terminal', () => {
    const tty = { write: () => true, isTTY: true }
    const pipe = { write: () => true, isTTY: false }
    expect(wantsColour(tty, {})).toBe(true)
    expect(wantsColour(pipe, {})).toBe(false)
    expect(wantsColour(tty, { NO_COLOR: '1' })).toBe(false)
    expect(wantsColour(tty, { NO_COLOR: '' })).toBe(true)
    expect(wantsColour(tty, { TERM: 'dumb' })).toBe(false)
    expect(wantsColour(pipe, { FORCE_COLOR: '1' })).toBe(true)
    expect(wantsColour(tty, { FORCE_COLOR: '0' })).toBe(false)
    expect(painter(tty, {})('green', 'x')).toBe('\u001b[32mx\u001b[39m')
    expect(painter(pipe, {})('green', 'x')).toBe('x')
  })
})
