import { spawn } from 'node:child_process'
import { access, readFile, utimes } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bin, execute, repoRoot, useCloud } from './helpers.ts'

const fake = useCloud()

describe('the aac bin', () => {
  it('is linked by the install and runs with no build step to remember, from any folder', async () => {
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

  it('runs the bundle from its cache, and builds it again when a source file changed', async () => {
    const manifestPath = join(
      repoRoot,
      'packages',
      'cli',
      'node_modules',
      '.cache',
      'aac-cli',
      'manifest.json',
    )
    const manifest = async () =>
      JSON.parse(await readFile(manifestPath, 'utf8')) as { build: string; stamps: object }
    expect((await execute(process.execPath, [bin, '--version'])).code).toBe(0)
    const before = await manifest()
    const source = join(repoRoot, 'packages', 'cli', 'src', 'time.ts')
    expect(Object.keys(before.stamps)).toContain(source)
    // A save (a new mtime, same content) is a change: the next run builds again, into a folder of its own.
    const now = new Date()
    await utimes(source, now, now)
    const result = await execute(process.execPath, [bin, '--version'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const after = await manifest()
    expect(after.build).not.toBe(before.build)
    await access(join(dirname(manifestPath), after.build, 'main.cjs'))
  })

  it('Ctrl-C during a refresh: the request already sent finishes and its pair is saved, exit 130, lock released', async () => {
    const dir = await fake.configDir({ expired: true })
    const before = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')) as { refresh_token: string }
    fake.cloud.reset()
    // The token endpoint takes its time; it rotates once it answers, whether or not the caller still waits.
    fake.cloud.inject({ kind: 'delay', ms: 1_500, path: '/as/token' })
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
    expect(stderr).toContain('finishing the token refresh already sent')
    await expect(access(lock)).rejects.toThrow()
    // Dropping the answer would have lost the chain: the server spent the old refresh token.
    const after = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')) as { refresh_token: string }
    expect(after.refresh_token).not.toBe(before.refresh_token)
    expect(fake.cloud.isRefreshTokenValid(after.refresh_token)).toBe(true)
    expect(fake.cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 })
  })
})
