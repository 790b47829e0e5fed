// The browser example's dev server with AAC_STORE=keychain: the page refreshes through the bridge, which locks
// and writes the keychain entry (not creds.json), sharing the lock with a Node example. Real chromium, the real
// Vite config, a fake cloud, a real GNOME Keyring (test/keyring.ts).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../packages/core/src/fs.ts'
import { keychainAccount, keychainStorage } from '../../packages/core/src/storage/keychain.ts'
import { nodeExample } from '../../scripts/runtimes.ts'
import {
  type Cloud,
  type DevServer,
  launchChromium,
  startCloud,
  startDevServer,
  text,
  waitForWorkspace,
} from '../browser/harness.ts'
import { ROOT, run } from '../helpers.ts'
import { type KeyringSession, startKeyring } from '../keyring.ts'

const PLACEHOLDERS =
  '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}\n'
const SETTINGS = ['AAC_STORE', 'XDG_STATE_HOME', 'DBUS_SESSION_BUS_ADDRESS'] as const

let keyring: KeyringSession
let browser: Browser
let server: DevServer
let state: string
const before = Object.fromEntries(SETTINGS.map((name) => [name, process.env[name]]))

beforeAll(async () => {
  keyring = await startKeyring()
  state = await mkdtemp(join(tmpdir(), 'aac-keychain-browser-'))
  // The dev server runs in this process and reads the setting at each request, as the examples do at start.
  Object.assign(process.env, {
    AAC_STORE: 'keychain',
    XDG_STATE_HOME: state,
    DBUS_SESSION_BUS_ADDRESS: keyring.address,
  })
  ;[browser, server] = await Promise.all([launchChromium(), startDevServer()])
})
afterAll(async () => {
  await Promise.all([browser?.close(), server?.close()])
  for (const name of SETTINGS) {
    if (before[name] === undefined) delete process.env[name]
    else process.env[name] = before[name]
  }
  await keyring?.stop()
  if (state) await rm(state, { recursive: true, force: true })
})

describe('browser example, AAC_STORE=keychain', () => {
  it('the page refreshes once through the bridge into the keychain entry; creds.json is left alone', {
    timeout: 90_000,
  }, async () => {
    let cloud: Cloud | undefined
    try {
      cloud = await startCloud()
      const loaded = await loadConfig({ dir: cloud.dir, env: {} })
      const entry = keychainStorage({ account: keychainAccount(loaded.config), stateDir: join(state, 'aac') })
      await entry.write(loaded.tokens)
      await writeFile(cloud.creds, PLACEHOLDERS)

      const page = await browser.newPage()
      try {
        await page.goto(server.url)
        await waitForWorkspace(page)
        expect(await text(page, '#workspace-name')).toBe('Fake Workspace')
      } finally {
        await page.context().close()
      }
      const saved = await entry.read()
      expect(saved?.refreshToken).not.toBe(cloud.initial.refreshToken)
      expect(cloud.fake.isRefreshTokenValid(saved?.refreshToken ?? '')).toBe(true)
      expect(await readFile(cloud.creds, 'utf8')).toBe(PLACEHOLDERS)

      // A Node example on the same entry afterwards uses the page's pair as is: no second refresh.
      const example = nodeExample(ROOT)
      const result = await run(example.command, example.args, { env: { AAC_CONFIG_DIR: cloud.dir } })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(cloud.fake.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 })
      await entry.remove()
    } finally {
      await cloud?.stop()
    }
  })
})
