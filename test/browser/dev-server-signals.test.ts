// `npm run browser`'s dev server, a real Vite process, stopped by a signal (SIGTERM from a service manager,
// Ctrl-C's SIGINT, a closed terminal's SIGHUP) while a token request it forwarded for the page is in flight:
// it finishes that request, saves the new pair, and exits 128 + the signal's number. A second signal quits at
// once.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freePort } from '../servers/common.ts'
import { type Cloud, refreshThroughBridge, repoRoot, startCloud } from './harness.ts'

interface Vite {
  child: ChildProcess
  url: string
  key: string
  /** stdout and stderr so far. */
  output(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

let cloud: Cloud
let vite: Vite | undefined

beforeEach(async () => {
  cloud = await startCloud()
})
afterEach(async () => {
  if (vite && vite.child.exitCode === null && vite.child.signalCode === null) {
    vite.child.kill('SIGKILL')
    await vite.exited
  }
  vite = undefined
  await cloud.stop()
})

/** The Vite CLI as `npm run browser` runs it, on the fake cloud's config folder. */
async function startVite(env: NodeJS.ProcessEnv = { BROWSER: 'none' }): Promise<Vite> {
  const port = await freePort()
  // package.json's browser:run, without npm in between: the signals must reach Vite itself.
  const scripts = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<
    string,
    string
  >
  const [bin = 'vite', ...args] = (scripts['browser:run'] ?? '').split(' ')
  const child = spawn(join(repoRoot, 'node_modules/.bin', bin), [...args, '--port', String(port)], {
    cwd: repoRoot,
    env: { ...process.env, AAC_CONFIG_DIR: cloud.dir, AAC_DEBUG: '', PORT: '', ...env },
    // stdin stays open: Vite closes when it ends.
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  const url = `http://localhost:${port}/`
  // The key, from the page's address as Vite's terminal shows it (the served HTML holds none).
  let key = ''
  for (let waited = 0; key === ''; waited += 100) {
    if (waited > 30_000 || child.exitCode !== null) throw new Error(`Vite did not start:\n${output}`)
    const printed = new RegExp(`Page: +${url}#key=([\\w-]+)`).exec(output)?.[1] ?? ''
    if (
      printed &&
      (await fetch(url).then(
        (response) => response.ok,
        () => false,
      ))
    )
      key = printed
    else await new Promise((resolve) => setTimeout(resolve, 100))
  }
  vite = { child, url, key, output: () => output, exited }
  return vite
}

async function acquire(dev: Vite): Promise<string> {
  const response = await fetch(new URL('/__aac/lock/acquire', dev.url), {
    method: 'POST',
    headers: { 'x-aac-bridge': dev.key },
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { lockId: string }).lockId
}

/** The page's refresh through the dev server, held `ms` by the token service after it rotated. */
async function refreshHeld(dev: Vite, ms: number, refreshToken: string, lockId?: string): Promise<void> {
  cloud.fake.inject({ kind: 'late-after-rotate', ms })
  void refreshThroughBridge({
    devUrl: dev.url,
    key: dev.key,
    cloud,
    refreshToken,
    lockId,
  }).catch(() => undefined)
  for (let waited = 0; cloud.fake.stats().tokenRequests === 0; waited += 20) {
    if (waited > 15_000) throw new Error('the token service never got the request')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function creds(): Promise<{ refresh_token: string }> {
  return JSON.parse(await readFile(cloud.creds, 'utf8'))
}

const CODES = { SIGTERM: 143, SIGINT: 130, SIGHUP: 129 } as const

describe('browser example dev server (the Vite CLI): stopped by a signal during a token refresh', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal}: saves the rotated pair to creds.json, then exits ${CODES[signal]}`, async () => {
      const dev = await startVite()
      const lockId = await acquire(dev)
      await refreshHeld(dev, 1500, cloud.initial.refreshToken, lockId)
      dev.child.kill(signal)
      const { code } = await dev.exited

      expect(code, dev.output()).toBe(CODES[signal])
      const stored = await creds()
      expect(stored.refresh_token).not.toBe(cloud.initial.refreshToken)
      expect(cloud.fake.isRefreshTokenValid(stored.refresh_token)).toBe(true)
      expect(cloud.fake.stats().refreshes).toBe(1)
      const files = await readdir(cloud.dir)
      expect(files).not.toContain('creds.json.lock')
      expect(files.filter((name) => name.startsWith('creds.json.recovered-'))).toEqual([])
      expect(dev.output()).toMatch(/finishing a token refresh already sent/)
      expect(dev.output()).not.toContain(stored.refresh_token)
    })
  }

  it('SIGTERM without a lease (standalone mode): the rotated pair goes to a recovery file', async () => {
    const dev = await startVite()
    const own = cloud.fake.issueTokens({ expired: true })
    await refreshHeld(dev, 1000, own.refreshToken)
    dev.child.kill('SIGTERM')
    expect((await dev.exited).code).toBe(143)
    const recovered = (await readdir(cloud.dir)).filter((name) => name.startsWith('creds.json.recovered-'))
    expect(recovered).toHaveLength(1)
    const kept = JSON.parse(await readFile(join(cloud.dir, recovered[0] ?? ''), 'utf8'))
    expect(cloud.fake.isRefreshTokenValid(kept.refresh_token)).toBe(true)
    expect((await creds()).refresh_token).toBe(cloud.initial.refreshToken)
  })

  it('a second signal quits at once', async () => {
    const dev = await startVite()
    const lockId = await acquire(dev)
    await refreshHeld(dev, 20_000, cloud.initial.refreshToken, lockId)
    dev.child.kill('SIGINT')
    for (let waited = 0; !/finishing a token refresh/.test(dev.output()); waited += 20) {
      if (waited > 15_000) throw new Error(`no notice:\n${dev.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    // Not a copy of the first (npm forwards Ctrl-C's SIGINT to its child, which gets the terminal's too).
    await new Promise((resolve) => setTimeout(resolve, 600))
    const began = Date.now()
    dev.child.kill('SIGINT')
    expect((await dev.exited).code).toBe(130)
    expect(Date.now() - began).toBeLessThan(5_000)
  })

  it('the same signal twice at once (Ctrl-C under npm) is one request: the refresh still finishes', async () => {
    const dev = await startVite()
    const lockId = await acquire(dev)
    await refreshHeld(dev, 1500, cloud.initial.refreshToken, lockId)
    dev.child.kill('SIGINT')
    dev.child.kill('SIGINT')
    expect((await dev.exited).code).toBe(130)
    const stored = await creds()
    expect(stored.refresh_token).not.toBe(cloud.initial.refreshToken)
    expect(cloud.fake.isRefreshTokenValid(stored.refresh_token)).toBe(true)
  })

  it('opens the page through a private forwarding file (no key in any argument), which goes when Vite exits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aac-fake-browser-'))
    try {
      // A stand-in browser: writes down the arguments it was started with.
      const fake = join(dir, 'browser.sh')
      await writeFile(
        fake,
        `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv.tmp" && mv "${dir}/argv.tmp" "${dir}/argv"\n`,
        {
          mode: 0o755,
        },
      )
      const dev = await startVite({ BROWSER: fake })
      for (let waited = 0; !existsSync(join(dir, 'argv')); waited += 50) {
        if (waited > 15_000) throw new Error(`the browser was never started:\n${dev.output()}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const argv = await readFile(join(dir, 'argv'), 'utf8')
      expect(argv).not.toContain(dev.key)
      const file = fileURLToPath(argv.trim())
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect(await readFile(file, 'utf8')).toContain(`url=${dev.url}#key=${dev.key}"`)
      // Vite's own line for the bare address is replaced by the page's address.
      expect(dev.output()).not.toMatch(/Local:/)
      expect(dev.output()).not.toMatch(/Could not open a browser/)
      dev.child.kill('SIGTERM')
      expect((await dev.exited).code).toBe(143)
      expect(existsSync(dirname(file))).toBe(false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('with nothing in flight, exits at once', async () => {
    const dev = await startVite()
    const began = Date.now()
    dev.child.kill('SIGHUP')
    expect((await dev.exited).code).toBe(129)
    expect(Date.now() - began).toBeLessThan(5_000)
    expect(dev.output()).not.toMatch(/finishing a token refresh/)
  })
})
