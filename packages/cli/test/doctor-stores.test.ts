// `aac doctor` with the pair in a store other than creds.json: the OS keychain against a real Secret Service
// (GNOME Keyring on a private bus, test/keyring.ts), Redis and PostgreSQL against real servers (test/servers/).
// The keychain runs are the real `aac` in processes of their own (libdbus keeps the first bus a process connects
// to, and the no-service cases need other buses); the Redis and PostgreSQL runs are in this process, whose
// @aac/core finds their clients (an optional peer of the core, which the repo's cached bin cannot require).
// The doctor must say which store and why, judge it in the store's own words, spend no refresh token unless
// --refresh, refresh through the store's lock, and never print a token or a password.
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StoredTokens } from '@aac/core'
import { keychainAccount, keychainLockName } from '@aac/core/storage/keychain'
import { postgresStorage } from '@aac/core/storage/postgres'
import { redisStorage } from '@aac/core/storage/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KeyringSession, startBus, startKeyring } from '../../../test/keyring.ts'
import { POSTGRES_LIMITED, type PostgresServer, startPostgresServer } from '../../../test/servers/postgres.ts'
import { REDIS_USER, type RedisServer, startRedisServer } from '../../../test/servers/redis.ts'
import type { Step } from '../src/doctor/steps.ts'
import { asPair, expectNoTokenIn, movedNote, type Pair } from './creds-helpers.ts'
import { aac, aacInProcess, type Result, useCloud } from './helpers.ts'

const fake = useCloud()

interface Report {
  ok: boolean
  exitCode: number
  steps: Step[]
}

/** The step named `name` (every report has at most one of each). */
function step(report: Report, name: string): Step | undefined {
  return report.steps.find((s) => s.name === name)
}

/** The JSON report of a run, its exit code checked against the report's. */
function parse(result: Result): Report {
  const report = JSON.parse(result.stdout) as Report
  expect(report.exitCode, result.stderr).toBe(result.code)
  return report
}

/** A config folder for the fake cloud whose creds.json holds `creds` (the note `aac creds move` leaves, by default). */
async function config(options: { expired?: boolean; creds?: unknown; setting?: string } = {}) {
  const dir = await fake.tempDir()
  const pair = asPair(await fake.cloud.writeConfig(dir, { expired: options.expired === true }))
  const note = options.creds ?? movedNote(options.setting ?? 'keychain')
  await writeFile(join(dir, 'creds.json'), `${JSON.stringify(note, null, 2)}\n`)
  const account = keychainAccount({ apiUrl: fake.cloud.url, projectId: fake.cloud.projectId })
  return { dir, pair, account }
}

/** `text` as a regular expression matching it literally. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

const tokensOf = (pair: Pair): StoredTokens => ({
  accessToken: pair.access_token,
  refreshToken: pair.refresh_token,
})

describe('aac doctor: which store, and why', () => {
  const run = async (dir: string, env: Record<string, string>) => {
    const result = await aacInProcess(['doctor', '--json', '--offline'], {
      env: { AAC_CONFIG_DIR: dir, ...env },
    })
    return { result, report: parse(result) }
  }

  it('creds.json by default, or by AAC_STORE=file: named with the reason, checked as before', async () => {
    const dir = await fake.configDir()
    const creds = join(dir, 'creds.json')
    const byDefault = await run(dir, {})
    expect(step(byDefault.report, 'token store')).toMatchObject({
      status: 'pass',
      detail: `${creds} (file, the default: neither AAC_STORE nor store.txt says otherwise)`,
    })
    expect(step(byDefault.report, 'creds.json')?.detail).toMatch(/^both tokens present/)
    expect(step(byDefault.report, 'lock file')?.detail).toBe(`free (${creds}.lock does not exist)`)
    expect(step(byDefault.report, 'token pair')).toBeUndefined()
    const byEnv = await run(dir, { AAC_STORE: 'file' })
    expect(step(byEnv.report, 'token store')?.detail).toBe(`${creds} (file, from AAC_STORE)`)
  })

  it('a setting that names no store: exit 3 naming AAC_STORE, its password hidden, nothing else judged', async () => {
    const dir = await fake.configDir()
    const { result, report } = await run(dir, { AAC_STORE: 'vault://app:hunter2-Secret@vault.internal' })
    expect(report.exitCode).toBe(3)
    expect(step(report, 'token store')).toMatchObject({
      status: 'fail',
      detail: 'CONFIG_INVALID',
      fix: expect.stringMatching(
        /^AAC_STORE is set to "vault:\/\/\*\*\*@vault\.internal", but it names no token store/,
      ),
    })
    expect(report.steps.map((s) => s.name)).not.toContain('creds.json')
    expect(report.steps.map((s) => s.name)).not.toContain('lock file')
    expect(step(report, 'access token')).toMatchObject({
      status: 'skip',
      detail: 'needs a valid token store',
    })
    expect(result.stdout).not.toContain('hunter2')
  })
})

describe('aac doctor with AAC_STORE=keychain', () => {
  let keyring: KeyringSession
  let state: string
  beforeAll(async () => {
    keyring = await startKeyring()
    state = await mkdtemp(join(tmpdir(), 'aac-doctor-state-'))
  })
  afterAll(async () => {
    await keyring?.stop()
    if (state) await rm(state, { recursive: true, force: true })
  })

  /** The real aac on `bus` (undefined: no session bus at all), the keychain chosen by AAC_STORE unless `store`. */
  const doctor = (dir: string, args: string[], bus: string | undefined, env: Record<string, string> = {}) =>
    aac(['doctor', ...args], {
      env: {
        AAC_CONFIG_DIR: dir,
        AAC_STORE: 'keychain',
        XDG_STATE_HOME: state,
        DBUS_SESSION_BUS_ADDRESS: bus,
        ...env,
      },
    })
  const store = (account: string, value: unknown) =>
    keyring.secretTool(
      ['store', '--label', 'aac', 'service', 'aac', 'username', account],
      JSON.stringify(value),
    )
  const entry = async (account: string) =>
    JSON.parse(await keyring.secretTool(['lookup', 'service', 'aac', 'username', account])) as Pair
  const clear = (account: string) =>
    keyring.secretTool(['clear', 'service', 'aac', 'username', account]).catch(() => '')

  it('with a pair: names the entry and why, checks it and its lock file, spends nothing; --refresh rotates it there', async () => {
    const { dir, pair, account } = await config({ expired: true })
    await store(account, pair)
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    fake.cloud.reset()
    const result = await doctor(dir, [], keyring.address)
    expect(result.code, result.stdout).toBe(0)
    expect(result.stdout).toMatch(
      new RegExp(
        `✔ token store +${literally(`keychain entry "aac" › "${account}" (keychain, from AAC_STORE)`)}\n`,
      ),
    )
    expect(result.stdout).toMatch(/✔ token pair +both tokens present in keychain entry "aac"/)
    expect(result.stdout).toMatch(
      new RegExp(
        `✔ lock file +${literally(`free (${join(state, 'aac', keychainLockName('aac', account))} does not exist)`)}`,
      ),
    )
    expect(result.stdout).toMatch(/✔ access token +expired .* the next call refreshes it/)
    expect(result.stdout).toMatch(/- API calls +the access token has expired: run `aac doctor --refresh`/)
    // creds.json holds the note: no check of the file, no second copy to warn about.
    expect(result.stdout).not.toMatch(/creds\.json +/)
    expect(fake.cloud.stats().refreshes).toBe(0)

    const second = await doctor(dir, ['--json', '--refresh'], keyring.address)
    const refreshed = parse(second)
    expect(refreshed.exitCode).toBe(0)
    expect(step(refreshed, 'refresh token')?.detail).toMatch(
      /^works: rotated under the lock and saved to keychain entry "aac" › ".*"; new access token valid for/,
    )
    expect(step(refreshed, 'gateway call')?.status).toBe('pass')
    expect(fake.cloud.stats().refreshes).toBe(1)
    const rotated = await entry(account)
    expect(rotated.refresh_token).not.toBe(pair.refresh_token)
    expect(fake.cloud.isRefreshTokenValid(rotated.refresh_token)).toBe(true)
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
    expectNoTokenIn(result, pair, rotated)
    expectNoTokenIn(second, pair, rotated)
    await clear(account)
  })

  it('with its lock file held by a live program: says who, as for creds.json', async () => {
    const { dir, pair, account } = await config()
    await store(account, pair)
    const lockPath = join(state, 'aac', keychainLockName('aac', account))
    await mkdir(join(state, 'aac'), { recursive: true })
    // Held by this (live) process for 5 s, as the core judges age: the record's time and the file's mtime.
    const then = Date.now() - 5_000
    const record = { pid: process.pid, host: hostname(), token: 't', time: then, runtime: 'node' }
    await writeFile(lockPath, JSON.stringify(record))
    await utimes(lockPath, new Date(then), new Date(then))
    try {
      const report = parse(await doctor(dir, ['--json', '--offline'], keyring.address))
      expect(step(report, 'lock file')).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(
          new RegExp(`^held by pid ${process.pid} \\(node\\) for \\d+ s: a refresh is in progress`),
        ),
      })
    } finally {
      await rm(lockPath, { force: true })
      await clear(account)
    }
  })

  it('without a pair: exit 3 in loadConfig words; a pair still in creds.json is named, with aac creds move', async () => {
    const { dir, pair, account } = await config({ creds: {} })
    await clear(account)
    const empty = parse(await doctor(dir, ['--json', '--offline'], keyring.address))
    expect(empty.exitCode).toBe(3)
    expect(step(empty, 'token pair')).toMatchObject({
      status: 'fail',
      detail: 'none stored there',
      fix: expect.stringMatching(
        /keychain entry "aac" › ".*" holds no token pair \(AAC_STORE=keychain keeps the pair there\): store one with `aac creds move --to keychain`/,
      ),
    })
    expect(step(empty, 'access token')).toMatchObject({ status: 'skip', detail: 'needs a valid token pair' })

    // AAC_STORE set, the pair never moved: creds.json holds it.
    await writeFile(join(dir, 'creds.json'), JSON.stringify(pair))
    const result = await doctor(dir, ['--json', '--offline'], keyring.address)
    const unmoved = parse(result)
    expect(unmoved.exitCode).toBe(3)
    expect(step(unmoved, 'creds.json')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^holds a token pair, but programs look for it in keychain entry/),
      fix: expect.stringContaining('Move it there: aac creds move --to "$AAC_STORE"'),
    })
    expectNoTokenIn(result, pair)
  })

  it('an entry that is not a pair, and a locked keyring: exit 6 with the store’s own message', async () => {
    const { dir, pair, account } = await config()
    await keyring.secretTool(['store', '--label', 'aac', 'service', 'aac', 'username', account], 'not a pair')
    const notPair = parse(await doctor(dir, ['--json', '--offline'], keyring.address))
    expect(notPair.exitCode).toBe(6)
    expect(step(notPair, 'token pair')).toMatchObject({
      detail: 'cannot be read (not-a-pair)',
      fix: expect.stringContaining(`keychain entry "aac" › "${account}" is not valid JSON`),
    })
    await store(account, pair)
    await keyring.lock()
    try {
      fake.cloud.reset()
      const result = await doctor(dir, ['--json', '--refresh'], keyring.address)
      const locked = parse(result)
      expect(locked.exitCode).toBe(6)
      expect(step(locked, 'token pair')).toMatchObject({
        detail: 'cannot be read (locked)',
        fix: expect.stringContaining('the keychain is locked'),
      })
      expect(step(locked, 'refresh token')?.status).toBe('skip')
      expect(fake.cloud.stats().refreshes).toBe(0)
      expectNoTokenIn(result, pair)
    } finally {
      await keyring.unlock()
      await clear(account)
    }
  })

  describe.each([
    ['no session bus at all', async () => ({ address: undefined, stop: async () => undefined })],
    ['a session bus with no Secret Service on it', () => startBus()],
  ] as const)('%s', (_name, startIt) => {
    it('exit 6 naming the fixes; --refresh sends nothing; creds.json untouched', async () => {
      const bus = await startIt()
      try {
        const { dir, pair } = await config({ creds: {} })
        await writeFile(join(dir, 'creds.json'), JSON.stringify(pair))
        const before = await readFile(join(dir, 'creds.json'), 'utf8')
        fake.cloud.reset()
        const result = await doctor(dir, ['--json', '--refresh'], bus.address)
        const report = parse(result)
        expect(report.exitCode).toBe(6)
        expect(step(report, 'token pair')).toMatchObject({
          status: 'fail',
          detail: 'cannot be read (no-service)',
          fix: expect.stringMatching(/no keychain service answered.*gnome-keyring-daemon --unlock/s),
        })
        // Whether the keychain holds another pair cannot be known: said, with where to look.
        expect(step(report, 'creds.json')).toMatchObject({
          status: 'warn',
          detail: expect.stringMatching(/^also holds a token pair, besides keychain entry/),
        })
        expect(step(report, 'refresh token')).toMatchObject({ status: 'skip' })
        expect(fake.cloud.stats().refreshes).toBe(0)
        expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
        expectNoTokenIn(result, pair)
      } finally {
        await bus.stop()
      }
    })
  })

  it('two copies: warns, says how to fix it, and the fix it names leaves one copy', async () => {
    const { dir, pair, account } = await config({ creds: {} })
    await writeFile(join(dir, 'creds.json'), JSON.stringify(pair))
    await store(account, pair)
    // store.txt this time: the command names the value itself.
    await writeFile(join(dir, 'store.txt'), 'keychain\n')
    const env = { AAC_STORE: '' }
    const same = parse(await doctor(dir, ['--json', '--offline'], keyring.address, env))
    expect(same.exitCode).toBe(0)
    expect(step(same, 'token store')?.detail).toMatch(/\(keychain, from store\.txt: .*store\.txt\)$/)
    expect(step(same, 'creds.json')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^holds a second copy of the pair in keychain entry/),
      fix: expect.stringMatching(/A refresh token works once.*aac creds move --from file --to keychain /),
    })

    // Another, older pair in creds.json: the store's is the one in use.
    const older = asPair(fake.cloud.issueTokens())
    const newer = asPair(fake.cloud.issueTokens({ ttlSeconds: 900 }))
    await writeFile(join(dir, 'creds.json'), JSON.stringify(older))
    await store(account, newer)
    const other = await doctor(dir, ['--json', '--offline'], keyring.address, env)
    expect(step(parse(other), 'creds.json')?.fix).toContain(
      'aac creds move --to file --force, then aac creds move --to keychain',
    )
    expectNoTokenIn(other, pair, older, newer)

    // The first fix: same pair in both; aac creds move --from file --to keychain leaves the note in creds.json.
    await writeFile(join(dir, 'creds.json'), JSON.stringify(newer))
    const move = await aac(['creds', 'move', '--from', 'file', '--to', 'keychain'], {
      env: { AAC_CONFIG_DIR: dir, XDG_STATE_HOME: state, DBUS_SESSION_BUS_ADDRESS: keyring.address },
    })
    expect(move.code, move.stderr).toBe(0)
    const fixed = parse(await doctor(dir, ['--json', '--offline'], keyring.address, env))
    expect(step(fixed, 'creds.json')).toBeUndefined()
    expect(fixed.exitCode).toBe(0)
    await clear(account)
  })
})

/** The doctor in this process (its @aac/core finds the Redis and PostgreSQL clients). */
async function doctorHere(dir: string, setting: string, ...args: string[]) {
  const result = await aacInProcess(['doctor', '--json', ...args], {
    env: { AAC_CONFIG_DIR: dir, AAC_STORE: setting },
  })
  return { result, report: parse(result) }
}

/** What every shared-store run must show: the store and why (its URL's password hidden), no lock-file check. */
function expectStore(report: Report, location: string): void {
  expect(step(report, 'token store')).toMatchObject({
    status: 'pass',
    detail: expect.stringMatching(
      new RegExp(`^${literally(location)} \\(.*://\\*\\*\\*@127\\.0\\.0\\.1:\\d+.*, from AAC_STORE\\)$`),
    ),
  })
  expect(step(report, 'lock file')).toBeUndefined()
}

describe.each([
  {
    name: 'Redis',
    start: startRedisServer,
    url: (server: RedisServer | PostgresServer) =>
      (server as RedisServer).urlFor({ user: REDIS_USER.name, password: REDIS_USER.password }),
    password: REDIS_USER.password,
    shown: (server: RedisServer | PostgresServer, account: string) =>
      `redis://${REDIS_USER.name}@127.0.0.1:${server.port} › aac:tokens:${account}`,
    open: (url: string, account: string) => redisStorage({ url, defaultName: account }),
    refused: 'nothing accepts connections at that address (ECONNREFUSED)',
  },
  {
    name: 'PostgreSQL',
    start: startPostgresServer,
    url: (server: RedisServer | PostgresServer) => (server as PostgresServer).url,
    password: 'postgres-test-secret',
    shown: (server: RedisServer | PostgresServer, account: string) =>
      `postgres://postgres@127.0.0.1:${server.port}/postgres › aac_tokens › ${account}`,
    open: (url: string, account: string) => postgresStorage({ url, defaultName: account }),
    refused: 'nothing accepts connections at that address (ECONNREFUSED)',
  },
])('aac doctor with a $name store', ({ start, url, password, shown, open, refused }) => {
  let server: RedisServer | PostgresServer
  beforeAll(async () => {
    server = await start()
  })
  afterAll(async () => {
    await server?.close()
  })

  /** A config whose pair is in the store (creds.json: the note), through the store's own write. */
  async function stored(expired = false) {
    const setup = await config({ expired, setting: 'redis' })
    const storage = open(url(server), setup.account)
    await storage.write(tokensOf(setup.pair))
    await storage.close()
    return setup
  }

  it('reachable, with a pair: the store, its pair and lock checked, no password shown; --refresh rotates there', async () => {
    const { dir, pair, account } = await stored(true)
    fake.cloud.reset()
    const { result, report } = await doctorHere(dir, url(server))
    expect(report.exitCode).toBe(0)
    expectStore(report, shown(server, account))
    expect(step(report, 'token pair')).toMatchObject({ status: 'pass' })
    expect(step(report, 'store lock')).toMatchObject({
      status: 'pass',
      detail: 'free: taken and given back at once',
    })
    expect(step(report, 'creds.json')).toBeUndefined()
    expect(fake.cloud.stats().refreshes).toBe(0)
    expect(result.stdout).not.toContain(password)

    const refreshed = await doctorHere(dir, url(server), '--refresh')
    expect(refreshed.report.exitCode).toBe(0)
    expect(step(refreshed.report, 'refresh token')?.detail).toContain(
      `rotated under the lock and saved to ${shown(server, account)}`,
    )
    expect(step(refreshed.report, 'gateway call')?.status).toBe('pass')
    expect(fake.cloud.stats().refreshes).toBe(1)
    const storage = open(url(server), account)
    const rotated = await storage.read()
    await storage.close()
    expect(rotated?.refreshToken).not.toBe(pair.refresh_token)
    expect(fake.cloud.isRefreshTokenValid(rotated?.refreshToken ?? '')).toBe(true)
    expect(refreshed.result.stdout).not.toContain(password)
    expectNoTokenIn(result, pair)
    expectNoTokenIn(refreshed.result, pair, asPair(rotated!))
  })

  it('its lock held by another program: names the holder after a short wait', async () => {
    const { dir, pair, account } = await stored()
    const holder = open(url(server), account)
    let release: () => void = () => {}
    let taken: () => void = () => {}
    const isTaken = new Promise<void>((resolve) => {
      taken = resolve
    })
    const held = holder.withLock(
      () =>
        new Promise<void>((resolve) => {
          release = resolve
          taken()
        }),
    )
    await isTaken
    try {
      const { result, report } = await doctorHere(dir, url(server), '--offline')
      expect(report.exitCode).toBe(0)
      expect(step(report, 'store lock')).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(new RegExp(`^held by .*pid ${process.pid}.* \\(still after 2 s\\)$`)),
        fix: expect.stringContaining('run aac doctor again in a minute'),
      })
      expectNoTokenIn(result, pair)
    } finally {
      release()
      await held
      await holder.close()
    }
  })

  it('without a pair: exit 3, and the lock is left alone', async () => {
    const { dir } = await config({ setting: 'redis' })
    const { report } = await doctorHere(dir, `${url(server)}#nothing-here`, '--offline')
    expect(report.exitCode).toBe(3)
    expect(step(report, 'token pair')).toMatchObject({
      status: 'fail',
      detail: 'none stored there',
      fix: expect.stringContaining('holds no token pair'),
    })
    expect(step(report, 'store lock')).toMatchObject({ status: 'skip', detail: 'needs a pair in the store' })
  })

  it('stopped: exit 6 in the store’s words; --refresh sends nothing; then it works again', async () => {
    const { dir, pair } = await stored(true)
    await server.stop()
    try {
      fake.cloud.reset()
      const { result, report } = await doctorHere(dir, url(server), '--refresh')
      expect(report.exitCode).toBe(6)
      expect(step(report, 'token pair')).toMatchObject({
        status: 'fail',
        detail: 'cannot be read (STORAGE_ERROR)',
        fix: expect.stringContaining(refused),
      })
      expect(step(report, 'store lock')).toMatchObject({
        status: 'skip',
        detail: 'needs a store that can be read',
      })
      expect(step(report, 'refresh token')?.status).toBe('skip')
      expect(fake.cloud.stats().refreshes).toBe(0)
      expect(result.stdout).not.toContain(password)
      expectNoTokenIn(result, pair)
    } finally {
      await server.start()
    }
    expect((await doctorHere(dir, url(server), '--offline')).report.exitCode).toBe(0)
  })
})

describe('aac doctor with a PostgreSQL store the user cannot use', () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgresServer()
  })
  afterAll(async () => {
    await server?.close()
  })

  it('a wrong password, and a user who may not create the table: exit 6 with the store’s fix', async () => {
    const { dir } = await config({ setting: 'postgres' })
    const wrong = await doctorHere(dir, server.urlFor({ password: 'not-the-password' }), '--offline')
    expect(wrong.report.exitCode).toBe(6)
    expect(step(wrong.report, 'token pair')?.fix).toContain(
      'the server refused the user name or password of the URL',
    )
    expect(wrong.result.stdout).not.toContain('not-the-password')

    const limited = server.urlFor({ user: POSTGRES_LIMITED.name, password: POSTGRES_LIMITED.password })
    const missing = await doctorHere(dir, limited, '--offline')
    expect(missing.report.exitCode).toBe(6)
    expect(step(missing.report, 'token pair')?.fix).toMatch(
      /lacks a permission the store needs.*create table if not exists "aac_tokens"/s,
    )
    expect(missing.result.stdout).not.toContain(POSTGRES_LIMITED.password)
  })
})
