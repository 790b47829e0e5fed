// The browser example's standalone mode (tokens in localStorage, tabs taking turns through Web Locks), and the
// storage contract run against webStorage inside chromium.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { storageContract } from '../../packages/core/test/storage-contract.ts'
import type { CaseResult } from './fixtures/contract-entry.ts'
import {
  type Cloud,
  type DevServer,
  launchChromium,
  startCloud,
  startDevServer,
  text,
  waitForWorkspace,
} from './harness.ts'

let browser: Browser
let server: DevServer
let cloud: Cloud
let context: BrowserContext

beforeAll(async () => {
  ;[browser, server] = await Promise.all([launchChromium(), startDevServer()])
})
afterAll(async () => {
  await Promise.all([browser?.close(), server?.close()])
})
beforeEach(async () => {
  cloud = await startCloud()
  // One context = one profile: its tabs share localStorage and Web Locks, like a user's tabs.
  context = await browser.newContext()
})
afterEach(async () => {
  await context.close()
  await cloud.stop()
})

function storedPair(page: Page): Promise<{ access_token: string; refresh_token: string } | null> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('aac.tokens') ?? 'null'))
}

describe('browser example, standalone mode', () => {
  it('two tabs with an expired token refresh once between them', async () => {
    const standalone = `${server.url}?mode=standalone`
    const first = await context.newPage()
    await first.goto(standalone)
    await first.waitForSelector('body[data-state="needs-tokens"]')
    expect(await text(first, '#about-standalone h2')).toMatch(/local development only/)

    const pair = cloud.fake.issueTokens({ expired: true })
    await first.evaluate(
      ([access, refresh]) =>
        localStorage.setItem('aac.tokens', JSON.stringify({ access_token: access, refresh_token: refresh })),
      [pair.accessToken, pair.refreshToken],
    )
    // A slow token endpoint keeps the first tab inside the Web Lock while the second one asks for it.
    cloud.fake.inject({ kind: 'delay', ms: 1_000, path: '/as/token' })
    const second = await context.newPage()
    await Promise.all([first.reload(), second.goto(standalone)])
    await Promise.all([waitForWorkspace(first), waitForWorkspace(second)])

    expect(await text(first, '#workspace-name')).toBe('Fake Workspace')
    expect(await text(second, '#workspace-name')).toBe('Fake Workspace')
    expect(await text(second, '#token-location')).toBe('localStorage key "aac.tokens"')
    const stats = cloud.fake.stats()
    expect(stats.refreshes).toBe(1)
    // Reuse of this family's refresh token is what must never happen. (invalidGrants is not asserted: another
    // test file's late request to a port this fake now reuses would show up there with a token it never issued.)
    expect(stats.reuseDetected).toBe(0)
    const stored = await storedPair(second)
    expect(stored?.refresh_token).not.toBe(pair.refreshToken)
    expect(cloud.fake.isRefreshTokenValid(stored?.refresh_token ?? '')).toBe(true)
    // Standalone mode never touches the shared file.
    expect(JSON.parse(await readFile(cloud.creds, 'utf8')).refresh_token).toBe(cloud.initial.refreshToken)
  })

  it('stores a pasted pair and uses it', async () => {
    const page = await context.newPage()
    await page.goto(`${server.url}?mode=standalone`)
    await page.waitForSelector('body[data-state="needs-tokens"]')
    const pair = cloud.fake.issueTokens({ expired: true })
    await page.fill('#seed-access', pair.accessToken)
    await page.fill('#seed-refresh', pair.refreshToken)
    await page.click('#seed-form button[type="submit"]')
    await waitForWorkspace(page)
    expect(await text(page, '#workspace-members')).toBe('137')
    expect(cloud.fake.stats().refreshes).toBe(1)
    expect(cloud.fake.isRefreshTokenValid((await storedPair(page))?.refresh_token ?? '')).toBe(true)
  })

  it('webStorage passes the storage contract in chromium (real localStorage and Web Locks)', async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./fixtures/contract-entry.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'silent',
      plugins: [
        {
          name: 'assert-shim',
          setup(b) {
            const shim = fileURLToPath(new URL('./fixtures/assert-shim.ts', import.meta.url))
            b.onResolve({ filter: /^node:assert\/strict$/ }, () => ({ path: shim }))
          },
        },
      ],
    })
    const page = await context.newPage()
    // Any page of the dev server's origin: a secure context (localhost) with localStorage and navigator.locks.
    await page.goto(`${server.url}?mode=standalone`)
    await page.evaluate(bundle.outputFiles[0]?.text ?? '')
    const results: CaseResult[] = await page.evaluate(() =>
      (globalThis as unknown as { aacContract: { run(): Promise<CaseResult[]> } }).aacContract.run(),
    )
    // Every case the contract defines ran in the page (same options as the entry: the defaults), and passed.
    const expected: string[] = []
    storageContract({ test: (name) => expected.push(name) }, 'webStorage in chromium', async () => {
      throw new Error('only the names are collected here')
    })
    expect(results.map((result) => result.name)).toEqual(expected)
    expect(results.filter((result) => result.error)).toEqual([])
  })
})
