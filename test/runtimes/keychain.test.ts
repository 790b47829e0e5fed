// The keychain store in every runtime, against a real GNOME Keyring on a private bus (test/keyring.ts): the
// storage contract under deno test and bun test, and Node, Deno and Bun examples sharing one keychain entry
// (AAC_STORE=keychain) at the same moment, with one refresh and no byte of a token in any file.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../packages/core/src/fs.ts'
import {
  DENO_KEYCHAIN_FLAGS,
  type KeychainTokenStorage,
  keychainAccount,
  keychainStorage,
} from '../../packages/core/src/storage/keychain.ts'
import type { StoredTokens } from '../../packages/core/src/storage/types.ts'
import { bunExample, nodeExample, type RuntimeName, runtimeBinary } from '../../scripts/runtimes.ts'
import { fakeWorkspace, ROOT, type RunResult, run, type Workspace } from '../helpers.ts'
import { type KeyringSession, startKeyring } from '../keyring.ts'

const PLACEHOLDERS =
  '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}\n'
/** 3 Node, 3 Deno and 2 Bun processes, interleaved. */
const MIX: RuntimeName[] = ['node', 'deno', 'bun', 'node', 'deno', 'bun', 'node', 'deno']

let keyring: KeyringSession
let temp: string
beforeAll(async () => {
  keyring = await startKeyring()
  // This process puts the pair in the keychain and reads it back, on the same bus as the programs under test.
  process.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address
  temp = await mkdtemp(join(tmpdir(), 'aac-keychain-runtimes-'))
})
afterAll(async () => {
  await keyring?.stop()
  if (temp) await rm(temp, { recursive: true, force: true })
})

interface Setup {
  ws: Workspace
  /** XDG_STATE_HOME of the programs: the lock is in `<state>/aac`. */
  state: string
  entry: KeychainTokenStorage
  old: StoredTokens
  env: Record<string, string>
}

let setup: Setup | undefined
afterEach(async () => {
  await setup?.entry.remove().catch(() => undefined)
  await setup?.ws.close()
  setup = undefined
})

/**
 * A fake cloud and its config folder, with the pair moved to the keychain entry of the config (its API host and
 * Client ID) and creds.json left with the placeholders, as after `aac creds move --to keychain`.
 */
async function keychainWorkspace(options: { expired: boolean }): Promise<Setup> {
  const ws = await fakeWorkspace(options)
  const state = await mkdtemp(join(temp, 'state-'))
  const loaded = await loadConfig({ dir: ws.dir, env: {} })
  const entry = keychainStorage({ account: keychainAccount(loaded.config), stateDir: join(state, 'aac') })
  await entry.write(loaded.tokens)
  await writeFile(ws.credsPath, PLACEHOLDERS)
  const env = {
    AAC_CONFIG_DIR: ws.dir,
    AAC_STORE: 'keychain',
    XDG_STATE_HOME: state,
    DBUS_SESSION_BUS_ADDRESS: keyring.address,
    NO_COLOR: '1',
  }
  setup = { ws, state, entry, old: loaded.tokens, env }
  return setup
}

/** The Deno example with what the keychain needs on top of its usual permissions (see docs/stores.md). */
function denoKeychainArgs(
  configDir: string,
  state: string,
  { omitFfi = false, storeEnv = true }: { omitFfi?: boolean; storeEnv?: boolean } = {},
): string[] {
  const extra = (flag: string) =>
    DENO_KEYCHAIN_FLAGS.find((candidate) => candidate.startsWith(`${flag}=`))?.slice(flag.length + 1)
  return [
    'run',
    '--no-prompt',
    `--allow-read=${configDir},${state},${extra('--allow-read')}`,
    `--allow-write=${configDir},${state}`,
    `--allow-env=AAC_CONFIG_DIR,AAC_DEBUG,${storeEnv ? 'AAC_STORE,' : ''}XDG_STATE_HOME,HOME,${extra('--allow-env')}`,
    '--allow-net=127.0.0.1',
    ...(omitFfi ? [] : ['--allow-ffi']),
    join(ROOT, 'examples/deno/get_workspace.ts'),
  ]
}

function runExample(runtime: RuntimeName, s: Setup): Promise<RunResult & { runtime: RuntimeName }> {
  const example =
    runtime === 'deno'
      ? { command: runtimeBinary(ROOT, 'deno'), args: denoKeychainArgs(s.ws.dir, s.state) }
      : runtime === 'bun'
        ? bunExample(ROOT)
        : nodeExample(ROOT)
  return run(example.command, example.args, { env: s.env, timeoutMs: 90_000 }).then((result) => ({
    ...result,
    runtime,
  }))
}

/** Every file under `dir`, at any depth, with its bytes as text. */
async function allFiles(dir: string): Promise<Array<{ path: string; text: string }>> {
  const found: Array<{ path: string; text: string }> = []
  for (const name of await readdir(dir)) {
    const path = join(dir, name)
    if ((await stat(path)).isDirectory()) found.push(...(await allFiles(path)))
    else found.push({ path, text: await readFile(path, 'latin1') })
  }
  return found
}

describe('Node, Deno and Bun examples on one keychain entry (AAC_STORE=keychain)', () => {
  it('8 processes at once on an expired token: 8 of 8 succeed, one refresh, no byte of a token in a file', {
    timeout: 120_000,
  }, async () => {
    const s = await keychainWorkspace({ expired: true })
    const results = await Promise.all(MIX.map((runtime) => runExample(runtime, s)))
    const failed = results.filter((r) => r.code !== 0 || !r.stdout.includes('"id": 31429'))
    expect(failed.map((r) => `${r.runtime} exit ${r.code}: ${r.stderr.trim()}`)).toEqual([])
    expect(s.ws.cloud.stats()).toMatchObject({
      refreshes: 1,
      reuseDetected: 0,
      invalidGrants: 0,
      apiRequests: 8,
    })

    // The rotated pair is in the entry, alive; creds.json still holds the placeholders, byte for byte.
    const saved = await s.entry.read()
    expect(saved?.refreshToken).not.toBe(s.old.refreshToken)
    expect(s.ws.cloud.isRefreshTokenValid(saved?.refreshToken ?? '')).toBe(true)
    expect(await s.ws.readCreds()).toBe(PLACEHOLDERS)
    const seen = await keyring.secretTool(['lookup', 'service', 'aac', 'username', s.entry.account])
    expect(JSON.parse(seen)).toMatchObject({ refresh_token: saved?.refreshToken })

    // No byte of either pair anywhere under the config folder or the state folder (the lock is gone too).
    const secrets = [
      s.old.accessToken,
      s.old.refreshToken,
      saved?.accessToken ?? '',
      saved?.refreshToken ?? '',
    ]
    const files = [...(await allFiles(s.ws.dir)), ...(await allFiles(s.state))]
    expect(files.map((file) => file.path).sort()).toEqual(
      ['aac_url.txt', 'client_id.txt', 'creds.json'].map((name) => join(s.ws.dir, name)),
    )
    for (const file of files) {
      for (const secret of secrets) expect(file.text.includes(secret), file.path).toBe(false)
    }
  })

  it('Deno without --allow-ffi: one message naming every flag the keychain needs, exit 1, entry untouched', async () => {
    const s = await keychainWorkspace({ expired: true })
    const args = denoKeychainArgs(s.ws.dir, s.state, { omitFfi: true })
    const result = await run(runtimeBinary(ROOT, 'deno'), args, { env: s.env })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(DENO_KEYCHAIN_FLAGS.join(' '))
    expect(result.stderr).toContain('or use the keychain from Node or Bun')
    expect(s.ws.cloud.stats()).toMatchObject({ requests: 0 })
    expect(await s.entry.read()).toEqual(s.old)
  })

  it('Deno not allowed to read AAC_STORE follows store.txt, in the folder it already reads', async () => {
    const s = await keychainWorkspace({ expired: false })
    await writeFile(join(s.ws.dir, 'store.txt'), 'keychain\n')
    const args = denoKeychainArgs(s.ws.dir, s.state, { storeEnv: false })
    const result = await run(runtimeBinary(ROOT, 'deno'), args, { env: { ...s.env, AAC_STORE: 'file' } })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 31429 })
    expect(await s.ws.readCreds()).toBe(PLACEHOLDERS)
  })
})

describe('the storage contract on the keychain store', () => {
  it('passes under deno test', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(temp, 'deno-'))
    const result = await run(
      runtimeBinary(ROOT, 'deno'),
      [
        'test',
        '--no-prompt',
        '--config',
        'examples/deno/deno.json',
        `--allow-env=TMPDIR,${DENO_KEYCHAIN_FLAGS.find((flag) => flag.startsWith('--allow-env='))?.slice(12)}`,
        `--allow-read=${dir},/usr/bin/ldd`,
        `--allow-write=${dir}`,
        '--allow-ffi',
        'test/runtimes/keychain-contract.ts',
      ],
      { env: { TMPDIR: dir, DBUS_SESSION_BUS_ADDRESS: keyring.address, NO_COLOR: '1' }, timeoutMs: 110_000 },
    )
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(0)
    expect(output).toMatch(/ok \| (\d+) passed \| 0 failed/)
    expect(output).toContain('keychainStorage: withLock is exclusive')
  })

  it('passes under bun test', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(temp, 'bun-'))
    const result = await run(runtimeBinary(ROOT, 'bun'), ['test', './test/runtimes/keychain-contract.ts'], {
      env: { TMPDIR: dir, DBUS_SESSION_BUS_ADDRESS: keyring.address, NO_COLOR: '1' },
      timeoutMs: 110_000,
    })
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(0)
    expect(output).toMatch(/\b0 fail\b/)
    expect(output).toContain('(pass) keychainStorage: withLock is exclusive')
  })
})
