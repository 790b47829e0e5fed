// `aac init` unattended, as CI or a setup script runs it: the pair on stdin (JSON or two lines) or in
// environment variables, the region and Client ID as options. The real bin, against the fake cloud.
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeConfigFiles } from '../src/init/write.ts'
import { aac, useCloud } from './helpers.ts'

const env = useCloud()

/** A home folder, a fresh pair and the options naming the fake cloud. */
async function setup() {
  const home = await env.tempDir()
  const pair = env.cloud.issueTokens()
  const options = ['--api-url', env.cloud.url, '--client-id', env.cloud.projectId]
  return { home, pair, options, dir: join(home, '.config', 'aac') }
}

function expectNoToken(text: string, pair: { accessToken: string; refreshToken: string }) {
  expect(text).not.toContain(pair.accessToken)
  expect(text).not.toContain(pair.refreshToken)
  expect(text).not.toContain(pair.accessToken.split('.')[1])
}

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('aac init, unattended', () => {
  it('from stdin (JSON): the three files, owner-only, in a new owner-only per-user folder; aac token works', async () => {
    const { home, pair, options, dir } = await setup()
    const input = JSON.stringify({ access_token: pair.accessToken, refresh_token: pair.refreshToken })
    const result = await aac(['init', ...options], { env: { HOME: home }, input })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(result.stdout).toContain(`Wrote to ${dir} (readable by you only)`)
    expectNoToken(result.stdout + result.stderr, pair)
    expect((await readdir(dir)).sort()).toEqual(['aac_url.txt', 'client_id.txt', 'creds.json'])
    expect(await readFile(join(dir, 'aac_url.txt'), 'utf8')).toBe(`${env.cloud.url}\n`)
    expect(await readFile(join(dir, 'client_id.txt'), 'utf8')).toBe(`${env.cloud.projectId}\n`)
    expect(JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8'))).toEqual({
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
    })
    if (process.platform !== 'win32') {
      expect(await mode(dir)).toBe(0o700)
      expect(await mode(join(home, '.config'))).toBe(0o700)
      for (const file of await readdir(dir)) expect(await mode(join(dir, file)), file).toBe(0o600)
    }
    const token = await aac(['token'], { env: { HOME: home } })
    expect(token).toMatchObject({ code: 0, stdout: `${pair.accessToken}\n` })
  })

  it('from stdin as two lines, and into --config-dir', async () => {
    const { home, pair, options } = await setup()
    const dir = join(home, 'elsewhere')
    const input = `${pair.accessToken}\n${pair.refreshToken}\n`
    const result = await aac(['--config-dir', dir, 'init', ...options], { env: { HOME: home }, input })
    expect(result.code).toBe(0)
    expectNoToken(result.stdout + result.stderr, pair)
    expect((await readdir(dir)).sort()).toEqual(['aac_url.txt', 'client_id.txt', 'creds.json'])
    expect(result.stdout).not.toContain('Note:')
  })

  it('says so when, from the working directory, aac would read another folder than the one written', async () => {
    const { home, pair, options, dir } = await setup()
    const project = await env.configDir()
    const input = `${pair.accessToken}\n${pair.refreshToken}\n`
    const result = await aac(['init', ...options], { env: { HOME: home }, input, cwd: project })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      `Note: from ${project}, aac reads ${project} (the working directory holding aac_url.txt), not this folder: pass --config-dir ${dir}`,
    )
  })

  it('from environment variables (--from-env, or named ones), never printed', async () => {
    const { home, pair, options, dir } = await setup()
    const vars = { HOME: home, AAC_ACCESS_TOKEN: pair.accessToken, AAC_REFRESH_TOKEN: pair.refreshToken }
    const result = await aac(['init', ...options, '--from-env'], { env: vars })
    expect(result.code).toBe(0)
    expectNoToken(result.stdout + result.stderr, pair)
    expect(JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')).refresh_token).toBe(pair.refreshToken)

    const other = await env.tempDir()
    const named = await aac(
      ['--config-dir', other, 'init', ...options, '--access-token-env', 'A', '--refresh-token-env', 'R'],
      { env: { HOME: home, A: pair.accessToken, R: pair.refreshToken } },
    )
    expect(named.code).toBe(0)
    expect(JSON.parse(await readFile(join(other, 'creds.json'), 'utf8')).access_token).toBe(pair.accessToken)
  })

  it('refuses to overwrite: nothing changes, exit 2; --force replaces all three', async () => {
    const { home, options, dir } = await setup()
    const first = env.cloud.issueTokens()
    const input = (pair: typeof first) => `${pair.accessToken}\n${pair.refreshToken}\n`
    expect((await aac(['init', ...options], { env: { HOME: home }, input: input(first) })).code).toBe(0)
    const before = await readFile(join(dir, 'creds.json'))

    const second = env.cloud.issueTokens()
    const refused = await aac(['init', ...options], { env: { HOME: home }, input: input(second) })
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(
      `${dir} already holds aac_url.txt, client_id.txt, creds.json: nothing was changed`,
    )
    expect(refused.stderr).toContain('aac init --force')
    expectNoToken(refused.stdout + refused.stderr, second)
    expect(await readFile(join(dir, 'creds.json'))).toEqual(before)

    const forced = await aac(['init', ...options, '--force'], { env: { HOME: home }, input: input(second) })
    expect(forced.code).toBe(0)
    expect(JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')).access_token).toBe(second.accessToken)
    // No staged, kept or lock file left behind.
    expect((await readdir(dir)).sort()).toEqual(['aac_url.txt', 'client_id.txt', 'creds.json'])
  })

  it('checks before writing: a bad pair, a placeholder, an unknown region, missing options; nothing written', async () => {
    const { home, pair, options, dir } = await setup()
    const cases: Array<[string[], string, RegExp]> = [
      [options, 'not a pair\n', /stdin holds 1 non-empty lines/],
      [
        options,
        '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}',
        /placeholder/,
      ],
      [
        ['--region', 'xx9', '--client-id', 'abc'],
        `${pair.accessToken}\n${pair.refreshToken}\n`,
        /--region "xx9" is not a region of Alteryx Cloud: use one of us1/,
      ],
      [
        ['--client-id', 'abc'],
        '',
        /needs the region when stdin is not a terminal: add --region us1\|eu1\|au1/,
      ],
      [['--region', 'us1'], '', /needs the Client ID when stdin is not a terminal: add --client-id/],
      [options, '', /Nothing came on stdin/],
    ]
    for (const [args, input, message] of cases) {
      const result = await aac(['init', ...args], { env: { HOME: home }, input })
      expect(result.code, args.join(' ')).not.toBe(0)
      expect(result.stderr).toMatch(message)
      expectNoToken(result.stdout + result.stderr, pair)
    }
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a pair issued for another region is refused before anything is written', async () => {
    const { home } = await setup()
    // Only the claims are read (no signature check, no request): a token as Alteryx's Australian issuer makes it.
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const claims = {
      iss: 'https://pingauth-au1.alteryxcloud.com/as',
      client_id: 'c',
      exp: Date.now() / 1000 + 3600,
    }
    const access = `${part({ alg: 'RS256' })}.${part(claims)}.${'s'.repeat(43)}`
    const refresh = 'r'.repeat(64)
    const result = await aac(['init', '--region', 'us1', '--client-id', env.cloud.projectId], {
      env: { HOME: home },
      input: `${access}\n${refresh}\n`,
    })
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('was issued for region au1 (pingauth-au1.alteryxcloud.com)')
    expectNoToken(result.stderr, { accessToken: access, refreshToken: refresh })
    await expect(stat(join(home, '.config', 'aac'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a token given as an argument is refused, unquoted', async () => {
    const { home, pair, options } = await setup()
    for (const args of [
      [pair.accessToken],
      [`--access-token=${pair.accessToken}`],
      ['--refresh-token', pair.refreshToken],
    ]) {
      const result = await aac(['init', ...options, ...args], { env: { HOME: home } })
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('aac never takes a token from the command line')
      expectNoToken(result.stdout + result.stderr, pair)
    }
  })
})

describe('writeConfigFiles (--force) when a write fails part-way', () => {
  it('puts every file back byte for byte, with its mode, and leaves nothing else', async () => {
    const dir = await env.tempDir()
    // What a user may have: UTF-16 from PowerShell, a readable client_id.txt.
    const originals: Record<string, Buffer> = {
      'aac_url.txt': Buffer.from('\ufeffhttps://api.us1.alteryxcloud.com\r\n', 'utf16le'),
      'client_id.txt': Buffer.from('old-client-id\n'),
      'creds.json': Buffer.from('{"access_token": "old", "refresh_token": "old"}\n'),
    }
    for (const [name, bytes] of Object.entries(originals)) await writeFile(join(dir, name), bytes)
    await chmod(join(dir, 'client_id.txt'), 0o644)
    let renames = 0
    const failThird = async (from: string, to: string) => {
      if (++renames === 3) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' })
      const { rename } = await import('node:fs/promises')
      await rename(from, to)
    }
    const files = Object.keys(originals).map((name) => ({ name, content: `new ${name}\n` }))
    await expect(writeConfigFiles(dir, files, failThird)).rejects.toThrow('disk full')
    expect(renames).toBe(3)
    for (const [name, bytes] of Object.entries(originals))
      expect(await readFile(join(dir, name)), name).toEqual(bytes)
    if (process.platform !== 'win32') expect(await mode(join(dir, 'client_id.txt'))).toBe(0o644)
    expect((await readdir(dir)).sort()).toEqual(Object.keys(originals).sort())
  })

  it('writes through a symbolic link: the link stays, its target gets the new content', async () => {
    const dir = await env.tempDir()
    const real = await env.tempDir()
    await writeFile(join(real, 'creds.json'), 'old\n')
    const { symlink, lstat } = await import('node:fs/promises')
    await symlink(join(real, 'creds.json'), join(dir, 'creds.json'))
    await mkdir(dir, { recursive: true })
    await writeConfigFiles(dir, [{ name: 'creds.json', content: 'new\n' }])
    expect((await lstat(join(dir, 'creds.json'))).isSymbolicLink()).toBe(true)
    expect(await readFile(join(real, 'creds.json'), 'utf8')).toBe('new\n')
  })
})
