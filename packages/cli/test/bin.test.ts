import { spawn } from 'node:child_process'
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bin, execute, repoRoot, useCloud } from './helpers.ts'

const fake = useCloud()

describe('the aac bin', () => {
  it('is linked by the install and runs the TypeScript source with no build step, from any folder', async () => {
    const shim = join(repoRoot, 'node_modules', '.bin', 'aac')
    await access(shim)
    const viaShim = await execute(shim, ['--version'])
    expect(viaShim).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) })
    // npx finds the workspace's bin from a folder with its own package.json; --no forbids any download.
    const viaNpx = await execute('npx', ['--no', '--', 'aac', '--version'], {
      cwd: join(repoRoot, 'examples', 'node'),
    })
    expect(viaNpx.stdout).toBe(viaShim.stdout)
  })

  it('Ctrl-C during a refresh: exit 130, the lock released, creds.json unchanged', async () => {
    const dir = await fake.configDir({ expired: true })
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    fake.cloud.reset()
    fake.cloud.inject({ kind: 'delay', ms: 20_000, path: '/as/token' })
    const env = Object.fromEntries(
      Object.entries({ ...process.env, AAC_CONFIG_DIR: dir }).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    )
    const child = spawn(process.execPath, [bin, 'token'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    // Wait until the refresh is in flight: the lock is taken and the token endpoint has the request.
    const lock = join(dir, 'creds.json.lock')
    for (let i = 0; i < 200 && !(fake.cloud.stats().byRoute['POST /as/token'] ?? 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await access(lock)
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(stderr).toMatch(/\[ABORTED\]/)
    await expect(access(lock)).rejects.toThrow()
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
  })
})
