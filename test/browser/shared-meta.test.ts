// The browser example's page, in real chromium, leaves what the next program must know in creds.json through
// the dev server's bridge: the token server's clock offset after a refresh, and the record of a refresh whose
// outcome it could not learn.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type DevServer, launchChromium, startDevServer, waitForWorkspace } from './harness.ts'

let browser: Browser
let server: DevServer
let page: Page | undefined
let fake: FakeCloud | undefined
let dir: string | undefined

beforeAll(async () => {
  ;[browser, server] = await Promise.all([launchChromium(), startDevServer()])
})
afterAll(async () => {
  await Promise.all([browser?.close(), server?.close()])
})
afterEach(async () => {
  await page?.context().close()
  await fake?.stop()
  process.env['AAC_CONFIG_DIR'] = ''
  if (dir) await rm(dir, { recursive: true, force: true })
  page = fake = dir = undefined
})

/** A fake cloud whose clock runs `clockOffsetSeconds` ahead, and a config folder with an expired pair. */
async function setUp(clockOffsetSeconds = 0) {
  fake = await startFakeCloud({ clockOffsetSeconds })
  dir = await mkdtemp(join(tmpdir(), 'aac-browser-meta-'))
  const initial = await fake.writeConfig(dir, { expired: true })
  process.env['AAC_CONFIG_DIR'] = dir
  page = await browser.newPage()
  return { fake, initial, creds: join(dir, 'creds.json') }
}

describe('browser example, shared creds.json: the pair meta', () => {
  it("a refresh leaves the token server's clock offset in creds.json", async () => {
    const { fake, creds } = await setUp(600)
    await page?.goto(server.url)
    await waitForWorkspace(page as Page)
    const file = JSON.parse(await readFile(creds, 'utf8'))
    expect(fake.stats().refreshes).toBe(1)
    expect(fake.isRefreshTokenValid(file.refresh_token)).toBe(true)
    expect(Math.abs(file.aac.clock_offset_ms - 600_000)).toBeLessThan(5_000)
    expect(file.aac).not.toHaveProperty('refresh')
  })

  it('a refresh whose outcome is unknown is recorded in creds.json, so no program sends it again unwarned', async () => {
    const { fake, initial, creds } = await setUp()
    // The token service rotates, then a gateway answers 502: the page cannot know whether the token was spent.
    fake.inject({ kind: 'status', status: 502, path: '/as/token', afterRotate: true })
    await page?.goto(server.url)
    await page?.waitForSelector('body[data-state="error"]', { timeout: 30_000 })
    const file = JSON.parse(await readFile(creds, 'utf8'))
    expect(file.refresh_token).toBe(initial.refreshToken)
    expect(file.aac.refresh).toMatchObject({
      state: 'uncertain',
      token_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    })
    expect(file.aac.refresh.detail).toMatch(/502/)
    expect(fake.stats().tokenRequests).toBe(1)
  })
})
