// What `aac creds move` leaves in creds.json (the placeholders and a note of where the pair went) is recognised
// by the pair codec, the file store and loadConfig: an error that names the store to look in, not the generic
// "still holds the placeholder tokens".
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/errors.ts'
import { loadConfig } from '../src/fs.ts'
import { fileStorage } from '../src/storage/file.ts'
import { decodePairText, pairMovedTo } from '../src/storage/pair-codec.ts'

const moved = (to: unknown, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify(
    {
      access_token: 'Your access token here',
      refresh_token: 'Your refresh token here',
      aac: { moved_to: to },
      ...extra,
    },
    null,
    2,
  )}\n`

describe('the moved note', () => {
  it('is read from the "aac" value beside the placeholders', () => {
    expect(pairMovedTo(JSON.parse(moved('keychain')))).toBe('keychain')
    expect(pairMovedTo(JSON.parse(moved(' keychain:work ')))).toBe('keychain:work')
    expect(pairMovedTo({ access_token: 'x', aac: {} })).toBeUndefined()
    expect(pairMovedTo({ aac: 'keychain' })).toBeUndefined()
    expect(pairMovedTo([])).toBeUndefined()
  })

  it('is never quoted when it is blank, several lines, or shaped like a token', () => {
    expect(pairMovedTo(JSON.parse(moved('')))).toBeUndefined()
    expect(pairMovedTo(JSON.parse(moved('keychain\nfile')))).toBeUndefined()
    expect(pairMovedTo(JSON.parse(moved('kNTtZ9s4n2Ok3VQiXwWc6tHfGkb0gPx1')))).toBeUndefined()
    expect(pairMovedTo(JSON.parse(moved('x'.repeat(201))))).toBeUndefined()
  })

  it('turns the placeholder problem into "moved", naming the store and both settings that find it', () => {
    const read = decodePairText(moved('keychain'), { where: '/home/me/aac/creds.json' })
    expect(read.ok).toBe(false)
    if (read.ok) return
    expect(read.problem.kind).toBe('moved')
    expect(read.problem.message).toBe(
      '/home/me/aac/creds.json holds no token pair: it was moved to keychain (aac creds move). Point every program there: set AAC_STORE=keychain, or put keychain in store.txt in the config folder; or move it back with `aac creds move --to file`.',
    )
  })

  it('without a note (or with one that cannot be shown), the placeholders are what they always were', () => {
    for (const text of [moved(42), moved('kNTtZ9s4n2Ok3VQiXwWc6tHfGkb0gPx1'), moved(undefined)]) {
      const read = decodePairText(text, { where: 'creds.json' })
      expect(read.ok ? undefined : read.problem.kind).toBe('placeholder')
      expect(read.ok ? '' : read.problem.message).not.toContain('kNTtZ9')
    }
  })

  it('a note beside real tokens is ignored: the pair is read as usual', () => {
    const read = decodePairText(
      JSON.stringify({ access_token: 'a.b.c', refresh_token: 'r', aac: { moved_to: 'keychain' } }),
      {
        where: 'creds.json',
      },
    )
    expect(read.ok).toBe(true)
  })
})

describe('creds.json holding the note', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aac-moved-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('the file store: a ConfigError naming the file and the store, the file left as it was', async () => {
    const path = join(dir, 'creds.json')
    const text = moved('keychain:work', { kept: true })
    await writeFile(path, text)
    const storage = fileStorage({ path })
    for (const read of [() => storage.read(), () => storage.withLock(() => storage.read())]) {
      const error = await read().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(ConfigError)
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' })
      expect((error as Error).message).toMatch(
        new RegExp(
          `^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} holds no token pair: it was moved to keychain:work .*AAC_STORE=keychain:work.*store\\.txt`,
        ),
      )
    }
    expect(await readFile(path, 'utf8')).toBe(text)
  })

  it('loadConfig on the default store: the same ConfigError', async () => {
    await writeFile(join(dir, 'aac_url.txt'), 'https://api.us1.alteryxcloud.com\n')
    await writeFile(join(dir, 'client_id.txt'), 'project-1\n')
    await writeFile(join(dir, 'creds.json'), moved('keychain'))
    await expect(loadConfig({ dir, env: {} })).rejects.toThrow(
      /it was moved to keychain .*AAC_STORE=keychain/,
    )
  })
})
