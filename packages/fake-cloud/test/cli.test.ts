import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'

const repoRoot = resolve(import.meta.dirname, '../../..')
const children: ChildProcess[] = []

function cli(...args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/fake-cloud/src/cli.ts', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  return child
}

function lines(child: ChildProcess, n: number): Promise<string[]> {
  return new Promise((resolveLines, reject) => {
    const out: string[] = []
    const rl = createInterface({ input: child.stdout! })
    rl.on('line', (line) => {
      out.push(line)
      if (out.length === n) {
        rl.close()
        resolveLines(out)
      }
    })
    child.once('exit', (code) => reject(new Error(`cli exited with ${code} after ${JSON.stringify(out)}`)))
  })
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => {
    if (child.exitCode !== null) r(child.exitCode)
    else child.once('exit', (code) => r(code))
  })

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

describe('cli', () => {
  it('starts, prints its URL, serves, and stops on SIGTERM', async () => {
    const child = cli('--port', '0')
    const [line] = await lines(child, 1)
    const url = /^fake Alteryx Cloud listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line ?? '')?.[1]
    expect(url).toBeDefined()
    const res = await fetch(`${url}/nowhere`)
    expect(res.status).toBe(404)
    child.kill('SIGTERM')
    expect(await exited(child)).toBe(0)
  })

  it('writes a config dir with an expired token when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-cloud-cli-'))
    try {
      const child = cli('--port', '0', '--ttl', '2', '--config-dir', dir, '--expired')
      const [first, second] = await lines(child, 2)
      const url = first?.split(' ').pop()
      expect(second).toContain(dir)
      expect(await readFile(join(dir, 'aac_url.txt'), 'utf8')).toBe(`${url}\n`)
      const creds = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')) as Record<string, string>
      const expired = await fetch(`${url}/v4/people/current`, {
        headers: { authorization: `Bearer ${creds['access_token']}` },
      })
      expect(await expired.json()).toEqual({ message: 'jwt expired' })
      const refreshed = await fetch(`${url}/as/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: creds['refresh_token'] ?? '',
          client_id: 'fake-oauth-client',
        }),
      })
      expect(((await refreshed.json()) as Record<string, unknown>)['expires_in']).toBe(2)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('--split-hosts prints the direct host, --cors turns CORS on', async () => {
    const child = cli('--port', '0', '--split-hosts', '--cors')
    const [first, second] = await lines(child, 2)
    const url = first?.split(' ').pop()
    const direct = /^direct host \(\/v4, \/svc-workflow\) on (http:\/\/127\.0\.0\.1:\d+)$/.exec(
      second ?? '',
    )?.[1]
    expect(direct).toBeDefined()
    expect(direct).not.toBe(url)
    const wrongHost = await fetch(`${url}/v4/people`, { headers: { origin: 'http://localhost:5173' } })
    expect(((await wrongHost.json()) as { exception: { name: string } }).exception.name).toBe(
      'RouteNotFoundException',
    )
    expect(wrongHost.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    // Right host, no token: past the routing.
    expect((await fetch(`${direct}/v4/people`)).status).toBe(401)
    child.kill('SIGTERM')
    expect(await exited(child)).toBe(0)
  })

  it('--clock-offset runs the server clock ahead or behind, and says so', async () => {
    const child = cli('--port', '0', '--clock-offset=-3600')
    const [first, second] = await lines(child, 2)
    const url = first?.split(' ').pop()
    expect(second).toBe("server clock -3600 s from this machine's")
    const res = await fetch(`${url}/v4/people`)
    const skew = (Date.parse(res.headers.get('date') ?? '') - Date.now()) / 1000
    expect(Math.abs(skew + 3600)).toBeLessThan(5)
    const clock = (await (await fetch(`${url}/__control/clock`)).json()) as { offsetSeconds: number }
    expect(clock.offsetSeconds).toBe(-3600)
    child.kill('SIGTERM')
    expect(await exited(child)).toBe(0)
  })

  it('--clock-offset must be a number of seconds', async () => {
    const child = cli('--port', '0', '--clock-offset', 'soon')
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    expect(await exited(child)).toBe(2)
    expect(stderr).toContain('--clock-offset must be a number of seconds')
  })

  it('exits 2 with a clear message on a bad option', async () => {
    const child = cli('--port', 'eighty')
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    expect(await exited(child)).toBe(2)
    expect(stderr).toContain('--port must be an integer')
    expect(stderr).toContain('Usage:')
  })
})
