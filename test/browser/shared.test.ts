// The browser example in its default mode: the page shares creds.json with the CLI examples through the dev
// server, under the same lock. Real chromium, the real Vite config, a fake cloud.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { nodeExample } from '../../scripts/runtimes.ts'
import {
  type Cloud,
  type DevServer,
  launchChromium,
  repoRoot,
  startCloud,
  startDevServer,
  text,
  waitForWorkspace,
} from './harness.ts'

let browser: Browser
let server: DevServer
let cloud: Cloud
let page: Page

beforeAll(async () => {
  ;[browser, server] = await Promise.all([launchChromium(), startDevServer()])
})
afterAll(async () => {
  await Promise.all([browser?.close(), server?.close()])
})
beforeEach(async () => {
  cloud = await startCloud()
  page = await browser.newPage({ viewport: { width: 900, height: 1000 } })
})
afterEach(async () => {
  await page.context().close()
  await cloud.stop()
})

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 25) {
    if (waited > 15_000) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function credsFile(): Promise<{ access_token: string; refresh_token: string }> {
  return JSON.parse(await readFile(cloud.creds, 'utf8'))
}

/** `tsx examples/node/get_workspace.ts`, as the demo runs it, on the same config folder. */
function runNodeExample(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = nodeExample(repoRoot)
  return new Promise((resolve, reject) => {
    const child = spawn(run.command, run.args, {
      cwd: repoRoot,
      env: { ...process.env, AAC_CONFIG_DIR: cloud.dir, AAC_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('browser example, the address with the key', () => {
  it('takes the key out of the address bar and keeps it: a reload and a second tab at the bare address work', async () => {
    // One browser profile (a context) with two tabs: what a user's browser is.
    const context = await browser.newContext()
    try {
      const first = await context.newPage()
      await first.goto(server.url)
      await waitForWorkspace(first)
      expect(first.url()).toBe(server.origin)
      await first.reload()
      await waitForWorkspace(first)
      expect(await text(first, '#workspace-name')).toBe('Fake Workspace')
      const second = await context.newPage()
      await second.goto(server.origin)
      await waitForWorkspace(second)
      expect(cloud.fake.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 })
    } finally {
      await context.close()
    }
  })

  it('opened without the key (another tab, another user): says which address to open, and touches nothing', async () => {
    const before = await readFile(cloud.creds, 'utf8')
    await page.goto(server.origin)
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 })
    const message = await text(page, '#error-message')
    expect(message).toContain('npm run browser')
    expect(message).toContain('#key=')
    expect(cloud.fake.stats().requests).toBe(0)
    expect(await readFile(cloud.creds, 'utf8')).toBe(before)
  })

  it('the address of an earlier run (a restarted dev server): refused, with what to do', async () => {
    await page.goto(server.address('/').replace(/#key=.*/, '#key=from-an-earlier-run'))
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 })
    expect(await text(page, '#error-message')).toMatch(/open the address `npm run browser` printed/)
    expect(cloud.fake.stats().requests).toBe(0)
  })

  it('opens through a file only this user can read, which forwards to the address: the key is in no argument', async () => {
    const { pageOpener } = await import('../../examples/browser/server/page-address.ts')
    const dir = await mkdtemp(join(tmpdir(), 'aac-opener-'))
    // A stand-in browser: records the arguments it was started with.
    const fake = join(dir, 'browser.sh')
    await writeFile(
      fake,
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv.tmp" && mv "${dir}/argv.tmp" "${dir}/argv"\n`,
      {
        mode: 0o755,
      },
    )
    const warnings: string[] = []
    const opener = pageOpener({
      env: { BROWSER: fake },
      info: () => undefined,
      warn: (m) => warnings.push(m),
    })
    let file = ''
    try {
      await opener.open(server.url)
      await until(() => existsSync(join(dir, 'argv')))
      const argv = await readFile(join(dir, 'argv'), 'utf8')
      expect(argv).not.toContain(server.key)
      file = fileURLToPath(argv.trim())
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect((await stat(dirname(file))).mode & 0o777).toBe(0o700)
      // Chromium, handed that file, lands on the page, which shows the workspace with the key the file carried.
      await page.goto(pathToFileURL(file).href)
      await page.waitForURL(server.origin, { timeout: 30_000 })
      await waitForWorkspace(page)
      expect(warnings).toEqual([])
    } finally {
      opener.remove()
      await rm(dir, { recursive: true, force: true })
    }
    expect(existsSync(dirname(file))).toBe(false)
  })

  it('a browser that cannot be started is a warning that points at the printed address', async () => {
    const { pageOpener } = await import('../../examples/browser/server/page-address.ts')
    const warnings: string[] = []
    const opener = pageOpener({
      env: { BROWSER: '/nonexistent/browser' },
      info: () => undefined,
      warn: (m) => warnings.push(m),
    })
    try {
      await opener.open(server.url)
      await until(() => warnings.length > 0)
    } finally {
      opener.remove()
    }
    expect(warnings).toEqual([
      expect.stringMatching(/^\[aac\] Could not open a browser .*open the page's address printed above\.$/),
    ])
    expect(warnings.join('')).not.toContain(server.key)
  })
})

describe('browser example, shared creds.json', () => {
  it('shows the workspace after one refresh and leaves the rotated pair in creds.json', async () => {
    await page.goto(server.url)
    await waitForWorkspace(page)

    expect(await text(page, '#workspace-name')).toBe('Fake Workspace')
    expect(await text(page, '#workspace-tier')).toBe('enterprise_cloud22')
    // The documented fields, from the one answer: workspace_member_count and createdAt.
    expect(await text(page, '#workspace-members')).toBe('137')
    expect(await page.getAttribute('#workspace-created', 'title')).toBe('2024-03-14T09:26:53.000Z')
    expect(await text(page, '#workspace-created')).toMatch(/2024/)
    expect(await text(page, '#workspace-url')).toBe('fake.us1.alteryxcloud.com')
    expect(await page.getAttribute('#workspace-url a', 'href')).toBe('https://fake.us1.alteryxcloud.com')
    expect(await text(page, '#token-location')).toBe(cloud.creds)
    expect(await text(page, '#token-expires')).toMatch(/^\d+ min \d+ s$|^\d+ s$/)
    expect(await text(page, '#token-stats')).toMatch(/^1 refresh · /)
    expect(JSON.parse(await text(page, '#workspace-json'))).toMatchObject({
      name: 'Fake Workspace',
      id: 31429,
    })

    const stats = cloud.fake.stats()
    expect(stats.refreshes).toBe(1)
    expect(stats.invalidGrants).toBe(0)
    // No second request for the member count: the workspace answer states it.
    expect(Object.keys(stats.byRoute).filter((route) => route.includes('/v4/'))).toEqual([])
    const stored = await credsFile()
    expect(stored.refresh_token).not.toBe(cloud.initial.refreshToken)
    expect(stored.access_token).not.toBe(cloud.initial.accessToken)
    expect(cloud.fake.isRefreshTokenValid(stored.refresh_token)).toBe(true)

    // A token must never reach the page's text (the raw JSON is the API's answer, not ours).
    const body = (await page.textContent('body')) ?? ''
    expect(body).not.toContain(stored.access_token)
    expect(body).not.toContain(stored.refresh_token)

    await mkdir(join(repoRoot, 'test-results'), { recursive: true })
    await page.screenshot({ path: join(repoRoot, 'test-results/browser-workspace.png'), fullPage: true })
  })

  it('shares one refresh with 4 Node examples running at the same time', async () => {
    // A slow token endpoint keeps the first refresher inside the lock while the others arrive.
    cloud.fake.inject({ kind: 'delay', ms: 1_000, path: '/as/token' })
    const scripts = Array.from({ length: 4 }, runNodeExample)
    await page.goto(server.url)
    const [results] = await Promise.all([Promise.all(scripts), waitForWorkspace(page)])

    for (const result of results) {
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toMatchObject({ name: 'Fake Workspace' })
    }
    expect(await text(page, '#workspace-name')).toBe('Fake Workspace')
    const stats = cloud.fake.stats()
    expect(stats.refreshes).toBe(1)
    expect(stats.invalidGrants).toBe(0)
    expect(stats.reuseDetected).toBe(0)
    expect(cloud.fake.isRefreshTokenValid((await credsFile()).refresh_token)).toBe(true)
  })

  it('shows the same actionable message as the CLI example for a bad creds.json', async () => {
    await writeFile(
      cloud.creds,
      '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}\n',
    )
    const cli = await runNodeExample()
    expect(cli.code).toBe(1)

    await page.goto(server.url)
    await page.waitForSelector('body[data-state="error"]')
    expect(await text(page, '#error-message')).toBe(cli.stderr.trim())
    expect(cli.stderr).toContain('placeholder')
    expect(await text(page, '#error-title')).toBe('Fix the config files')
    // Its URL is a link to the page where tokens are generated.
    expect(await page.getAttribute('#error-message a', 'href')).toMatch(
      /^https:\/\/us1\.alteryxcloud\.com\/cloud-portal\/preferences\/oauth2-api-tokens/,
    )
    expect(cloud.fake.stats().requests).toBe(0)
  })

  it('keeps the rotated pair in one recovery file, and says where, when another program took the lock over', async () => {
    const before = await readFile(cloud.creds, 'utf8')
    // The page's refresh is at the token endpoint when another program takes creds.json.lock over.
    cloud.fake.inject({ kind: 'delay', ms: 1_000, path: '/as/token' })
    await page.goto(server.url)
    await until(() => (cloud.fake.stats().byRoute['POST /as/token'] ?? 0) > 0)
    const lockPath = `${cloud.creds}.lock`
    const other = { pid: process.pid, host: hostname(), token: 'another-program', time: Date.now() }
    await writeFile(`${lockPath}.other`, JSON.stringify(other))
    await rename(`${lockPath}.other`, lockPath)

    await page.waitForSelector('body[data-state="error"]')
    // The pair as it was, with the record the page wrote before it sent the refresh token: the next program
    // to take the lock finds the recovery file (a newer pair) and finishes the save.
    const file = JSON.parse(await readFile(cloud.creds, 'utf8'))
    expect({ access_token: file.access_token, refresh_token: file.refresh_token }).toEqual(JSON.parse(before))
    expect(file.aac.refresh).toMatchObject({ state: 'sent', program: 'a web page' })
    const recovered = (await readdir(cloud.dir)).filter((name) => name.startsWith('creds.json.recovered-'))
    expect(recovered).toHaveLength(1)
    const kept = JSON.parse(await readFile(join(cloud.dir, recovered[0] ?? ''), 'utf8'))
    expect(cloud.fake.isRefreshTokenValid(kept.refresh_token)).toBe(true)
    const message = await text(page, '#error-message')
    expect(message).toContain(join(cloud.dir, recovered[0] ?? ''))
    expect(message).toMatch(/TOKENS_NOT_SAVED/)
    expect(message).not.toContain(kept.refresh_token)
  })

  it('forwards only to the configured hosts, and only for its own pages', async () => {
    await page.goto(server.url)
    await waitForWorkspace(page)
    const statuses = await page.evaluate(async (apiUrl) => {
      const key = localStorage.getItem('aac.bridgeKey') ?? ''
      const bridge = { 'x-aac-bridge': key }
      const status = (path: string, init: RequestInit = {}) => fetch(path, init).then((r) => r.status)
      const via = (origin: string, path: string) => `/__aac/proxy/${encodeURIComponent(origin)}${path}`
      return {
        configured: await status(via(apiUrl, '/iam/v1/workspaces/current'), { headers: bridge }),
        elsewhere: await status(via('https://example.com', '/'), { headers: bridge }),
        otherLoopback: await status(via('http://127.0.0.1:9', '/as/token'), {
          method: 'POST',
          headers: bridge,
        }),
        foreignToken: await status(via('https://evil.example', '/as/token'), {
          method: 'POST',
          headers: bridge,
        }),
        withoutHeader: await status('/__aac/storage/read', { method: 'POST' }),
        oldHeader: await status('/__aac/storage/read', { method: 'POST', headers: { 'x-aac-bridge': '1' } }),
      }
    }, new URL(cloud.fake.url).origin)
    // The configured host answers for itself (401: no token sent); everything else is refused by the bridge.
    expect(statuses).toEqual({
      configured: 401,
      elsewhere: 403,
      otherLoopback: 403,
      foreignToken: 403,
      withoutHeader: 403,
      oldHeader: 403,
    })
  })
})
