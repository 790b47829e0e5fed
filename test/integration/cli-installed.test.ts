// The aac command as a user installs it: the tarball pnpm packs, installed with `npm install --global` into a
// temp prefix, run from a folder outside the repository with the per-user config (HOME and XDG_CONFIG_HOME
// pointed at temp folders), against the fake cloud. Also `npx --no -- aac` in the repository.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, run } from '../helpers.ts'
import { globalPackageDir, installGlobal, packPackages, userNpmEnv } from '../packed.ts'

let work: string
let bin: string
let cloud: FakeCloud

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'aac-installed-'))
  cloud = await startFakeCloud()
  const { cli } = await packPackages(['cli'], join(work, 'tarballs'))
  bin = await installGlobal([cli], join(work, 'prefix'))
}, 300_000)

afterAll(async () => {
  await cloud?.stop()
  if (work) await rm(work, { recursive: true, force: true })
})

/** A user: a home of their own, the installed bin first on PATH, a working folder outside the repository. */
async function user() {
  const home = await mkdtemp(join(work, 'home-'))
  const cwd = join(home, 'somewhere')
  await mkdir(cwd)
  const env: NodeJS.ProcessEnv = {
    ...userNpmEnv(),
    PATH: [bin, dirname(process.execPath), process.env['PATH']].join(delimiter),
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    AAC_CONFIG_DIR: '',
    HTTP_PROXY: '',
    HTTPS_PROXY: '',
    http_proxy: '',
    https_proxy: '',
  }
  const aac = (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string) =>
    runWithInput(join(bin, 'aac'), args, { cwd, env: { ...env, ...extra } }, input)
  return { home, cwd, env, aac, configDir: join(home, 'config', 'aac') }
}

/** run() of test/helpers.ts, with something on stdin. */
async function runWithInput(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  input?: string,
) {
  if (input === undefined) return run(command, args, options)
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    child.stdin.end(input)
  })
}

describe('the installed aac', () => {
  it('is plain JavaScript: no tsx, esbuild, undici or commander installed, no TypeScript shipped', async () => {
    const dir = globalPackageDir(join(work, 'prefix'), '@aac/cli')
    // Only what the manifest declares (jq-web; the optional store clients: the keychain binding and its platform
    // build, redis, postgres) and what those depend on.
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
    const declared = Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })
    expect(declared.sort()).toEqual(['@napi-rs/keyring', 'jq-web', 'postgres', 'redis'])
    const allowed = new Set<string>()
    const allow = async (name: string): Promise<void> => {
      if (allowed.has(name)) return
      allowed.add(name)
      const text = await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8').catch(() => '{}')
      const deps = JSON.parse(text)
      for (const dep of Object.keys({ ...deps.dependencies, ...deps.optionalDependencies })) await allow(dep)
    }
    for (const name of declared) await allow(name)
    const installed: string[] = []
    for (const name of await readdir(join(dir, 'node_modules')).catch(() => [])) {
      if (name.startsWith('.')) continue
      if (!name.startsWith('@')) installed.push(name)
      else for (const sub of await readdir(join(dir, 'node_modules', name))) installed.push(`${name}/${sub}`)
    }
    for (const name of installed) expect(allowed.has(name), name).toBe(true)
    // The stores' clients, which the bundle leaves outside (as optional peers of the core), resolve from it.
    const fromCli = createRequire(join(dir, 'dist', 'main.cjs'))
    for (const name of ['redis', 'postgres', '@napi-rs/keyring'])
      expect(fromCli.resolve(name), name).toContain(dir)
    for (const name of ['tsx', 'esbuild', 'undici', 'commander', '@aac/core']) {
      expect(existsSync(join(dir, 'node_modules', name)), name).toBe(false)
      expect(existsSync(globalPackageDir(join(work, 'prefix'), name)), name).toBe(false)
    }
    expect((await readdir(join(dir, 'dist'))).sort()).toEqual([
      'THIRD-PARTY-NOTICES.txt',
      'main.cjs',
      'main.cjs.map',
      'proxy-agent.cjs',
    ])
    const { aac } = await user()
    expect(await aac(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' })
  })

  it('aac init writes the per-user folder; aac token, doctor and api use it from any folder', async () => {
    const { aac, configDir, home } = await user()
    const pair = cloud.issueTokens({ expired: true })
    const init = await aac(
      ['init', '--api-url', cloud.url, '--client-id', cloud.projectId],
      {},
      `${pair.accessToken}\n${pair.refreshToken}\n`,
    )
    expect(init.code).toBe(0)
    expect(init.stdout).toContain(`Wrote to ${configDir}`)
    expect(init.stdout + init.stderr).not.toContain(pair.refreshToken)
    expect((await readdir(configDir)).sort()).toEqual(['aac_url.txt', 'client_id.txt', 'creds.json'])

    const before = cloud.stats().refreshes
    const token = await aac(['token'])
    expect(token.code).toBe(0)
    expect(token.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
    expect(cloud.stats().refreshes).toBe(before + 1)
    expect(JSON.parse(await readFile(join(configDir, 'creds.json'), 'utf8')).access_token).toBe(
      token.stdout.trim(),
    )

    const doctor = await aac(['doctor', '--offline'])
    expect(doctor.stdout).toContain(`${configDir} (the per-user folder, $XDG_CONFIG_HOME/aac)`)

    const api = await aac(['api', '/iam/v1/workspaces/current'])
    expect(JSON.parse(api.stdout)).toMatchObject({ name: 'Fake Workspace' })

    // V8's code cache lands in the per-user cache folder (Node 22+ writes its own format there).
    expect((await readdir(join(home, 'cache', 'aac'))).length).toBeGreaterThan(0)
  })

  it('without any config: names every place looked and aac init, exit 3', async () => {
    const { aac, cwd, configDir } = await user()
    const result = await aac(['token'])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(`${cwd} and every folder above it`)
    expect(result.stderr).toContain(`the per-user folder ${configDir}`)
    expect(result.stderr).toContain('Run `aac init`')
    // AAC_DEBUG=1: the stack trace gives the source file and line of each frame (the bundle's names are short).
    const debug = await aac(['token'], { AAC_DEBUG: '1' })
    expect(debug.code).toBe(3)
    expect(debug.stderr).toMatch(/core[\\/]src[\\/]config-dir\.ts:\d+:\d+/)
    expect(debug.stderr).toMatch(/cli[\\/]src[\\/]commands[\\/]token\.ts:\d+:\d+/)
  })

  it('HTTP_PROXY: the proxy agent, a file of its own in the tarball, loads and is used', async () => {
    const { aac } = await user()
    const seen: string[] = []
    const proxy = createServer((_request, response) => response.writeHead(502).end())
    proxy.on('connect', (request, socket) => {
      seen.push(String(request.url))
      socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n')
    })
    proxy.listen(0, '127.0.0.1')
    await once(proxy, 'listening')
    try {
      const port = (proxy.address() as { port: number }).port
      const dir = await mkdtemp(join(work, 'proxied-'))
      await cloud.writeConfig(dir, { expired: false })
      const result = await aac(['api', '/iam/v1/workspaces/current'], {
        AAC_CONFIG_DIR: dir,
        HTTP_PROXY: `http://127.0.0.1:${port}`,
      })
      expect(seen).toContain(new URL(cloud.url).host)
      expect(result.code).toBe(5)
    } finally {
      proxy.closeAllConnections()
      proxy.close()
    }
  })
})

describe('npx in the repository', () => {
  it('npx --no -- aac --version prints aac’s version (without `--`, npx would take --version for itself)', async () => {
    const result = await run('npx', ['--no', '--', 'aac', '--version'], { cwd: ROOT, env: userNpmEnv() })
    expect(result).toMatchObject({ code: 0, stdout: '0.1.0\n' })
  })
})
