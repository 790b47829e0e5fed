import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { findConfigDir, loadApiUrl, loadConfig, loadCreds, loadProjectId, readTextFile } from '../src/fs.ts'
import { makeJwt } from './tokens.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aac-load-config-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

type Encoding = 'utf8' | 'utf8-bom' | 'utf16le' | 'utf16be'

/** The bytes Windows tools write: Notepad (UTF-8 with BOM), PowerShell 5's `>` (UTF-16 LE with BOM)… */
function encode(text: string, encoding: Encoding): Buffer {
  switch (encoding) {
    case 'utf8':
      return Buffer.from(text, 'utf8')
    case 'utf8-bom':
      return Buffer.from(`\uFEFF${text}`, 'utf8')
    case 'utf16le':
      return Buffer.from(`\uFEFF${text}`, 'utf16le')
    case 'utf16be':
      return Buffer.from(`\uFEFF${text}`, 'utf16le').swap16()
  }
}

const accessToken = makeJwt({ iss: 'https://pingauth.alteryxcloud.com/as' })
const files = {
  'aac_url.txt': 'https://api.us1.alteryxcloud.com\r\n',
  'client_id.txt': 'my-client-id\r\n',
  'creds.json': `{"access_token": "${accessToken}", "refresh_token": "refresh-1"}\r\n`,
}

async function writeConfig(encoding: Encoding): Promise<void> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), encode(text, encoding))
}

describe('loadConfig', () => {
  for (const encoding of ['utf8', 'utf8-bom', 'utf16le', 'utf16be'] as const) {
    it(`reads the three files saved as ${encoding}`, async () => {
      await writeConfig(encoding)
      const loaded = await loadConfig({ dir, env: {} })
      expect(loaded.config).toMatchObject({
        apiUrl: 'https://api.us1.alteryxcloud.com',
        region: 'us1',
        projectId: 'my-client-id',
      })
      expect(loaded.tokens).toEqual({ accessToken, refreshToken: 'refresh-1' })
      // The storage it hands out reads the same file the same way.
      expect(await loaded.storage.read()).toEqual(loaded.tokens)
    })
  }

  it('its storage names the region’s page when creds.json later holds a token endpoint error answer', async () => {
    await writeConfig('utf8')
    await writeFile(join(dir, 'aac_url.txt'), 'https://api.eu1.alteryxcloud.com\n')
    const loaded = await loadConfig({ dir, env: {} })
    await writeFile(join(dir, 'creds.json'), '{"error": "invalid_grant", "error_description": "revoked"}')
    await expect(loaded.storage.read()).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(
        /error answer \("error": "invalid_grant"\).*https:\/\/eu1\.alteryxcloud\.com\//,
      ),
    })
  })

  it('takes api_project_id.txt when client_id.txt is blank, in any encoding', async () => {
    await writeConfig('utf8')
    await writeFile(join(dir, 'client_id.txt'), encode('\r\n', 'utf16le'))
    await writeFile(join(dir, 'api_project_id.txt'), encode('other-id\r\n', 'utf16le'))
    expect((await loadConfig({ dir, env: {} })).config.projectId).toBe('other-id')
    expect(await loadProjectId(dir)).toEqual({ path: join(dir, 'api_project_id.txt'), projectId: 'other-id' })
  })

  it('names the missing file and how to make it, with the region’s page', async () => {
    await expect(loadConfig({ dir, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_MISSING',
      file: join(dir, 'aac_url.txt'),
      message: expect.stringContaining('not found: create it with your API URL'),
    })
    await writeFile(join(dir, 'aac_url.txt'), 'https://api.eu1.alteryxcloud.com\n')
    await expect(loadConfig({ dir, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_MISSING',
      file: join(dir, 'client_id.txt'),
      message: expect.stringContaining('https://eu1.alteryxcloud.com/'),
    })
    await expect(loadCreds(join(dir, 'creds.json'), 'eu1')).rejects.toMatchObject({
      code: 'CONFIG_MISSING',
      message: expect.stringMatching(/creds\.json not found: generate a token pair at https:\/\/eu1\./),
    })
  })
})

const posix = process.platform !== 'win32'
const hasMkfifo = posix && spawnSync('mkfifo', ['--version']).status === 0

describe('files that are not what they should be: each says what it is and what to do', () => {
  it.runIf(hasMkfifo)('a FIFO at any of the three names is refused at once, never opened', async () => {
    for (const name of Object.keys(files)) {
      await writeConfig('utf8')
      await rm(join(dir, name))
      execFileSync('mkfifo', [join(dir, name)])
      const started = Date.now()
      await expect(loadConfig({ dir, env: {} })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        file: join(dir, name),
        message: expect.stringContaining(`${join(dir, name)} is a FIFO (named pipe), not a regular file`),
      })
      expect(Date.now() - started).toBeLessThan(2_000)
      await rm(join(dir, name))
    }
  })

  it('a folder where a file should be: "is a folder", not "check its permissions"', async () => {
    await writeConfig('utf8')
    await rm(join(dir, 'client_id.txt'))
    await mkdir(join(dir, 'client_id.txt'))
    const error = await loadProjectId(dir).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', file: join(dir, 'client_id.txt') })
    expect((error as Error).message).toMatch(/client_id\.txt is a folder, not a file .*Remove the folder/)
    expect((error as Error).message).not.toContain('permissions')
  })

  it.runIf(posix)('a symbolic link loop is called a loop', async () => {
    await symlink(join(dir, 'other.txt'), join(dir, 'aac_url.txt'))
    await symlink(join(dir, 'aac_url.txt'), join(dir, 'other.txt'))
    const error = await loadApiUrl(dir).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', file: join(dir, 'aac_url.txt') })
    expect((error as Error).message).toMatch(
      /aac_url\.txt is a symbolic link that leads round in a loop \(ELOOP/,
    )
  })

  it.runIf(posix)('a dangling creds.json link names the link and where it points', async () => {
    const target = join(dir, 'elsewhere', 'creds.json')
    await symlink(target, join(dir, 'creds.json'))
    await expect(loadCreds(join(dir, 'creds.json'))).rejects.toMatchObject({
      code: 'CONFIG_MISSING',
      file: join(dir, 'creds.json'),
      message: expect.stringContaining(
        `${join(dir, 'creds.json')} is a symbolic link to ${target}, which does not exist`,
      ),
    })
  })

  it('a 50 MB client_id.txt is refused by its size, unread', async () => {
    const path = join(dir, 'client_id.txt')
    const handle = await open(path, 'w')
    await handle.truncate(50 * 1024 * 1024)
    await handle.close()
    const error = await loadProjectId(dir).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', file: path })
    expect((error as Error).message).toContain(
      `${path} is 50 MiB, far more than the 64 KiB this file can hold`,
    )
    await expect(readTextFile(path, { maxBytes: 1024 })).rejects.toMatchObject({ code: 'EFBIG' })
  })

  it('AAC_CONFIG_DIR set to whitespace is an error naming the variable, not silently ignored', async () => {
    await writeConfig('utf8')
    for (const value of [' ', '\t', ' \r\n']) {
      await expect(findConfigDir(dir, { AAC_CONFIG_DIR: value })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        file: 'AAC_CONFIG_DIR',
        message: expect.stringContaining(
          `AAC_CONFIG_DIR is set to ${JSON.stringify(value)}, only whitespace`,
        ),
      })
    }
    // Empty is unset, as shells treat it.
    expect(await findConfigDir(dir, { AAC_CONFIG_DIR: '' })).toBe(dir)
  })
})

describe('readTextFile', () => {
  it('drops the BOM and decodes UTF-16 in both byte orders', async () => {
    const path = join(dir, 'text.txt')
    for (const encoding of ['utf8', 'utf8-bom', 'utf16le', 'utf16be'] as const) {
      await writeFile(path, encode('héllo ✓\n', encoding))
      expect(await readTextFile(path)).toBe('héllo ✓\n')
    }
  })

  it('throws file-system errors with their code', async () => {
    await expect(readTextFile(join(dir, 'missing.txt'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
