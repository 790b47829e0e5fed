import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ANSI, aac, aacInProcess, stripAnsi, useCloud } from './helpers.ts'

const fake = useCloud()

const envFor = (dir: string, extra: Record<string, string> = {}) => ({ AAC_CONFIG_DIR: dir, ...extra })

describe('aac api', () => {
  it('prints the JSON answer, indented and without colour when piped', async () => {
    const dir = await fake.configDir()
    const result = await aac(['api', '/iam/v1/workspaces/current'], { env: envFor(dir) })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const workspace = JSON.parse(result.stdout) as { id: number; name: string }
    expect(workspace).toMatchObject({ id: 31429, name: 'Fake Workspace' })
    expect(result.stdout).toBe(`${JSON.stringify(workspace, null, 2)}\n`)
    expect(result.stdout).not.toMatch(ANSI)
  })

  it('colours a terminal unless NO_COLOR or TERM=dumb; FORCE_COLOR forces colour into a pipe', async () => {
    const dir = await fake.configDir()
    const path = '/v4/people/current'
    const plain = await aacInProcess(['api', path], { env: envFor(dir) })
    const tty = await aacInProcess(['api', path], { env: envFor(dir), tty: true })
    const noColor = await aacInProcess(['api', path], { env: envFor(dir, { NO_COLOR: '1' }), tty: true })
    const dumb = await aacInProcess(['api', path], { env: envFor(dir, { TERM: 'dumb' }), tty: true })
    const forced = await aac(['api', path], { env: envFor(dir, { FORCE_COLOR: '1' }) })
    expect(tty.stdout).toMatch(ANSI)
    expect(forced.stdout).toMatch(ANSI)
    for (const result of [plain, noColor, dumb]) {
      expect(result.code).toBe(0)
      expect(result.stdout).not.toMatch(ANSI)
    }
    // Colour changes nothing but the escapes.
    expect(stripAnsi(tty.stdout)).toBe(plain.stdout)
    expect(stripAnsi(forced.stdout)).toBe(plain.stdout)
  })

  it('--paginate prints the 137 people one JSON per line, --slurp as one array; progress only on a terminal', async () => {
    const dir = await fake.configDir()
    fake.cloud.reset()
    const result = await aac(['api', '/v4/people', '--paginate', '-f', 'limit=25'], { env: envFor(dir) })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const lines = result.stdout.split('\n')
    expect(lines.pop()).toBe('')
    const people = lines.map((line) => JSON.parse(line) as { id: number })
    expect(people.map((p) => p.id)).toEqual(Array.from({ length: 137 }, (_, i) => i + 1))
    expect(lines[0]).toBe(JSON.stringify(people[0]))
    expect(fake.cloud.stats().byRoute['GET /v4/people']).toBe(6)

    // --slurp: the array as a whole, indented like every other answer.
    const slurped = await aacInProcess(['api', '/v4/people', '--paginate', '--slurp', '-f', 'limit=25'], {
      env: envFor(dir),
    })
    expect(slurped.stdout).toBe(`${JSON.stringify(people, null, 2)}\n`)

    const tty = await aacInProcess(['api', '/v4/people', '--paginate', '--slurp'], {
      env: envFor(dir),
      tty: true,
    })
    expect(JSON.parse(stripAnsi(tty.stdout))).toHaveLength(137)
    expect(tty.stderr).toContain('fetched 137 of 137')
  })

  it('sends fields as the query of a GET and as a JSON body (typed, nested) of a POST; --input - reads stdin', async () => {
    const dir = await fake.configDir()
    const page = await aacInProcess(['api', '/v4/people', '-f', 'limit=3', '-f', 'offset=10'], {
      env: envFor(dir),
    })
    expect((JSON.parse(page.stdout) as { data: Array<{ id: number }> }).data.map((p) => p.id)).toEqual([
      11, 12, 13,
    ])

    const started = await aac(['api', '-X', 'POST', '/v4/jobGroups', '-F', 'wrangledDataset[id]=1'], {
      env: envFor(dir),
    })
    expect(started.code).toBe(0)
    const { id } = JSON.parse(started.stdout) as { id: number }
    const status = await aacInProcess(['api', `/v4/jobGroups/${id}/status`], { env: envFor(dir) })
    expect(status.stdout).toBe('"Pending"\n')

    const fromStdin = await aac(['api', '/v4/jobGroups', '--input', '-'], {
      env: envFor(dir),
      input: '{"wrangledDataset":{"id":2}}',
    })
    expect(fromStdin.code).toBe(0)
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ reason: 'JobStarted' })

    const bodyFile = join(dir, 'body.json')
    await writeFile(bodyFile, '{"wrangledDataset":{"id":"one"}}')
    const invalid = await aacInProcess(['api', '/v4/jobGroups', '--input', bodyFile, '-H', 'X-Trace: 1'], {
      env: envFor(dir),
    })
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('wrangledDataset.id must be an integer')
  })

  it('--include hides credentials a server echoes in its headers', async () => {
    const dir = await fake.configDir()
    const creds = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')) as {
      access_token: string
      refresh_token: string
    }
    const signature = creds.access_token.split('.')[2]!
    expect(signature.length).toBeGreaterThanOrEqual(16)
    // A server that echoes what it got: the request's Authorization, renamed or not, and the tokens elsewhere.
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      res.setHeader('authorization', String(req.headers.authorization))
      res.setHeader('x-amzn-remapped-authorization', String(req.headers.authorization))
      res.setHeader('set-cookie', ['session=abc123; HttpOnly', 'other=1'])
      res.setHeader('x-auth-token', 'opaque')
      res.setHeader('x-debug-jwt', `saw ${creds.access_token} here`)
      res.setHeader('x-debug-signature', `signature ${signature}`)
      res.setHeader('x-debug-refresh', `rt ${creds.refresh_token}`)
      res.setHeader('x-plain', 'nothing to hide')
      res.end('{"ok":true}')
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    try {
      const { port } = server.address() as AddressInfo
      await writeFile(join(dir, 'aac_url.txt'), `http://127.0.0.1:${port}\n`)
      const result = await aacInProcess(['api', '-i', '/iam/v1/workspaces/current'], { env: envFor(dir) })
      expect(result.code).toBe(0)
      for (const secret of [creds.access_token, signature, creds.refresh_token, 'abc123', 'opaque']) {
        expect(result.stdout).not.toContain(secret)
      }
      expect(result.stdout).toContain('\nauthorization: [REDACTED]\n')
      expect(result.stdout).toContain('\nx-amzn-remapped-authorization: [REDACTED]\n')
      expect(result.stdout).toContain('\nset-cookie: [REDACTED]\n')
      expect(result.stdout).toContain('\nx-auth-token: [REDACTED]\n')
      expect(result.stdout).toContain('\nx-debug-jwt: saw [REDACTED] here\n')
      expect(result.stdout).toContain('\nx-debug-signature: signature [REDACTED]\n')
      expect(result.stdout).toContain('\nx-debug-refresh: rt [REDACTED]\n')
      expect(result.stdout).toContain('\nx-plain: nothing to hide\n')
    } finally {
      await new Promise((done) => server.close(done))
    }
  })

  it.each([
    ['https://', /starts with https:\/\/ but is not a valid URL/],
    ['http://[bad', /starts with http:\/\/ but is not a valid URL/],
    ['https://api.us1.alteryxcloud.com:99999/v4/flows', /not a valid URL/],
    ['file:///etc/passwd', /a URL with file: cannot be requested/],
    ['javascript:alert(1)', /a URL with javascript: cannot be requested/],
    ['api.us1.alteryxcloud.com/v4/flows', /starts with a host but no https:\/\//],
    ['127.0.0.1:8787/v4/flows', /starts with a host but no https:\/\//],
  ])('%s is a usage error (exit 2) that says what a path looks like', async (path, message) => {
    const dir = await fake.configDir()
    const result = await aacInProcess(['api', path], { env: envFor(dir) })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).toContain('a path looks like /iam/v1/workspaces/current')
    expect(result.stderr).not.toContain('Invalid URL')
    expect(result.stdout).toBe('')
  })

  it('a malformed URL argument is not repeated (its query may hold a token)', async () => {
    const dir = await fake.configDir()
    const result = await aacInProcess(['api', 'https://[x/?access_token=opaque-secret-value'], {
      env: envFor(dir),
    })
    expect(result.code).toBe(2)
    expect(result.stderr).not.toContain('opaque-secret-value')
  })

  it('--include shows the status line and headers, for errors too', async () => {
    const dir = await fake.configDir()
    const ok = await aacInProcess(['api', '-i', '/v4/people/current'], { env: envFor(dir) })
    const [head, body] = ok.stdout.split('\n\n')
    expect(head).toMatch(/^HTTP 200 OK\n/)
    expect(head).toMatch(/\ncontent-type: application\/json/)
    expect(JSON.parse(body!)).toMatchObject({ id: 51 })

    const missing = await aacInProcess(['api', '-i', '/v4/jobGroups/999999'], { env: envFor(dir) })
    expect(missing.code).toBe(1)
    expect(missing.stdout).toMatch(/^HTTP 404 Not Found\n/)
    expect(missing.stdout).toContain('JobGroup with id 999999 does not exist')
    expect(missing.stderr).toMatch(/^error \[NOT_FOUND\]/)
  })
})
