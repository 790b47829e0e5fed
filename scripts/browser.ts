// Debian's chromium through playwright-core, and the browser example's own Vite dev server started in-process:
// shared by the demo and the browser tests.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { type Browser, chromium } from 'playwright-core'
import { createServer, type ViteDevServer } from 'vite'
import type { AacBridgeApi } from '../examples/browser/server/plugin.ts'
import { KEY_FRAGMENT } from '../examples/browser/src/protocol.ts'

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
  /** `http://localhost:<port>/`: what the page's own HTML is served at (without the key, it gets no bridge). */
  origin: string
  /** The page's address, as `npm run browser` prints it: `http://localhost:<port>/#key=<this run's key>`. */
  url: string
  /** `path` (with its query: `/?mode=standalone`) on this server, with this run's key in the fragment. */
  address(path: string): string
  /** This run's bridge key, which every bridge call carries (the page takes it from the address). */
  key: string
  close(): Promise<void>
}

/**
 * Where the page of a listening dev server is, with this run's key from its aac-bridge plugin: what
 * `npm run browser` prints and opens.
 */
export function pageOf(server: ViteDevServer): Omit<DevServer, 'close'> {
  const origin = server.resolvedUrls?.local[0]
  if (!origin) throw new Error('the dev server did not report its URL')
  const bridge = server.config.plugins.find((plugin) => plugin.name === 'aac-bridge')?.api as
    | AacBridgeApi
    | undefined
  if (!bridge) throw new Error('the dev server runs without the aac-bridge plugin')
  const address = (path: string) => bridge.pageAddress(new URL(path, origin).href)
  const url = address('/')
  return {
    origin,
    url,
    address,
    key: new URLSearchParams(new URL(url).hash.slice(1)).get(KEY_FRAGMENT) ?? '',
  }
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
  return {
    ...pageOf(server),
    async close() {
      await server.close()
      await rm(cacheDir, { recursive: true, force: true })
    },
  }
}
