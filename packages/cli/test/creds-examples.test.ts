// After `aac creds move --to keychain`, the programs of the toolkit run from the keychain: `aac token` and
// examples/node/get_workspace.ts at once, on an expired token, make exactly one refresh between them, and no byte
// of either pair is left in creds.json, the config folder or the state folder. All real processes, a real
// GNOME Keyring (test/keyring.ts) and the fake cloud.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keychainAccount } from '@aac/core/storage/keychain'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { nodeExample } from '../../../scripts/runtimes.ts'
import { ROOT, run } from '../../../test/helpers.ts'
import { type KeyringSession, startKeyring } from '../../../test/keyring.ts'
import { asPair, expectExit, expectNoTokenIn, expectNoTokenUnder, movedNote } from './creds-helpers.ts'
import { aac, useCloud } from './helpers.ts'

const fake = useCloud()
let keyring: KeyringSession
let state: string
beforeAll(async () => {
  keyring = await startKeyring()
  state = await mkdtemp(join(tmpdir(), 'aac-creds-examples-state-'))
})
afterAll(async () => {
  await keyring?.stop()
  if (state) await rm(state, { recursive: true, force: true })
})

it('aac token and the Node example, 4 at once from the keychain: one refresh, no token byte in any file', async () => {
  const dir = await fake.tempDir()
  const old = asPair(await fake.cloud.writeConfig(dir, { expired: true }))
  const env = { AAC_CONFIG_DIR: dir, XDG_STATE_HOME: state, ...keyring.env }
  const moved = await aac(['creds', 'move', '--to', 'keychain'], { env })
  expectExit(moved, 0)
  fake.cloud.reset()

  const { command, args } = nodeExample(ROOT)
  const results = await Promise.all([
    aac(['token'], { env }),
    aac(['token'], { env }),
    run(command, args, { env }),
    run(command, args, { env }),
  ])
  for (const result of results) {
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  }
  expect(JSON.parse(results[2]!.stdout)).toMatchObject({ id: 31429 })
  expect(fake.cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 })

  const account = keychainAccount({ apiUrl: fake.cloud.url, projectId: fake.cloud.projectId })
  const stored = JSON.parse(await keyring.secretTool(['lookup', 'service', 'aac', 'username', account])) as {
    access_token: string
    refresh_token: string
  }
  expect(fake.cloud.isRefreshTokenValid(stored.refresh_token)).toBe(true)
  expect(results[0]!.stdout).toBe(`${stored.access_token}\n`)

  // creds.json still holds only the placeholders and the note; no lock or copy beside it; nothing in the state folder.
  expect(JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8'))).toEqual(movedNote('keychain'))
  expect((await readdir(dir)).sort()).toEqual(['aac_url.txt', 'client_id.txt', 'creds.json', 'store.txt'])
  const rotated = { access_token: stored.access_token, refresh_token: stored.refresh_token }
  for (const pair of [old, rotated]) {
    await expectNoTokenUnder(dir, pair)
    await expectNoTokenUnder(state, pair)
  }
  expectNoTokenIn(moved, old)

  const status = await aac(['creds', 'status', '--json'], { env })
  expectExit(status, 0)
  expect(JSON.parse(status.stdout)).toMatchObject({
    store: { setting: 'keychain', source: 'store.txt' },
    pair: { access_token: { expired: false }, interrupted_refresh: null },
  })
  expectNoTokenIn(status, old, rotated)
})
