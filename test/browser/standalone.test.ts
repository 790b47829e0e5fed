// The browser example's standalone mode (tokens in IndexedDB, tabs taking turns through Web Locks), and the
// storage contract run against webStorage inside chromium.
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { storeContracts } from '../../packages/core/test/storage-stores.ts'
import { AREA_CASES } from './fixtures/area-cases.ts'
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
  // One context = one profile: its tabs share IndexedDB and Web Locks, like a user's tabs.
  context = await browser.newContext()
})
afterEach(async () => {
  await context.close()
  await cloud.stop()
})

/**
 * Runs `body`, the source of a function of an object store, in one transaction on IndexedDB "aac" › tokens of
 * the page's origin, where the page keeps its pair, and returns its request's result. A string expression, not a
 * function: tsx compiles this file with esbuild, which adds `__name(...)` calls the page does not have.
 */
function inTokenStore(page: Page, mode: 'readonly' | 'readwrite', body: string): Promise<unknown> {
  return page.evaluate(`(async () => {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open('aac')
      request.onupgradeneeded = () => request.result.createObjectStore('tokens')
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
    try {
      return await new Promise((resolve, reject) => {
        const transaction = db.transaction('tokens', ${JSON.stringify(mode)})
        const request = (${body})(transaction.objectStore('tokens'))
        transaction.oncomplete = () => resolve(request.result)
        transaction.onabort = () => reject(transaction.error)
      })
    } finally {
      db.close()
    }
  })()`)
}

async function storedPair(page: Page): Promise<{ access_token: string; refresh_token: string } | null> {
  const text = await inTokenStore(page, 'readonly', `(store) => store.get('aac.tokens')`)
  return typeof text === 'string' ? JSON.parse(text) : null
}

function storePair(page: Page, pair: { accessToken: string; refreshToken: string }): Promise<unknown> {
  const text = JSON.stringify({ access_token: pair.accessToken, refresh_token: pair.refreshToken })
  return inTokenStore(page, 'readwrite', `(store) => store.put(${JSON.stringify(text)}, 'aac.tokens')`)
}

let bundle: Promise<string> | undefined

/** contract-entry.ts for the page: exposes `aacContract.run()` and `aacContract.count(key, times)`. */
function contractBundle(): Promise<string> {
  bundle ??= build({
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
  }).then((result) => result.outputFiles[0]?.text ?? '')
  return bundle
}

describe('browser example, standalone mode', () => {
  it('two tabs with an expired token refresh once between them', async () => {
    const standalone = server.address('/?mode=standalone')
    const first = await context.newPage()
    await first.goto(standalone)
    await first.waitForSelector('body[data-state="needs-tokens"]')
    expect(await text(first, '#about-standalone h2')).toMatch(/local development only/)

    const pair = cloud.fake.issueTokens({ expired: true })
    await storePair(first, pair)
    // A slow token endpoint keeps the first tab inside the Web Lock while the second one asks for it.
    cloud.fake.inject({ kind: 'delay', ms: 1_000, path: '/as/token' })
    const second = await context.newPage()
    await Promise.all([first.reload(), second.goto(standalone)])
    await Promise.all([waitForWorkspace(first), waitForWorkspace(second)])

    expect(await text(first, '#workspace-name')).toBe('Fake Workspace')
    expect(await text(second, '#workspace-name')).toBe('Fake Workspace')
    expect(await text(second, '#token-location')).toBe('IndexedDB "aac" › tokens › "aac.tokens"')
    const stats = cloud.fake.stats()
    expect(stats.refreshes).toBe(1)
    // The second tab read the rotated pair under the lock: it never sent the dead refresh token.
    expect(stats.reuseDetected).toBe(0)
    expect(stats.invalidGrants).toBe(0)
    const stored = await storedPair(second)
    expect(stored?.refresh_token).not.toBe(pair.refreshToken)
    expect(cloud.fake.isRefreshTokenValid(stored?.refresh_token ?? '')).toBe(true)
    // Standalone mode never touches the shared file.
    expect(JSON.parse(await readFile(cloud.creds, 'utf8')).refresh_token).toBe(cloud.initial.refreshToken)
  })

  it('stores a pasted pair and uses it', async () => {
    const page = await context.newPage()
    await page.goto(server.address('/?mode=standalone'))
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

  it('webStorage passes the storage contract in chromium (real IndexedDB and Web Locks)', async () => {
    const page = await context.newPage()
    // Any page of the dev server's origin: a secure context (localhost) with IndexedDB and navigator.locks.
    await page.goto(server.address('/?mode=standalone'))
    await page.evaluate(await contractBundle())
    const results: CaseResult[] = await page.evaluate('aacContract.run()')
    // Every case the contract defines ran in the page (same options as the entry: the defaults), then the
    // indexedDbArea checks, and all passed.
    const expected: string[] = []
    storeContracts({ test: (name) => expected.push(name) }, { browser: true, label: 'in chromium' })
    expect(results.map((result) => result.name)).toEqual([...expected, ...AREA_CASES])
    expect(results.filter((result) => result.error)).toEqual([])
  })

  it('tabs taking turns through webStorage lose no update: each reads what the last one wrote', async () => {
    // The lock alone is not enough: with localStorage, Chromium let a tab that took the lock read a stale copy.
    const pages = await Promise.all([1, 2].map(() => context.newPage()))
    const code = await contractBundle()
    for (const page of pages) {
      await page.goto(server.address('/?mode=standalone'))
      await page.evaluate(code)
    }
    const key = `aac.counter.${randomUUID()}`
    const times = 150
    await Promise.all(
      pages.map((page) => page.evaluate(`aacContract.count(${JSON.stringify(key)}, ${times})`)),
    )
    expect(await pages[0]?.evaluate(`aacContract.count(${JSON.stringify(key)}, 0)`)).toBe(
      times * pages.length,
    )
  })
})
