// Debian's chromium through playwright-core, and the browser example's own Vite dev server started in-process:
// shared by the demo and the browser tests.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { type Browser, chromium } from 'playwright-core'
import { createServer, type ViteDevServer } from 'vite'

export const CHROMIUM = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium'

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
export async function startDevServer(repoRoot: string): Promise<DevServer> {
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
