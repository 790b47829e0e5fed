// The keychain store against a real Secret Service (GNOME Keyring on a private session bus, test/keyring.ts):
// the storage contract, the entry as other tools see it, and every way the keychain can fail.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { run } from '../../../test/helpers.ts'
import { startBus, startKeyring } from '../../../test/keyring.ts'
import { useKeyring } from '../../../test/use-keyring.ts'
import { ConfigError } from '../src/errors.ts'
import { fileStorage, loadConfig, movePair } from '../src/fs.ts'
import {
  bindingLoadError,
  KeychainError,
  type KeychainTokenStorage,
  keychainLockName,
  keychainStorage,
} from '../src/storage/keychain.ts'
import { contractOn } from './store-test-kit.ts'
import { makeJwt } from './tokens.ts'

const PLACEHOLDERS =
  '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}\n'
const PROBE = fileURLToPath(new URL('./fixtures/keychain-probe.ts', import.meta.url))

const secrets = useKeyring('aac-keychain-state-')

contractOn('keychainStorage', () => ({
  keychain: true,
  async tempDir() {
    const path = await mkdtemp(join(tmpdir(), 'aac-keychain-'))
    return { path, remove: () => rm(path, { recursive: true, force: true }) }
  },
}))

let made: KeychainTokenStorage[] = []
afterEach(async () => {
  for (const storage of made) await storage.remove().catch(() => undefined)
  made = []
})

/** A store on an entry of its own, removed after the test. */
function store(account = `test ${crypto.randomUUID()}`): KeychainTokenStorage {
  const storage = keychainStorage({ account, stateDir: secrets.state, lockTimeoutMs: 5_000 })
  made.push(storage)
  return storage
}

function pair(iat: number) {
  return {
    accessToken: makeJwt({ iat, exp: iat + 300 }),
    refreshToken: `refresh-${iat}-${crypto.randomUUID()}`,
  }
}

describe('the entry', () => {
  it('is one Secret Service item, service "aac" and the account, holding the pair and its meta as JSON', async () => {
    const storage = store('api.us1.alteryxcloud.com/project-1 entry')
    const tokens = { ...pair(1_000), meta: { clockOffsetMs: 1500 } }
    await storage.write(tokens)
    const seen = await secrets.keyring.secretTool(['lookup', 'service', 'aac', 'username', storage.account])
    expect(JSON.parse(seen)).toEqual({
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      aac: { clock_offset_ms: 1500 },
    })
    expect(storage.location).toBe('keychain entry "aac" › "api.us1.alteryxcloud.com/project-1 entry"')
  })

  it('takes its lock in the state folder, and no byte of a token goes to a file', async () => {
    const storage = store()
    const tokens = pair(2_000)
    await storage.withLock(async () => {
      await storage.write(tokens)
      expect(await readdir(secrets.state)).toContain(keychainLockName('aac', storage.account))
      const lock = await readFile(storage.lockPath, 'utf8')
      expect(lock).not.toContain(tokens.refreshToken)
      expect(lock).not.toContain(tokens.accessToken.slice(0, 40))
    })
    expect(storage.lockPath).toBe(join(secrets.state, keychainLockName('aac', storage.account)))
    for (const name of await readdir(secrets.state)) {
      const text = await readFile(join(secrets.state, name), 'utf8').catch(() => '')
      expect(text).not.toContain(tokens.refreshToken)
    }
  })

  it('names distinct entries for distinct accounts, and lock files that never collide', () => {
    expect(keychainLockName('aac', 'a/b')).not.toBe(keychainLockName('aac', 'a_b'))
    expect(keychainLockName('aac', 'api.us1.alteryxcloud.com/x')).toMatch(
      /^keychain-aac-api\.us1\.alteryxcloud\.com_x-[0-9a-f]{10}\.lock$/,
    )
  })

  it('an entry that is not a pair is a KeychainError naming it and the fix, quoting nothing of it', async () => {
    const storage = store()
    const secret = 'not-a-pair-but-a-secret-0123456789'
    await secrets.keyring.secretTool(
      ['store', '--label=by hand', 'service', 'aac', 'username', storage.account],
      `{"token": "${secret}"}`,
    )
    const error = await storage.read().then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(KeychainError)
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', problem: 'not-a-pair', location: storage.location })
    const message = (error as Error).message
    expect(message).toContain(storage.location)
    expect(message).toContain('aac creds import')
    expect(message).not.toContain(secret)
    // Left as it was: the user's item is theirs.
    expect(
      await secrets.keyring.secretTool(['lookup', 'service', 'aac', 'username', storage.account]),
    ).toContain(secret)
  })

  it('refuses an empty token, leaving the entry unchanged', async () => {
    const storage = store()
    const tokens = pair(3_000)
    await storage.write(tokens)
    await expect(storage.write({ accessToken: '', refreshToken: 'r' })).rejects.toThrow(
      /Refusing to store an empty/,
    )
    expect(await storage.read()).toEqual(tokens)
  })

  it('remove deletes the entry: read then finds none, and removing again says there was none', async () => {
    const storage = store()
    await storage.write(pair(4_000))
    expect(await storage.remove()).toBe(true)
    expect(await storage.read()).toBeUndefined()
    expect(await storage.remove()).toBe(false)
  })
})

describe('loadConfig with AAC_STORE=keychain', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aac-keychain-config-'))
    await writeFile(join(dir, 'aac_url.txt'), 'https://api.us1.alteryxcloud.com\n')
    await writeFile(join(dir, 'client_id.txt'), 'client-9\n')
    // What creds.json holds once the pair has moved to the keychain.
    await writeFile(
      join(dir, 'creds.json'),
      '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}\n',
    )
  })
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('reads the pair from the entry the setting names, not from creds.json', async () => {
    const storage = store('config-work')
    const tokens = pair(9_000)
    await storage.write(tokens)
    const loaded = await loadConfig({
      dir,
      env: { AAC_STORE: 'keychain:config-work', XDG_STATE_HOME: secrets.state },
    })
    expect(loaded.tokens).toEqual(tokens)
    expect(loaded.storage.location).toBe('keychain entry "aac" › "config-work"')
    expect(loaded.store).toMatchObject({ kind: 'keychain', rest: 'config-work', source: 'AAC_STORE' })
  })

  it('an empty entry: a ConfigError naming the setting and how to put a pair there', async () => {
    const error = await loadConfig({
      dir,
      env: { AAC_STORE: 'keychain', XDG_STATE_HOME: secrets.state },
    }).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(ConfigError)
    expect(error).toMatchObject({ code: 'CONFIG_MISSING', file: 'AAC_STORE' })
    expect((error as Error).message).toBe(
      'keychain entry "aac" › "api.us1.alteryxcloud.com/client-9" holds no token pair (AAC_STORE=keychain keeps the pair there): store one with `aac creds move --to keychain` (from creds.json) or `aac creds import` (from stdin or environment variables), or choose creds.json (unset AAC_STORE).',
    )
  })

  it('an access token a refresh cannot use: a StorageError naming the entry', async () => {
    const storage = store('config-bad-jwt')
    await storage.write({ accessToken: 'not-a-jwt', refreshToken: 'refresh-x' })
    await writeFile(join(dir, 'store.txt'), 'keychain:config-bad-jwt\n')
    try {
      await expect(loadConfig({ dir, env: { XDG_STATE_HOME: secrets.state } })).rejects.toMatchObject({
        name: 'StorageError',
        location: storage.location,
        message: expect.stringContaining(`The access_token in ${storage.location} is not a JWT`),
      })
    } finally {
      await rm(join(dir, 'store.txt'))
    }
  })
})

describe('movePair between creds.json and the keychain', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aac-keychain-move-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('into the keychain: copied, read back, then creds.json cleared under both locks', async () => {
    const file = fileStorage({ path: join(dir, 'creds.json') })
    const keychain = store()
    const tokens = { ...pair(10_000), meta: { clockOffsetMs: 250 } }
    await file.write(tokens)
    let seenInKeychain: unknown
    const moved = await movePair({
      from: file,
      to: keychain,
      async afterCopy() {
        seenInKeychain = await keychain.read()
        await writeFile(join(dir, 'creds.json'), PLACEHOLDERS)
      },
    })
    expect(moved).toEqual(tokens)
    expect(seenInKeychain).toEqual(tokens)
    expect(await keychain.read()).toEqual(tokens)
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(PLACEHOLDERS)
  })

  it('back to creds.json: the entry is removed only after the file holds the pair', async () => {
    const keychain = store()
    const file = fileStorage({ path: join(dir, 'creds.json') })
    const tokens = pair(11_000)
    await keychain.write(tokens)
    await movePair({ from: keychain, to: file, afterCopy: async () => void (await keychain.remove()) })
    expect(await file.read()).toEqual(tokens)
    expect(await keychain.read()).toBeUndefined()
  })

  it('a copy that fails leaves the pair where it was, and afterCopy never runs', async () => {
    const keychain = store()
    const tokens = pair(12_000)
    await keychain.write(tokens)
    // A creds.json whose folder is a file: the write fails.
    await writeFile(join(dir, 'not-a-folder'), '')
    const file = fileStorage({ path: join(dir, 'not-a-folder', 'creds.json'), lockPath: join(dir, 'x.lock') })
    let cleared = false
    await expect(
      movePair({
        from: keychain,
        to: file,
        afterCopy: async () => {
          cleared = true
        },
      }),
    ).rejects.toMatchObject({ name: 'StorageError' })
    expect(cleared).toBe(false)
    expect(await keychain.read()).toEqual(tokens)
  })

  it('an empty source: an error, nothing written', async () => {
    const keychain = store()
    const file = fileStorage({ path: join(dir, 'creds.json') })
    await expect(movePair({ from: keychain, to: file })).rejects.toThrow(
      /holds no token pair: nothing to move/,
    )
    await expect(readFile(join(dir, 'creds.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('a pair that could not be saved', () => {
  it('goes to a second entry, which a read under the lock adopts when it is newer, then deletes', async () => {
    const storage = store()
    const old = pair(5_000)
    const rotated = pair(5_100)
    await storage.write(old)
    const where = await storage.saveRecovery(rotated)
    expect(where).toBe(`keychain entry "aac" › "${storage.account} (recovered)"`)
    // Outside the lock, nothing is adopted: another program may be saving it now.
    expect(await storage.read()).toEqual(old)
    expect(await storage.withLock(() => storage.read())).toEqual(rotated)
    expect(await storage.read()).toEqual(rotated)
    await expect(
      secrets.keyring.secretTool(['lookup', 'service', 'aac', 'username', `${storage.account} (recovered)`]),
    ).rejects.toThrow(/exited 1/)
  })

  it('an older recovered copy is not adopted', async () => {
    const storage = store()
    const current = pair(6_100)
    await storage.write(current)
    await storage.saveRecovery(pair(6_000))
    expect(await storage.withLock(() => storage.read())).toEqual(current)
  })
})

describe('when the keychain cannot be used', () => {
  // In processes of their own: libdbus keeps the first session bus a process connects to.
  it('no session bus: a KeychainError naming the fixes, and nothing written anywhere', async () => {
    // Unset, not empty: the child's environment lacks it (spawn leaves out undefined values).
    const env = { DBUS_SESSION_BUS_ADDRESS: undefined }
    const tokens = pair(7_000)
    expectNoService(await probe(env, 'write', 'no bus', JSON.stringify(tokens)), 'no bus')
    expectNoService(await probe(env, 'read', 'no bus'), 'no bus')
    for (const name of await readdir(secrets.state)) {
      expect(await readFile(join(secrets.state, name), 'utf8').catch(() => '')).not.toContain(
        tokens.refreshToken,
      )
    }
  })

  it('a session bus without a Secret Service: the same error', async () => {
    const bus = await startBus()
    try {
      const env = { DBUS_SESSION_BUS_ADDRESS: bus.address }
      expectNoService(await probe(env, 'read', 'empty bus'), 'empty bus')
      expectNoService(await probe(env, 'write', 'empty bus', JSON.stringify(pair(7_100))), 'empty bus')
    } finally {
      await bus.stop()
    }
  })

  it('a locked keyring: a KeychainError saying so and how to unlock it; the pair is still there after', async () => {
    const locked = await startKeyring()
    try {
      const tokens = pair(8_000)
      expect(await probe(locked.env, 'write', 'locked', JSON.stringify(tokens))).toEqual({
        ok: true,
        value: null,
      })
      await locked.lock()
      for (const attempt of [
        probe(locked.env, 'read', 'locked'),
        probe(locked.env, 'write', 'locked', JSON.stringify(pair(8_100))),
      ]) {
        const { error } = await attempt
        expect(error).toMatchObject({
          name: 'StorageError',
          code: 'STORAGE_ERROR',
          problem: 'locked',
          location: 'keychain entry "aac" › "locked"',
        })
        expect(error?.message).toMatch(/keychain is locked.*Unlock it.*gnome-keyring-daemon --unlock/s)
      }
      // Nothing was lost: once unlocked, the entry holds the pair it held.
      await locked.unlock()
      expect(await probe(locked.env, 'read', 'locked')).toEqual({ ok: true, value: tokens })
    } finally {
      await locked.stop()
    }
  })

  it('a missing binding: a KeychainError naming the package to install', async () => {
    const failure = await import(/* @vite-ignore */ ['@napi-rs', 'keyring-not-installed'].join('/')).catch(
      (caught: unknown) => caught,
    )
    const error = bindingLoadError(failure)
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', problem: 'binding' })
    expect(error.message).toContain('npm install @napi-rs/keyring@2.1.2')
    expect(error.message).toContain('"@napi-rs/keyring": "npm:@napi-rs/keyring@2.1.2"')
  })
})

interface ProbeResult {
  ok: boolean
  value?: unknown
  error?: { name: string; code: string; problem: string; message: string; location: string }
}

/** One call of the store in a Node process of its own, on the bus `env` names (fixtures/keychain-probe.ts). */
async function probe(
  env: NodeJS.ProcessEnv,
  action: 'read' | 'write' | 'remove',
  account: string,
  tokens?: string,
): Promise<ProbeResult> {
  const args = ['--import', 'tsx', PROBE, action, account, secrets.state, ...(tokens ? [tokens] : [])]
  const result = await run(process.execPath, args, { env })
  const line = result.stdout.trim().split('\n').at(-1) ?? ''
  if (result.code !== 0 || !line.startsWith('{')) throw new Error(`the probe failed: ${result.stderr}`)
  return JSON.parse(line) as ProbeResult
}

function expectNoService(result: ProbeResult, account: string): void {
  expect(result.error).toMatchObject({
    name: 'StorageError',
    code: 'STORAGE_ERROR',
    problem: 'no-service',
    location: `keychain entry "aac" › "${account}"`,
  })
  const message = result.error?.message ?? ''
  expect(message).toContain('no keychain service answered')
  expect(message).toContain('gnome-keyring')
  expect(message).toContain('creds.json with owner-only permissions')
  expect(message).toContain('never falls back to a plaintext file')
}
