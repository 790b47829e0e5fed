// A test file's Secret Service: the keyring of test/keyring.ts started before the file's tests, this process
// pointed at it (DBUS_SESSION_BUS_ADDRESS, put back after), and an empty state folder for the keychain store's
// lock files.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { type KeyringSession, startKeyring } from './keyring.ts'

export interface KeyringFixture {
  readonly keyring: KeyringSession
  /** The state folder (XDG_STATE_HOME, or the store's `stateDir`): where the keychain store keeps its lock. */
  readonly state: string
}

/**
 * Registers the file's hooks; the fields are set once its tests run.
 *
 * @example
 * const secrets = useKeyring('aac-creds-state-')
 * it('…', () => keychainStorage({ stateDir: secrets.state }))
 */
export function useKeyring(statePrefix: string): KeyringFixture {
  const fixture = {} as { keyring: KeyringSession; state: string }
  const busBefore = process.env['DBUS_SESSION_BUS_ADDRESS']
  beforeAll(async () => {
    fixture.keyring = await startKeyring()
    // The binding connects with the address in this process's environment, as any desktop program does.
    process.env['DBUS_SESSION_BUS_ADDRESS'] = fixture.keyring.address
    fixture.state = await mkdtemp(join(tmpdir(), statePrefix))
  })
  afterAll(async () => {
    if (busBefore === undefined) delete process.env['DBUS_SESSION_BUS_ADDRESS']
    else process.env['DBUS_SESSION_BUS_ADDRESS'] = busBefore
    await fixture.keyring?.stop()
    if (fixture.state) await rm(fixture.state, { recursive: true, force: true })
  })
  return fixture
}
