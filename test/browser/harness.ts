// What the browser tests share: Debian's chromium through playwright-core, the example's own Vite config
// started in-process, and a fake cloud with its config folder, found by the page through AAC_CONFIG_DIR.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import type { Page } from 'playwright-core'
import { startDevServer as startViteDevServer } from '../../scripts/browser.ts'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export { type DevServer, launchChromium } from '../../scripts/browser.ts'

export const startDevServer = () => startViteDevServer(repoRoot)
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

/** The OAuth client of a token pair: the `client_id` claim of its access token. */
export function clientIdOf(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')).client_id
}

/**
 * The token request the page's token manager makes for `cloud`'s pair, through the dev server's proxy at
 * `devUrl` with the page's bridge `key` (and its lease, `lockId`, when it holds one).
 */
export function refreshThroughBridge(request: {
  cloud: Cloud
  devUrl: string
  key: string
  refreshToken: string
  lockId?: string | undefined
  signal?: AbortSignal | undefined
}): Promise<Response> {
  const issuer = new URL(request.cloud.fake.issuer)
  const target = `/__aac/proxy/${encodeURIComponent(issuer.origin)}${issuer.pathname}/token`
  return fetch(new URL(target, request.devUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-aac-bridge': request.key,
      ...(request.lockId !== undefined && { 'x-aac-lock': request.lockId }),
    },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: request.refreshToken,
      client_id: clientIdOf(request.cloud.initial.accessToken),
    }),
    ...(request.signal && { signal: request.signal }),
  })
}
