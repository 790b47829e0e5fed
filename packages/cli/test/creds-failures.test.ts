// `aac creds` when the keychain cannot be used: no session bus, a bus with no Secret Service, a locked keyring.
// Each run is the real `aac` in a process of its own (libdbus keeps the first bus a process connects to, so this
// process never connects to one). Every failure must name the store and the fix, exit 6, and lose nothing: the
// old place byte for byte as it was.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keychainAccount } from '@aac/core/storage/keychain'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KeyringSession, startBus, startKeyring } from '../../../test/keyring.ts'
import { asPair, expectExit, expectNoTokenIn, movedNote, type Pair } from './creds-helpers.ts'
import { aac, type Result, useCloud } from './helpers.ts'

const fake = useCloud()
let state: string
beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), 'aac-creds-failures-state-'))
})
afterAll(async () => {
  if (state) await rm(state, { recursive: true, force: true })
})

async function setup(): Promise<{ dir: string; pair: Pair; creds: Buffer }> {
  const dir = await fake.tempDir()
  const pair = asPair(await fake.cloud.writeConfig(dir))
  return { dir, pair, creds: await readFile(join(dir, 'creds.json')) }
}

/** The real aac, on the bus `bus` names (undefined: no DBUS_SESSION_BUS_ADDRESS at all). */
function creds(
  dir: string,
  args: string[],
  bus: string | undefined,
  extra: Record<string, string> = {},
  input?: string,
) {
  return aac(['creds', ...args], {
    env: { AAC_CONFIG_DIR: dir, XDG_STATE_HOME: state, DBUS_SESSION_BUS_ADDRESS: bus, ...extra },
    ...(input !== undefined && { input }),
  })
}

async function expectUnchanged(dir: string, creds: Buffer): Promise<void> {
  expect((await readFile(join(dir, 'creds.json'))).equals(creds), 'creds.json changed').toBe(true)
}

function expectNoService(result: Result, account: string): void {
  expectExit(result, 6)
  expect(result.stderr).toContain(`keychain entry "aac" › "${account}": no keychain service answered`)
  expect(result.stderr).toContain('gnome-keyring-daemon --unlock')
  expect(result.stderr).toContain('or keep the pair in creds.json with owner-only permissions instead')
}

describe.each([
  ['no session bus at all', async () => ({ address: undefined, stop: async () => undefined })],
  ['a session bus with no Secret Service on it', () => startBus()],
] as const)('%s', (_name, startIt) => {
  it('move --to keychain, import and status: exit 6 naming the fixes; creds.json byte-identical, no store.txt', async () => {
    const bus = await startIt()
    try {
      const { dir, pair, creds: before } = await setup()
      const account = keychainAccount({ apiUrl: fake.cloud.url, projectId: fake.cloud.projectId })
      const move = await creds(dir, ['move', '--to', 'keychain'], bus.address)
      expectNoService(move, account)
      await expectUnchanged(dir, before)
      await expect(readFile(join(dir, 'store.txt'))).rejects.toMatchObject({ code: 'ENOENT' })

      const fresh = asPair(fake.cloud.issueTokens())
      const imported = await creds(
        dir,
        ['import', '--to', 'keychain'],
        bus.address,
        {},
        JSON.stringify(fresh),
      )
      expectNoService(imported, account)

      const status = await creds(dir, ['status'], bus.address, { AAC_STORE: 'keychain' })
      expectNoService(status, account)
      expect(status.stdout).toContain(`store      keychain entry "aac" › "${account}"`)
      for (const result of [move, imported, status]) expectNoTokenIn(result, pair, fresh)
      await expectUnchanged(dir, before)
    } finally {
      await bus.stop()
    }
  })
})

describe('a locked keyring', () => {
  let keyring: KeyringSession
  beforeAll(async () => {
    keyring = await startKeyring()
  })
  afterAll(async () => {
    await keyring?.stop()
  })

  it('move out of it, move into it, status: exit 6 saying it is locked and how to unlock it; nothing lost', async () => {
    const { dir, pair } = await setup()
    const account = keychainAccount({ apiUrl: fake.cloud.url, projectId: fake.cloud.projectId })
    expectExit(await creds(dir, ['move', '--to', 'keychain'], keyring.address), 0)
    const note = await readFile(join(dir, 'creds.json'))
    expect(JSON.parse(note.toString())).toEqual(movedNote('keychain'))
    await keyring.lock()

    const out = await creds(dir, ['move', '--to', 'file'], keyring.address)
    const status = await creds(dir, ['status'], keyring.address)
    for (const result of [out, status]) {
      expectExit(result, 6)
      expect(result.stderr).toContain(`keychain entry "aac" › "${account}": the keychain is locked`)
      expect(result.stderr).toContain('Unlock it and run again')
      expectNoTokenIn(result, pair)
    }
    await expectUnchanged(dir, note)
    expect(await readFile(join(dir, 'store.txt'), 'utf8')).toMatch(/\nkeychain\n$/)

    // Into a locked keyring from another config's creds.json: refused before anything is written.
    const other = await setup()
    await writeFile(join(other.dir, 'store.txt'), 'file\n')
    const into = await creds(other.dir, ['move', '--to', 'keychain:other'], keyring.address)
    expectExit(into, 6)
    expect(into.stderr).toContain('the keychain is locked')
    await expectUnchanged(other.dir, other.creds)
    expect(await readFile(join(other.dir, 'store.txt'), 'utf8')).toBe('file\n')

    // Unlocked again, the entry still holds the pair, and it moves back.
    await keyring.unlock()
    const back = await creds(dir, ['move', '--to', 'file'], keyring.address)
    expectExit(back, 0)
    expect(JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8'))).toEqual(pair)
  })
})
