// Which store loadConfig hands out: AAC_STORE, else store.txt beside aac_url.txt, else creds.json; and the
// messages for a setting that names no store. (The keychain itself: storage-keychain.test.ts.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/errors.ts'
import { loadConfig, parseStoreSpec, readStoreSpec, STORE_KINDS } from '../src/fs.ts'
import { keychainLockName } from '../src/storage/keychain.ts'
import { makeJwt } from './tokens.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aac-select-'))
  await writeFile(join(dir, 'aac_url.txt'), 'https://api.eu1.alteryxcloud.com\n')
  await writeFile(join(dir, 'client_id.txt'), 'client-7\n')
  await writeFile(
    join(dir, 'creds.json'),
    JSON.stringify({ access_token: makeJwt(), refresh_token: 'refresh-1' }),
  )
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(ConfigError)
  return error as ConfigError
}

describe('the store setting', () => {
  it('nothing set: creds.json, as before', async () => {
    const loaded = await loadConfig({ dir, env: {} })
    expect(loaded.store).toMatchObject({ kind: 'file', source: 'default' })
    expect(loaded.storage.location).toBe(join(dir, 'creds.json'))
    expect(await loaded.storage.read()).toEqual(loaded.tokens)
  })

  it('AAC_STORE set to nothing counts as unset; "file" in store.txt is creds.json too', async () => {
    expect(await readStoreSpec({ dir, env: { AAC_STORE: '' } })).toMatchObject({
      kind: 'file',
      source: 'default',
    })
    await writeFile(join(dir, 'store.txt'), '# where the token pair lives\nfile\n')
    const loaded = await loadConfig({ dir, env: {} })
    expect(loaded.store).toMatchObject({ kind: 'file', source: join(dir, 'store.txt') })
    expect(loaded.storage.location).toBe(join(dir, 'creds.json'))
  })

  it('store.txt names the keychain (UTF-16 with a BOM, as PowerShell writes it, is read too)', async () => {
    await writeFile(join(dir, 'store.txt'), Buffer.from('\uFEFFkeychain:work\r\n', 'utf16le'))
    expect(await readStoreSpec({ dir, env: {} })).toEqual({
      kind: 'keychain',
      value: 'keychain:work',
      rest: 'work',
      source: join(dir, 'store.txt'),
    })
  })

  it('AAC_STORE wins over store.txt, and the store option over both', async () => {
    await writeFile(join(dir, 'store.txt'), 'keychain:from-file\n')
    expect(await readStoreSpec({ dir, env: { AAC_STORE: 'Keychain' } })).toMatchObject({
      kind: 'keychain',
      rest: '',
      source: 'AAC_STORE',
    })
    expect(await readStoreSpec({ dir, env: { AAC_STORE: 'keychain' }, store: 'file' })).toMatchObject({
      kind: 'file',
      source: 'the store option',
    })
  })

  it('the keychain store of a config is named after its API host and Client ID, its lock in the state folder', async () => {
    const state = join(dir, 'state')
    const { storage } = await import('../src/fs.ts').then(({ selectStore }) =>
      selectStore({
        env: { AAC_STORE: 'keychain', XDG_STATE_HOME: state },
        config: { apiUrl: 'https://api.eu1.alteryxcloud.com', projectId: 'client-7', region: 'eu1' },
        credsPath: join(dir, 'creds.json'),
      }),
    )
    expect(storage.location).toBe('keychain entry "aac" › "api.eu1.alteryxcloud.com/client-7"')
    expect((storage as { lockPath?: string }).lockPath).toBe(
      join(state, 'aac', keychainLockName('aac', 'api.eu1.alteryxcloud.com/client-7')),
    )
  })
})

describe('a setting that names no store', () => {
  it('AAC_STORE: a ConfigError naming the variable and every accepted value', async () => {
    const error = await rejection(loadConfig({ dir, env: { AAC_STORE: 'vault' } }))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.file).toBe('AAC_STORE')
    expect(error.message).toContain('AAC_STORE is set to "vault", but it names no token store')
    for (const kind of Object.values(STORE_KINDS)) expect(error.message).toContain(kind.usage)
  })

  it('store.txt: a ConfigError naming the file, and how to go back to creds.json', async () => {
    await writeFile(join(dir, 'store.txt'), 'keyring\n')
    const error = await rejection(loadConfig({ dir, env: {} }))
    expect(error.file).toBe(join(dir, 'store.txt'))
    expect(error.message).toContain(`${join(dir, 'store.txt')} says "keyring", but it names no token store`)
    expect(error.message).toContain('delete it to keep the pair in creds.json')
  })

  it('an empty store.txt, or one with two settings, is refused', async () => {
    await writeFile(join(dir, 'store.txt'), '\n# nothing\n')
    expect((await rejection(readStoreSpec({ dir, env: {} }))).message).toMatch(
      /store\.txt is empty: .*one line/,
    )
    await writeFile(join(dir, 'store.txt'), 'file\nkeychain\n')
    expect((await rejection(readStoreSpec({ dir, env: {} }))).message).toMatch(/store\.txt holds 2 settings/)
  })

  it('AAC_STORE set to blanks is refused, not taken for unset', async () => {
    const error = await rejection(readStoreSpec({ dir, env: { AAC_STORE: '  ' } }))
    expect(error.message).toMatch(/AAC_STORE is set to " {2}", only whitespace/)
  })

  it('file takes no name, and a keychain name must be one line', async () => {
    await expect(loadConfig({ dir, env: { AAC_STORE: 'file:/tmp/x.json' } })).rejects.toThrow(
      /file takes no name/,
    )
    await expect(loadConfig({ dir, env: { AAC_STORE: 'keychain:a\tb' } })).rejects.toThrow(
      /an account name is 1 to 200 characters on one line/,
    )
  })

  it('a password in a URL setting is never shown', () => {
    let message = ''
    try {
      parseStoreSpec('vault://admin:hunter2@db.example:5432/x', 'AAC_STORE')
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain('"vault://***@db.example:5432/x"')
    expect(message).not.toContain('hunter2')
  })
})
