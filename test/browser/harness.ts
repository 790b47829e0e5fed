// What the browser tests share: Debian's chromium through playwright-core, the example's own Vite config
// started in-process, and a fake cloud with its config folder, found by the page through AAC_CONFIG_DIR.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { type Browser, chromium, type Page } from 'playwright-core'
import { createServer, type ViteDevServer } from 'vite'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const CHROMIUM = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium'

/** Fails, never skips, when chromium is missing: a green run must mean the browser was tested. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Debian's chromium at ${CHROMIUM} (or CHROMIUM_PATH). Install it with ` +
        '`apt-get update && apt-get install -y chromium` (as root; .ci/run does this). Never `playwright install`.',
    )
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

export interface DevServer {
  /** `http://localhost:<port>/` */
  url: string
  close(): Promise<void>
}

/** examples/browser/vite.config.ts, as `npm run browser` loads it, on a free port and without opening a browser. */
export async function startDevServer(): Promise<DevServer> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'aac-vite-cache-'))
  const server: ViteDevServer = await createServer({
    configFile: join(repoRoot, 'examples/browser/vite.config.ts'),
    configLoader: 'runner',
    cacheDir,
    logLevel: 'warn',
    server: { port: 0, strictPort: false, open: false, watch: null },
  })
  await server.listen()
  const url = server.resolvedUrls?.local[0]
  if (!url) throw new Error('the dev server did not report its URL')
  return {
    url,
    async close() {
      await server.close()
      await rm(cacheDir, { recursive: true, force: true })
    },
  }
}

export interface Cloud {
  fake: FakeCloud
  /** The config folder: aac_url.txt, client_id.txt, creds.json, and the page's AAC_CONFIG_DIR. */
  dir: string
  creds: string
  /** The pair written to creds.json at start. */
  initial: { accessToken: string; refreshToken: string }
  stop(): Promise<void>
}

/**
 * A fake cloud and a config folder holding an expired access token, pointed at by AAC_CONFIG_DIR: the dev
 * server reads it at each request, like every example does at start.
 */
export async function startCloud(): Promise<Cloud> {
  const fake = await startFakeCloud()
  const dir = await mkdtemp(join(tmpdir(), 'aac-browser-'))
  const initial = await fake.writeConfig(dir, { expired: true })
  process.env['AAC_CONFIG_DIR'] = dir
  return {
    fake,
    dir,
    creds: join(dir, 'creds.json'),
    initial,
    async stop() {
      process.env['AAC_CONFIG_DIR'] = ''
      await fake.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Waits until the page shows the workspace; if it shows its error panel instead, fails with that text. */
export async function waitForWorkspace(page: Page): Promise<void> {
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 })
  if ((await page.getAttribute('body', 'data-state')) === 'error') {
    throw new Error(`the page shows an error: ${await page.textContent('#error-message')}`)
  }
}

export async function text(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector)) ?? '').trim()
}
