// aac api: --jq, the error body on stdout, --output, --silent, --verbose, -F key=@- and key[].
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runAac } from './api-run.ts'
import { ANSI, useCloud } from './helpers.ts'

const fake = useCloud()
const envFor = (dir: string, extra: Record<string, string> = {}) => ({ AAC_CONFIG_DIR: dir, ...extra })

/** The package of flow 7, fetched directly: what --output must save byte for byte. */
async function packageBytes(): Promise<Buffer> {
  const { accessToken } = fake.cloud.issueTokens()
  const response = await fetch(`${fake.cloud.url}/v4/flows/7/package`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  const bytes = Buffer.from(await response.arrayBuffer())
  // The bytes that a text decoder corrupts: the ZIP magic, then ff fe.
  expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]))
  expect(bytes.includes(Buffer.from([0xff, 0xfe]))).toBe(true)
  return bytes
}

describe('aac api --jq', () => {
  it('filters objects and arrays: strings bare, other values compact in a pipe, indented on a terminal', async () => {
    const dir = await fake.configDir()
    const env = envFor(dir)
    expect(await runAac(['api', '/iam/v1/workspaces/current', '--jq', '.name'], { env })).toMatchObject({
      code: 0,
      stdout: 'Fake Workspace\n',
      stderr: '',
    })
    const ids = await runAac(['api', '/v4/people', '-f', 'limit=3', '--jq', '.data[].id'], { env })
    expect(ids.stdout).toBe('1\n2\n3\n')
    const array = await runAac(['api', '/v4/people', '-f', 'limit=3', '--jq', '.data | map(.id)'], { env })
    expect(array.stdout).toBe('[1,2,3]\n')
    const objects = await runAac(['api', '/v4/people', '-f', 'limit=2', '--jq', '.data[] | {id}'], { env })
    expect(objects.stdout).toBe('{"id":1}\n{"id":2}\n')
    const tty = await runAac(['api', '/v4/people/current', '--jq', '{id}'], { env, tty: true })
    expect(tty.stdout).toMatch(ANSI)
    const plainTty = await runAac(['api', '/v4/people/current', '--jq', '{id}'], {
      env: envFor(dir, { NO_COLOR: '1' }),
      tty: true,
    })
    expect(plainTty.stdout).toBe('{\n  "id": 51\n}\n')
  })

  it('a jq error is a usage error (exit 2) with jq message; a bad expression sends nothing', async () => {
    const dir = await fake.configDir()
    fake.cloud.reset()
    const syntax = await runAac(
      ['api', '-X', 'POST', '/v4/jobGroups', '-F', 'wrangledDataset[id]=1', '--jq', '.id |||'],
      {
        env: envFor(dir),
      },
    )
    expect(syntax.code).toBe(2)
    expect(syntax.stderr).toContain("--jq: syntax error, unexpected '|' at <top-level>, line 1:\n.id |||")
    expect(syntax.stdout).toBe('')
    // Checked before the request: no job was started, no token was refreshed.
    expect(fake.cloud.stats().requests).toBe(0)

    const runtime = await runAac(['api', '/v4/people/current', '--jq', '.[0]'], { env: envFor(dir) })
    expect(runtime).toMatchObject({ code: 2, stdout: '' })
    expect(runtime.stderr).toContain('--jq: Cannot index object with number')
    const binary = await runAac(['api', '/v4/flows/7/package', '--jq', '.'], { env: envFor(dir) })
    expect(binary.code).toBe(2)
    expect(binary.stderr).toContain('--jq: the answer is application/zip, not JSON')
  })
})

describe('aac api on an HTTP error', () => {
  it('prints the error body on stdout and the message on stderr, with the exit code unchanged', async () => {
    const dir = await fake.configDir()
    const missing = await runAac(['api', '/v4/jobGroups/999999', '--jq', '.id'], { env: envFor(dir) })
    expect(missing.code).toBe(1)
    // Not filtered by --jq: a script sees what the API said.
    expect(JSON.parse(missing.stdout)).toEqual({
      exception: {
        name: 'NotFoundException',
        message: 'Not found',
        details: 'JobGroup with id 999999 does not exist',
      },
    })
    expect(missing.stderr).toMatch(/^error \[NOT_FOUND\]/)

    await writeFile(join(dir, 'client_id.txt'), 'not-the-project\n')
    const badKey = await runAac(['api', '/iam/v1/workspaces/current'], { env: envFor(dir) })
    expect(badKey.code).toBe(3)
    expect(JSON.parse(badKey.stdout)).toMatchObject({ fault: { faultstring: 'Invalid ApiKey' } })
    expect(badKey.stderr).toMatch(/^error \[INVALID_API_KEY\]/)

    const silent = await runAac(['api', '/v4/jobGroups/999999', '--silent'], { env: envFor(dir) })
    expect(silent).toMatchObject({ code: 1, stdout: '' })
    expect(silent.stderr).toMatch(/^error \[NOT_FOUND\]/)
  })
})

describe('aac api --output', () => {
  it('saves a binary answer byte for byte; - prints the same bytes, as does a pipe without --output', async () => {
    const dir = await fake.configDir()
    const expected = await packageBytes()
    const saved = await runAac(['api', '/v4/flows/7/package', '--output', 'flow.zip'], {
      env: envFor(dir),
      cwd: dir,
    })
    expect(saved).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(await readFile(join(dir, 'flow.zip'))).toEqual(expected)

    const dash = await runAac(['api', '/v4/flows/7/package', '--output', '-'], { env: envFor(dir) })
    expect(dash.bytes).toEqual(expected)
    const piped = await runAac(['api', '/v4/flows/7/package'], { env: envFor(dir) })
    expect(piped.bytes).toEqual(expected)

    // A JSON answer is saved as the server sent it (not re-indented).
    await runAac(['api', '/v4/people/current', '-o', 'me.json'], { env: envFor(dir), cwd: dir })
    const me = await readFile(join(dir, 'me.json'), 'utf8')
    expect(me).toBe(JSON.stringify(JSON.parse(me)))
  })

  it('does not print a binary answer on a terminal, and a failed download leaves the file as it was', async () => {
    const dir = await fake.configDir()
    const tty = await runAac(['api', '/v4/flows/7/package'], { env: envFor(dir), tty: true })
    expect(tty).toMatchObject({ code: 2, stdout: '' })
    expect(tty.stderr).toContain('the answer is binary (application/zip)')
    expect(tty.stderr).toContain('--output FILE')

    await writeFile(join(dir, 'flow.zip'), 'my own file')
    const failed = await runAac(['api', '/v4/flows/0/package', '--output', 'flow.zip'], {
      env: envFor(dir),
      cwd: dir,
    })
    expect(failed.code).toBe(1)
    expect(JSON.parse(failed.stdout)).toMatchObject({ exception: { name: 'NotFoundException' } })
    expect(await readFile(join(dir, 'flow.zip'), 'utf8')).toBe('my own file')
    expect((await readdir(dir)).filter((name) => name.endsWith('.part'))).toEqual([])

    const combined = await runAac(['api', '/v4/people', '--paginate', '--output', 'x'], { env: envFor(dir) })
    expect(combined.code).toBe(2)
    expect(combined.stderr).toContain('redirect the output instead')
  })
})

describe('aac api --silent and --verbose', () => {
  it('--silent prints no body', async () => {
    const dir = await fake.configDir()
    const result = await runAac(['api', '/iam/v1/workspaces/current', '--silent'], { env: envFor(dir) })
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' })
  })

  it('--verbose traces the request and the answer on stderr, the token shown as Bearer ***', async () => {
    const dir = await fake.configDir({ expired: true })
    const result = await runAac(['api', '/iam/v1/workspaces/current', '--verbose'], { env: envFor(dir) })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 31429 })
    expect(result.stderr).toContain('> GET /iam/v1/workspaces/current\n')
    expect(result.stderr).toContain('\n> authorization: Bearer ***\n')
    expect(result.stderr).toContain('\n> x-api-project-id: fake-project-id\n')
    expect(result.stderr).toMatch(/\n< HTTP 200 OK \(\d+ ms\)\n/)
    expect(result.stderr).toContain('\n< content-type: application/json')
    // The expired token was refreshed first: neither the old nor the new pair shows anywhere.
    const creds = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')) as Record<string, string>
    for (const secret of [
      creds['access_token']!,
      creds['refresh_token']!,
      ...creds['access_token']!.split('.'),
    ]) {
      expect(result.stderr).not.toContain(secret)
      expect(result.stdout).not.toContain(secret)
    }
  })
})

describe('aac api fields', () => {
  it('-F key=@- sends stdin as the value, key[] an empty array', async () => {
    const dir = await fake.configDir()
    let received: unknown
    const echo = createServer((req, res) => {
      let text = ''
      req.on('data', (chunk: Buffer) => (text += chunk))
      req.on('end', () => {
        received = JSON.parse(text)
        res.setHeader('content-type', 'application/json')
        res.end('{"ok":true}')
      })
    })
    await new Promise<void>((done) => echo.listen(0, '127.0.0.1', done))
    try {
      await writeFile(join(dir, 'aac_url.txt'), `http://127.0.0.1:${(echo.address() as AddressInfo).port}\n`)
      const args = ['api', '-X', 'POST', '/v4/flows', '-F', 'description=@-', '-F', 'tags[]', '-F', 'n=1']
      const result = await runAac(args, { env: envFor(dir), stdin: 'line one\nline two\n' })
      expect(result).toMatchObject({ code: 0, stderr: '' })
      expect(received).toEqual({ description: 'line one\nline two\n', tags: [], n: 1 })

      const twice = await runAac([...args, '-F', 'other=@-'], { env: envFor(dir), stdin: 'x' })
      expect(twice.code).toBe(2)
      expect(twice.stderr).toContain('-F other=@-: stdin is already read by -F description=@-')
      const withInput = await runAac(['api', '/v4/flows', '--input', '-', '-F', 'a=@-'], { env: envFor(dir) })
      expect(withInput.code).toBe(2)
      expect(withInput.stderr).toContain('stdin is already read by --input -')
    } finally {
      await new Promise((done) => echo.close(done))
    }
  })
})
