import { execFileSync, spawnSync } from 'node:child_process'
import {
  chmod,
  link,
  mkdir,
  readFile,
  realpath,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { tokenEndpointTrust } from '@aac/core/diagnostics'
import { describe, expect, it } from 'vitest'
import { makeJwt } from '../../core/test/tokens.ts'
import { describeWorkspace } from '../src/doctor/calls.ts'
import { clockSkew, clockStep } from '../src/doctor/network.ts'
import type { Step } from '../src/doctor/steps.ts'
import { aac, aacInProcess, bin, execute, useCloud } from './helpers.ts'

const fake = useCloud()

interface Report {
  ok: boolean
  exitCode: number
  steps: Step[]
}

async function doctor(dir: string, ...args: string[]): Promise<{ code: number; report: Report }> {
  const result = await aacInProcess(['doctor', '--json', ...args], { env: { AAC_CONFIG_DIR: dir } })
  const report = JSON.parse(result.stdout) as Report
  expect(report.exitCode).toBe(result.code)
  return { code: result.code, report }
}

const step = (report: Report, name: string) => report.steps.find((s) => s.name === name)

/** Writes one file of a good config over with `text`. */
async function broken(file: string, text: string, opts: { expired?: boolean } = {}): Promise<string> {
  const dir = await fake.configDir(opts)
  await writeFile(join(dir, file), text)
  return dir
}

/**
 * A lock held by this (live) process for `ageMs`, as the core would see it: it judges age by the later of the
 * record's time and the file's mtime, so both are set back.
 */
async function heldLockFile(path: string, ageMs: number): Promise<void> {
  const then = Date.now() - ageMs
  await writeFile(
    path,
    JSON.stringify({ pid: process.pid, host: hostname(), token: 't', time: then, runtime: 'node' }),
  )
  await utimes(path, new Date(then), new Date(then))
}

const creds = (accessToken: string, refreshToken = 'a-refresh-token') =>
  JSON.stringify({ access_token: accessToken, refresh_token: refreshToken })

describe('aac doctor', () => {
  it('passes every step on a good config, as a checklist, without spending the refresh token', async () => {
    const dir = await fake.configDir()
    await chmod(join(dir, 'creds.json'), 0o600)
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    fake.cloud.reset()
    const result = await aac(['doctor'], { env: { AAC_CONFIG_DIR: dir } })
    expect(result.code).toBe(0)
    for (const name of [
      'config folder',
      'aac_url.txt',
      'client_id.txt',
      'creds.json',
      'access token',
      'region',
      'token endpoint',
      'lock file',
      'token endpoint reachable',
      'API host reachable',
      'API project id',
      'clock',
      'gateway call',
      'direct call',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`✔ ${name.replace('.', '\\.')} +\\S`))
    }
    expect(result.stdout).toContain('workspace "Fake Workspace"')
    expect(result.stdout).toMatch(/- refresh token +not tested: that spends it\. aac doctor --refresh does/)
    expect(result.stdout).toContain('Everything needed works.')
    expect(result.stdout).not.toContain('✘')
    expect(fake.cloud.stats().refreshes).toBe(0)
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
  })

  it('with an expired access token: still exit 0, no refresh, and says how to test the calls', async () => {
    const dir = await fake.configDir({ expired: true })
    fake.cloud.reset()
    const { code, report } = await doctor(dir)
    expect(code).toBe(0)
    // The gateway judged client_id.txt from a request with the key and no token.
    expect(step(report, 'API project id')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('client_id.txt: accepted'),
    })
    // Pasted by hand, creds.json is usually readable by others: worth a warning, not a failure.
    expect(step(report, 'creds.json')).toMatchObject({
      status: 'warn',
      fix: expect.stringMatching(/^chmod 600 /),
    })
    expect(step(report, 'access token')?.detail).toMatch(/^expired .* the next call refreshes it/)
    expect(step(report, 'API calls')).toMatchObject({
      status: 'skip',
      detail: expect.stringContaining('--refresh'),
    })
    expect(fake.cloud.stats().refreshes).toBe(0)

    const refreshed = await doctor(dir, '--refresh')
    expect(refreshed.code).toBe(0)
    expect(step(refreshed.report, 'refresh token')?.status).toBe('pass')
    expect(step(refreshed.report, 'gateway call')?.status).toBe('pass')
    expect(fake.cloud.stats().refreshes).toBe(1)
  })

  it('with an expired access token and a wrong client_id.txt: exit 3 naming client_id.txt, no refresh', async () => {
    const dir = await broken('client_id.txt', 'someone-elses-project\n', { expired: true })
    fake.cloud.reset()
    const result = await aacInProcess(['doctor'], { env: { AAC_CONFIG_DIR: dir } })
    expect(result.code).toBe(3)
    expect(result.stdout).toMatch(/✘ API project id +INVALID_API_KEY\n {4}fix: .*check client_id\.txt/)
    expect(result.stdout).toMatch(/1 check failed \(API project id\)/)
    expect(result.stdout).not.toContain('Everything needed works.')
    expect(fake.cloud.stats().refreshes).toBe(0)
  })

  it("a fresh token the API rejects is the core's UNAUTHORIZED, exit 4, and no refresh", async () => {
    const dir = await fake.configDir()
    fake.cloud.reset()
    fake.cloud.inject({ kind: 'unauthorized' })
    const { code, report } = await doctor(dir)
    expect(code).toBe(4)
    expect(step(report, 'gateway call')).toMatchObject({
      status: 'fail',
      detail: 'UNAUTHORIZED',
      fix: expect.stringMatching(/→ 401 .*The access token was rejected\. Check creds\.json/),
    })
    expect(step(report, 'direct call')?.status).toBe('pass')
    expect(fake.cloud.stats().refreshes).toBe(0)
  })

  it('never says everything works when the API calls were not checked, and says why', async () => {
    const expired = await fake.configDir({ expired: true })
    const result = await aacInProcess(['doctor'], { env: { AAC_CONFIG_DIR: expired } })
    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain('Everything needed works.')
    expect(result.stdout).toMatch(
      /Nothing failed \(1 warning above\), but not everything was checked:\n {2}API calls: the access token has expired: run `aac doctor --refresh` to check the API calls, which spends the refresh token/,
    )

    // Still valid for 30 s, but too close to expiry to be used as is: not "expired".
    const now = Math.floor(Date.now() / 1000)
    const closing = await broken(
      'creds.json',
      creds(makeJwt({ iss: fake.cloud.issuer, iat: now - 270, exp: now + 30 })),
    )
    const { report } = await doctor(closing)
    expect(step(report, 'API calls')?.detail).toMatch(/^the access token expires in \d+ s, too soon/)

    const offline = await aacInProcess(['doctor', '--offline'], {
      env: { AAC_CONFIG_DIR: await fake.configDir() },
    })
    expect(offline.code).toBe(0)
    expect(offline.stdout).toMatch(
      /\n {2}token endpoint reachable, API host reachable, API project id, clock, API calls: skipped \(--offline\)\n/,
    )
  })

  it('names the failing step and its fix for each broken setup, with the exit code of its kind', async () => {
    const { accessToken } = fake.cloud.issueTokens()
    const eu = await fake.configDir()
    await writeFile(join(eu, 'aac_url.txt'), 'https://api.us1.alteryxcloud.com\n')
    await writeFile(
      join(eu, 'creds.json'),
      creds(makeJwt({ iss: 'https://pingauth-eu1.alteryxcloud.com/as' })),
    )
    const heldLock = await fake.configDir()
    // Past the longest hold (refresh budget + margin, 50 s), not yet the 60 s stale age.
    await heldLockFile(join(heldLock, 'creds.json.lock'), 55_000)
    const linkedLock = await fake.configDir()
    await symlink(join(linkedLock, 'nowhere'), join(linkedLock, 'creds.json.lock'))
    const missingDir = join(await fake.tempDir(), 'missing')
    const emptyDir = await fake.tempDir()
    await mkdir(join(emptyDir, 'sub'))

    const cases: Array<{ dir: string; args?: string[]; step: string; fix: RegExp; exit: number }> = [
      {
        dir: missingDir,
        step: 'config folder',
        fix: /AAC_CONFIG_DIR is set to .*, which is not a folder/,
        exit: 3,
      },
      {
        dir: emptyDir,
        step: 'aac_url.txt',
        fix: /aac_url\.txt not found: create it with your API URL/,
        exit: 3,
      },
      {
        dir: await broken('aac_url.txt', 'https://us1.alteryxcloud.com\n'),
        args: ['--offline'],
        step: 'aac_url.txt',
        fix: /the web app's address, not the API's: write https:\/\/api\.us1\.alteryxcloud\.com/,
        exit: 3,
      },
      {
        dir: await broken('client_id.txt', '\n'),
        args: ['--offline'],
        step: 'client_id.txt',
        fix: /client_id\.txt is empty: paste the Client ID of your API project/,
        exit: 3,
      },
      {
        dir: await broken('creds.json', creds('Your access token here', 'Your refresh token here')),
        args: ['--offline'],
        step: 'creds.json',
        fix: /still holds the placeholder tokens: generate a token pair/,
        exit: 3,
      },
      {
        dir: await broken('creds.json', '{"access_token": "eyJ…",'),
        args: ['--offline'],
        step: 'creds.json',
        fix: /creds\.json is not valid JSON/,
        exit: 3,
      },
      {
        dir: await broken('creds.json', creds('not-a-jwt')),
        args: ['--offline'],
        step: 'creds.json',
        fix: /is not a JWT .*copy the whole access token again/,
        exit: 3,
      },
      {
        dir: eu,
        args: ['--offline'],
        step: 'region',
        fix: /region eu1.*write https:\/\/api\.eu1\.alteryxcloud\.com in aac_url\.txt/,
        exit: 3,
      },
      {
        dir: await broken('creds.json', creds(makeJwt({ iss: 'https://login.example.com/as' }))),
        step: 'token endpoint',
        fix: /Refusing to send the refresh token to https:\/\/login\.example\.com/,
        exit: 4,
      },
      {
        dir: await broken('creds.json', creds(makeJwt({ iss: 'http://127.0.0.1:9/as' }))),
        step: 'token endpoint reachable',
        fix: /127\.0\.0\.1:9/,
        exit: 5,
      },
      {
        dir: await broken('aac_url.txt', 'http://127.0.0.1:9\n'),
        step: 'API host reachable',
        fix: /127\.0\.0\.1:9/,
        exit: 5,
      },
      {
        dir: await broken('client_id.txt', 'someone-elses-project\n'),
        step: 'API project id',
        fix: /check client_id\.txt/,
        exit: 3,
      },
      { dir: heldLock, step: 'lock file', fix: /seems stuck.*Stop it \(kill \d+\)/, exit: 6 },
      { dir: linkedLock, step: 'lock file', fix: /delete the link/, exit: 6 },
      {
        dir: await broken('creds.json', creds(accessToken, 'already-spent')),
        args: ['--refresh'],
        step: 'refresh token',
        fix: /invalid_grant.*Generate a new pair at/,
        exit: 4,
      },
    ]
    fake.cloud.reset()
    for (const { dir, args = [], step: name, fix, exit } of cases) {
      const { code, report } = await doctor(dir, ...args)
      const failed = report.steps.filter((s) => s.status === 'fail')
      expect({ name, failed: failed.map((s) => s.name) }).toEqual({
        name,
        failed: expect.arrayContaining([name]),
      })
      expect(step(report, name)?.fix).toMatch(fix)
      expect({ name, code }).toEqual({ name, code: exit })
      expect(report.ok).toBe(false)
    }
    // Only the --refresh case was allowed to try a refresh (and it was refused).
    expect(fake.cloud.stats().refreshes).toBe(0)
    expect(fake.cloud.stats().invalidGrants).toBe(1)
  })

  it('reads the files as the library does: UTF-16 from PowerShell passes', async () => {
    const dir = await fake.configDir()
    for (const name of ['aac_url.txt', 'client_id.txt', 'creds.json']) {
      const text = await readFile(join(dir, name), 'utf8')
      await writeFile(join(dir, name), Buffer.from(`\uFEFF${text.trimEnd()}\r\n`, 'utf16le'))
    }
    const { report } = await doctor(dir, '--offline')
    for (const name of ['aac_url.txt', 'client_id.txt', 'creds.json', 'access token']) {
      expect({ name, status: step(report, name)?.status }).toEqual({
        name,
        status: expect.stringMatching(/pass|warn/),
      })
    }
    expect(report.steps.filter((s) => s.status === 'fail')).toEqual([])
  })

  it('judges the lock as the library does: a live owner past the stale age is taken over, not stuck', async () => {
    const dir = await fake.configDir()
    await heldLockFile(join(dir, 'creds.json.lock'), 90_000)
    const { report } = await doctor(dir, '--offline')
    expect(step(report, 'lock file')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^held by pid \d+ \(node\) for 1 min /),
      fix: expect.stringContaining('the next program that needs the lock takes it over'),
    })
  })

  it("checks that the folder of a symlinked creds.json's target is writable: the refresh writes there", async () => {
    const dir = await fake.configDir()
    const home = await fake.tempDir()
    await rename(join(dir, 'creds.json'), join(home, 'creds.json'))
    await symlink(join(home, 'creds.json'), join(dir, 'creds.json'))
    const target = join(await realpath(home), 'creds.json')
    const { report } = await doctor(dir, '--offline')
    expect(step(report, 'creds.json')?.detail).toContain(`a link to ${target}: a refresh writes there`)
    if (process.getuid?.() !== 0) {
      // Root may write anywhere, so only others can see the folder's permission checked.
      await chmod(home, 0o555)
      try {
        const locked = await doctor(dir, '--offline')
        expect(step(locked.report, 'creds.json')).toMatchObject({
          status: 'fail',
          detail: `${await realpath(home)} is not writable`,
        })
      } finally {
        await chmod(home, 0o755)
      }
    }
  })

  it("names why the token endpoint is trusted, by the core's rule", () => {
    expect(tokenEndpointTrust('https://pingauth-eu1.alteryxcloud.com/as/')).toEqual({
      endpoint: 'https://pingauth-eu1.alteryxcloud.com/as/token',
      reason: 'alteryxcloud',
    })
    expect(tokenEndpointTrust('http://127.0.0.1:8787/as').reason).toBe('loopback')
    expect(tokenEndpointTrust('https://login.example.com/as', ['login.example.com']).reason).toBe(
      'trusted-by-option',
    )
    // No leading dot, no trust.
    expect(() => tokenEndpointTrust('https://evilalteryxcloud.com/as')).toThrow(/Refusing to send/)
  })

  it('checks the lock beside the target of a symlinked creds.json, where every program locks', async () => {
    const dir = await fake.configDir()
    const home = await fake.tempDir()
    await rename(join(dir, 'creds.json'), join(home, 'creds.json'))
    await symlink(join(home, 'creds.json'), join(dir, 'creds.json'))
    const lockPath = join(await realpath(home), 'creds.json.lock')
    await heldLockFile(lockPath, 55_000)
    const { code, report } = await doctor(dir, '--offline')
    expect(code).toBe(6)
    expect(step(report, 'lock file')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining(lockPath),
    })
  })

  it('prints the fix under a failing step and ends with a summary', async () => {
    const dir = await broken('client_id.txt', '\n')
    const result = await aacInProcess(['doctor', '--offline'], { env: { AAC_CONFIG_DIR: dir } })
    expect(result.code).toBe(3)
    expect(result.stdout).toMatch(/✘ client_id\.txt +CONFIG_INVALID\n {4}fix: .*client_id\.txt is empty/)
    expect(result.stdout).toMatch(/- API host reachable +skipped \(--offline\)/)
    expect(result.stdout).toMatch(/1 check failed \(client_id\.txt\)/)
  })

  it('judges the clock from the Date header', () => {
    const sent = Date.parse('2025-01-01T12:00:00.000Z')
    expect(clockSkew('Wed, 01 Jan 2025 12:00:00 GMT', sent, sent + 100)).toBe(450)
    expect(clockSkew('Wed, 01 Jan 2025 12:02:00 GMT', sent, sent + 100)).toBe(120_450)
    expect(clockSkew(null, sent, sent)).toBeUndefined()
    expect(clockStep(3_000, 'https://api.us1.alteryxcloud.com').status).toBe('pass')
    expect(clockStep(-30_000, 'https://api.us1.alteryxcloud.com')).toMatchObject({
      status: 'warn',
      detail: '30 s ahead of api.us1.alteryxcloud.com',
    })
    expect(clockStep(120_000, 'https://api.us1.alteryxcloud.com')).toMatchObject({
      status: 'fail',
      detail: '2 min behind api.us1.alteryxcloud.com',
      fix: expect.stringContaining('timedatectl set-ntp true'),
      // A documented code: 1, any other failure (3 is for the files).
      exit: 1,
    })
  })

  it('says which trust rule lets the refresh token go to the token endpoint, in words', async () => {
    const { report } = await doctor(await fake.configDir(), '--offline')
    expect(step(report, 'token endpoint')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(
        /^http:\/\/127\.0\.0\.1:\d+\/.*token \(the refresh token may go there: a loopback address on this computer/,
      ),
    })
  })

  it('reads the documented workspace fields, each optional', () => {
    expect(
      describeWorkspace({
        id: 31429,
        name: 'lukes-test-workspace',
        custom_url: 'lukes-test-workspace.us1.alteryxcloud.com',
        workspace_member_count: 2,
        workspace_tier: 'enterprise_cloud22',
        createdAt: '2025-02-05T18:05:29.000Z',
      }),
    ).toBe(
      'workspace "lukes-test-workspace" (id 31429, 2 members, tier enterprise_cloud22, at lukes-test-workspace.us1.alteryxcloud.com)',
    )
    expect(describeWorkspace({ name: 'solo', workspace_member_count: 1 })).toBe('workspace "solo" (1 member)')
    expect(describeWorkspace({ id: 7 })).toBe('a workspace without a name (id 7)')
    expect(describeWorkspace(null)).toBe('a workspace without a name')
  })

  it.runIf(process.platform !== 'win32')(
    'a hard-linked creds.json fails its step, and --refresh does not spend the token',
    async () => {
      const dir = await fake.configDir({ expired: true })
      const creds = join(dir, 'creds.json')
      await chmod(creds, 0o600)
      await link(creds, join(dir, 'creds-backup.json'))
      const before = await readFile(creds, 'utf8')
      fake.cloud.reset()
      const { code, report } = await doctor(dir, '--refresh')
      expect(code).toBe(6)
      expect(step(report, 'creds.json')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('hard-linked'),
        fix: expect.stringContaining(`${await realpath(creds)} has 2 names (hard links)`),
      })
      expect(step(report, 'refresh token')).toMatchObject({
        status: 'skip',
        detail: expect.stringMatching(/^not run: creds\.json cannot be written safely/),
      })
      expect(fake.cloud.stats().refreshes).toBe(0)
      expect(await readFile(creds, 'utf8')).toBe(before)
    },
  )

  it.runIf(process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0)(
    'never hangs on a FIFO: each file, the lock and its .break are named',
    async () => {
      const cases: Array<{ file: string; step: string; fix: RegExp; exit: number }> = [
        { file: 'aac_url.txt', step: 'aac_url.txt', fix: /aac_url\.txt is a FIFO \(named pipe\)/, exit: 3 },
        {
          file: 'client_id.txt',
          step: 'client_id.txt',
          fix: /client_id\.txt is a FIFO \(named pipe\)/,
          exit: 3,
        },
        { file: 'creds.json', step: 'creds.json', fix: /creds\.json is a FIFO \(named pipe\)/, exit: 3 },
        {
          file: 'creds.json.lock',
          step: 'lock file',
          fix: /creds\.json\.lock, and refuse anything else/,
          exit: 6,
        },
        {
          file: 'creds.json.lock.break',
          step: 'lock file',
          fix: /creds\.json\.lock\.break, and refuse/,
          exit: 6,
        },
      ]
      for (const { file, step: name, fix, exit } of cases) {
        const dir = await fake.configDir()
        await rm(join(dir, file), { force: true })
        execFileSync('mkfifo', [join(dir, file)])
        const started = Date.now()
        const { code, report } = await doctor(dir, '--offline')
        expect(Date.now() - started).toBeLessThan(5_000)
        expect({ file, fix: step(report, name)?.fix }).toEqual({ file, fix: expect.stringMatching(fix) })
        expect({ file, code }).toEqual({ file, code: exit })
      }
    },
  )

  // CI runs as root with unshare: there this test must run, never be skipped.
  it.runIf(
    process.env['CI'] === 'true' ||
      (process.platform === 'linux' &&
        process.getuid?.() === 0 &&
        spawnSync('unshare', ['-m', 'true']).status === 0),
  )(
    'a creds.json bind-mounted on its own (root, unshare -m): flagged, and --refresh does not spend the token',
    async () => {
      const dir = await fake.configDir({ expired: true })
      const host = await fake.tempDir()
      const creds = join(dir, 'creds.json')
      await rename(creds, join(host, 'creds.json'))
      await writeFile(creds, '')
      const before = await readFile(join(host, 'creds.json'), 'utf8')
      fake.cloud.reset()
      const result = await execute(
        'unshare',
        [
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount --bind "$0" "$1" && exec "$2" "$3" doctor --json --refresh',
          join(host, 'creds.json'),
          creds,
          process.execPath,
          bin,
        ],
        { env: { AAC_CONFIG_DIR: dir } },
      )
      const report = JSON.parse(result.stdout) as Report
      expect(result.code).toBe(6)
      expect(step(report, 'creds.json')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('mounted on its own'),
        fix: expect.stringContaining('Mount the folder, not the file'),
      })
      expect(step(report, 'refresh token')?.detail).toMatch(/^not run: creds\.json cannot be written safely/)
      expect(fake.cloud.stats().refreshes).toBe(0)
      expect(await readFile(join(host, 'creds.json'), 'utf8')).toBe(before)
    },
  )
})
