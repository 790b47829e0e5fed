// A token endpoint that misbehaves after (or instead of) rotating: the fake cloud's hostile faults, through the
// real library on a temp folder (loadConfig + createClient, a new client per "program") and, where the
// runtime or the process boundary matters, through the examples and `aac token` as real processes.
// What every case protects: a refresh token is sent at most once per rotation, nothing unusable is stored, and
// the user is told what happened, without a token in the message.

import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@aac/core'
import { loadConfig } from '@aac/core/fs'
import { afterEach, describe, expect, it } from 'vitest'
import { bunExample, denoExample, type ExampleRun, nodeExample } from '../../scripts/runtimes.ts'
import {
  expectNoSecret,
  expectOneSafeRotation,
  fakeWorkspace,
  leftovers,
  ROOT,
  readPair,
  run,
  start,
  type Workspace,
} from '../helpers.ts'

let ws: Workspace | undefined
const servers: Server[] = []
afterEach(async () => {
  await ws?.close()
  ws = undefined
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

/** A new program's client on the folder: its own token manager, its own file storage. */
async function program(dir: string, tokenOptions: { refreshTimeoutMs?: number } = {}) {
  const { config, storage } = await loadConfig({ dir })
  return createClient({
    config,
    storage,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    tokenOptions: { retryBaseDelayMs: 5, ...tokenOptions },
  })
}

/** What a program gets for the workspace: the error it threw (never resolved in these cases). */
async function failure(dir: string, tokenOptions: { refreshTimeoutMs?: number } = {}) {
  const client = await program(dir, tokenOptions)
  const outcome = await client.get('/iam/v1/workspaces/current').then(
    () => undefined,
    (error: unknown) => error as Error & { code?: string },
  )
  if (!outcome) throw new Error('the request succeeded where it must fail')
  return outcome
}

const NODE = nodeExample(ROOT)
const AAC = [process.execPath, join(ROOT, 'packages', 'cli', 'bin', 'aac.js')] as const

function runExample(example: ExampleRun, dir: string) {
  return run(example.command, example.args, {
    env: { AAC_CONFIG_DIR: dir, NO_COLOR: '1' },
    timeoutMs: 90_000,
  })
}

describe('drop-after-rotate: the answer is lost after the server rotated', () => {
  it('in-process: one request, TOKEN_REFRESH_UNCERTAIN, an uncertain record; the next program tries once and names the interrupted refresh; a third sends nothing', async () => {
    ws = await fakeWorkspace()
    const original = readPair(await ws.readCreds())
    ws.cloud.inject({ kind: 'drop-after-rotate' })

    const first = await failure(ws.dir)
    expect(first.code).toBe('TOKEN_REFRESH_UNCERTAIN')
    expect(first.message).toMatch(/may or may not have happened.*your tokens may be lost.*not sent again/)
    expectNoSecret(first.message, original)
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 1, reuseDetected: 0 })
    const afterFirst = readPair(await ws.readCreds())
    expect(afterFirst.refresh_token === original.refresh_token, 'the pair is kept').toBe(true)
    expect(afterFirst.aac?.refresh).toMatchObject({ state: 'uncertain', pid: process.pid })
    const record = afterFirst.aac?.refresh
    if (!record) throw new Error('no record')

    const second = await failure(ws.dir)
    expect(second.code).toBe('REAUTH_REQUIRED')
    expect(second.message).toContain(
      `refresh of this pair sent by ${record.program} (pid ${record.pid} on ${hostname()}) at ${record.at} was interrupted`,
    )
    expectNoSecret(second.message, original)
    // One try, refused: the server saw the spent token once more (its reuse detection fires once).
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 2, invalidGrants: 1, reuseDetected: 1 })
    expect(readPair(await ws.readCreds()).aac?.refresh?.state).toBe('spent')

    const third = await failure(ws.dir)
    expect(third.code).toBe('REAUTH_REQUIRED')
    expect(third.message).toContain('was interrupted')
    expect(ws.cloud.stats().tokenRequests, 'the third program sent nothing').toBe(2)
    expect(await leftovers(ws.dir)).toEqual([])
  })

  it('as Node processes: exit 1 with TOKEN_REFRESH_UNCERTAIN, then REAUTH_REQUIRED naming get_workspace.ts and its pid, then nothing sent', async () => {
    ws = await fakeWorkspace()
    const original = readPair(await ws.readCreds())
    ws.cloud.inject({ kind: 'drop-after-rotate' })
    const env = { AAC_CONFIG_DIR: ws.dir, NO_COLOR: '1' }

    const firstRun = start(NODE.command, NODE.args, { env })
    const first = await firstRun.done
    expect(first.code).toBe(1)
    expect(first.stderr).toMatch(/^error \[TOKEN_REFRESH_UNCERTAIN\]: .*may or may not have happened/)
    expectNoSecret(first.stderr + first.stdout, original)
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 1 })
    const record = readPair(await ws.readCreds()).aac?.refresh
    expect(record).toMatchObject({
      state: 'uncertain',
      program: 'get_workspace.ts',
      pid: firstRun.pid,
      host: hostname(),
    })

    const second = await runExample(NODE, ws.dir)
    expect(second.code).toBe(1)
    expect(second.stderr).toMatch(/^error \[REAUTH_REQUIRED\]: /)
    expect(second.stderr).toContain(
      `sent by get_workspace.ts (pid ${firstRun.pid} on ${hostname()}) at ${record?.at} was interrupted`,
    )
    expectNoSecret(second.stderr, original)
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 2, invalidGrants: 1, reuseDetected: 1 })

    const third = await runExample(NODE, ws.dir)
    expect(third.code).toBe(1)
    expect(third.stderr).toMatch(/^error \[REAUTH_REQUIRED\]: .*was interrupted/)
    expect(ws.cloud.stats().tokenRequests, 'the third run sent nothing').toBe(2)
    expect(await leftovers(ws.dir)).toEqual([])
  })
})

/** A second local HTTP server that counts what reaches it (it must be nothing). */
async function trap(): Promise<{ origin: string; hits: () => number }> {
  let hits = 0
  const server = createServer((req, res) => {
    hits++
    req.resume()
    res.end('{}')
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { origin: `http://127.0.0.1:${port}`, hits: () => hits }
}

describe('a redirect from the token endpoint', () => {
  it.each([307, 308, 302] as const)(
    '%i to another local server: nothing reaches it, the error names its origin and no token, creds.json byte-identical',
    async (status) => {
      ws = await fakeWorkspace()
      const other = await trap()
      const before = await ws.readCreds()
      const pair = readPair(before)
      ws.cloud.inject({ kind: 'redirect', status, location: `${other.origin}/as/token?from=fake` })
      const error = await failure(ws.dir)
      expect(error.code).toBe('TOKEN_REFRESH_FAILED')
      expect(error.message).toContain(`redirect to ${other.origin}.`)
      expect(error.message).not.toContain('from=fake')
      expectNoSecret(error.message, pair)
      expect(other.hits(), 'requests that reached the redirect target').toBe(0)
      expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 0 })
      // Invariant 4: nothing was spent, so the file is exactly as it was (not merely the same pair).
      expect(await ws.readCreds(), 'creds.json byte-identical after the redirect').toBe(before)
      expect(await leftovers(ws.dir)).toEqual([])
      // Nothing was spent: the next program refreshes normally.
      ws.cloud.reset()
      await (await program(ws.dir)).get('/iam/v1/workspaces/current')
      await expectOneSafeRotation(ws, 1)
    },
  )

  it.each([
    ['node', () => NODE],
    ['deno', (dir: string) => denoExample(ROOT, { configDir: dir })],
    ['bun', () => bunExample(ROOT)],
  ] as const)(
    'the %s example: a 307 is not followed (each runtime has its own fetch)',
    async (_name, example) => {
      ws = await fakeWorkspace()
      const other = await trap()
      const before = await ws.readCreds()
      ws.cloud.inject({ kind: 'redirect', status: 307, location: `${other.origin}/as/token` })
      const result = await runExample(example(ws.dir), ws.dir)
      expect(other.hits(), 'requests that reached the redirect target').toBe(0)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        /^error \[TOKEN_REFRESH_FAILED\]: .*redirect to http:\/\/127\.0\.0\.1:\d+\./,
      )
      expect(result.stderr).toContain(other.origin)
      expectNoSecret(result.stderr + result.stdout, readPair(before))
      expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 0 })
      expect(await ws.readCreds(), 'creds.json byte-identical after the redirect').toBe(before)
    },
  )
})

describe("failures before any rotation leave the user's own creds.json byte-identical (invariant 4)", () => {
  /** creds.json as a user may have written it: other key order, tabs, CRLF, an extra key of their own. */
  async function userFormatted(w: Workspace): Promise<string> {
    const pair = readPair(await w.readCreds())
    const text = `{\r\n\t"refresh_token":  "${pair.refresh_token}",\r\n\t"note": "mine",\r\n\t"access_token": "${pair.access_token}"\r\n}\r\n`
    await writeFile(w.credsPath, text)
    return text
  }

  it.each([
    [
      'a 307 redirect',
      (other: string) => ({ kind: 'redirect', location: `${other}/as/token` }) as const,
      'TOKEN_REFRESH_FAILED',
      1,
    ],
    [
      '429 until the resends run out',
      () => ({ kind: 'status', status: 429, retryAfterSeconds: 0, path: '/as/token', times: 10 }) as const,
      'TOKEN_ENDPOINT_UNAVAILABLE',
      4,
    ],
    [
      'a 500 that did not rotate, then the next program succeeds',
      () => ({ kind: 'status', status: 500, path: '/as/token' }) as const,
      'TOKEN_REFRESH_UNCERTAIN',
      1,
    ],
  ] as const)('%s', async (name, fault, code, requests) => {
    ws = await fakeWorkspace()
    const other = await trap()
    const before = await userFormatted(ws)
    ws.cloud.inject(fault(other.origin))
    const error = await failure(ws.dir)
    expect(error.code).toBe(code)
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: requests, refreshes: 0 })
    expect(other.hits()).toBe(0)
    if (code === 'TOKEN_REFRESH_UNCERTAIN') {
      // Uncertain: the record must stay (the next program needs it); the pair itself is unchanged.
      const after = readPair(await ws.readCreds())
      expect(after.aac?.refresh?.state).toBe('uncertain')
      expect(after.refresh_token === readPair(before).refresh_token).toBe(true)
      // The server had not rotated: the next program tries once and succeeds.
      ws.cloud.reset()
      await (await program(ws.dir)).get('/iam/v1/workspaces/current')
      await expectOneSafeRotation(ws, 1)
      return
    }
    expect(await ws.readCreds(), `creds.json byte-identical after ${name}`).toBe(before)
    expect(await leftovers(ws.dir)).toEqual([])
  })

  it("invalid_grant with no refresh left in flight: REAUTH_REQUIRED, the user's file byte-identical", async () => {
    ws = await fakeWorkspace()
    await ws.spendRefreshToken()
    const before = await userFormatted(ws)
    const error = await failure(ws.dir)
    expect(error.code).toBe('REAUTH_REQUIRED')
    expect(error.message).not.toContain('was interrupted')
    expect(await ws.readCreds(), 'creds.json byte-identical after invalid_grant').toBe(before)
  })
})

describe('the same access token again', () => {
  it('the API rejects it and the endpoint keeps answering it: at most two refreshes, a clear error within seconds, the chain kept', async () => {
    ws = await fakeWorkspace({ expired: false })
    const original = readPair(await ws.readCreds())
    ws.cloud.inject({ kind: 'unauthorized', times: 20 })
    ws.cloud.inject({ kind: 'same-access-token', times: 5 })
    const began = Date.now()
    const error = await failure(ws.dir)
    const ms = Date.now() - began
    const stats = ws.cloud.stats()
    console.log(
      `same-access-token: ${stats.refreshes} refreshes, ${stats.tokenRequests} token requests, ${stats.apiRequests} API requests, ${ms} ms`,
    )
    expect(error.code).toBe('TOKEN_REFRESH_FAILED')
    expect(error.message).toContain(
      'twice answered a refresh with the access token the API had just rejected',
    )
    expectNoSecret(error.message, original)
    expect(stats.refreshes).toBeLessThanOrEqual(2)
    expect(stats.tokenRequests).toBeLessThanOrEqual(2)
    expect(stats).toMatchObject({ reuseDetected: 0, invalidGrants: 0 })
    expect(ms).toBeLessThan(5_000)
    // Each answer rotated the refresh token: the last one is stored, so the chain is not lost.
    const saved = readPair(await ws.readCreds())
    expect(ws.cloud.isRefreshTokenValid(saved.refresh_token), 'the stored refresh token is live').toBe(true)
    expect(saved.aac?.refresh).toBeUndefined()
    expect(await leftovers(ws.dir)).toEqual([])
  })

  it('as a Node process: exit 1 with TOKEN_REFRESH_FAILED within seconds, at most two refreshes', async () => {
    ws = await fakeWorkspace({ expired: false })
    ws.cloud.inject({ kind: 'unauthorized', times: 20 })
    ws.cloud.inject({ kind: 'same-access-token', times: 5 })
    const result = await start(NODE.command, NODE.args, { env: { AAC_CONFIG_DIR: ws.dir } }).done
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error \[TOKEN_REFRESH_FAILED\]: .*twice answered/)
    expect(ws.cloud.stats().refreshes).toBeLessThanOrEqual(2)
    expect(result.ms).toBeLessThan(15_000)
    const saved = readPair(await ws.readCreds())
    expect(ws.cloud.isRefreshTokenValid(saved.refresh_token), 'the stored refresh token is live').toBe(true)
  })
})

describe('an answer that cannot be stored', () => {
  it.each([
    [
      'expired-access-token',
      { kind: 'expired-access-token' } as const,
      /an access token that had already expired/,
    ],
    [
      'untrusted-iss (default)',
      { kind: 'untrusted-iss' } as const,
      /issuer is https:\/\/login\.evil\.example/,
    ],
    [
      'untrusted-iss (look-alike host)',
      { kind: 'untrusted-iss', issuer: 'https://us1.alteryxcloud.com.evil.example/as' } as const,
      /issuer is https:\/\/us1\.alteryxcloud\.com\.evil\.example/,
    ],
  ])(
    '%s: one refresh, nothing stored, a clear error; the next program sends nothing',
    async (_name, fault, words) => {
      ws = await fakeWorkspace()
      const original = readPair(await ws.readCreds())
      ws.cloud.inject(fault)
      const error = await failure(ws.dir)
      expect(error.code).toBe('TOKEN_REFRESH_FAILED')
      expect(error.message).toMatch(words)
      expect(error.message).toMatch(/nothing was stored.*spent the refresh token/)
      expectNoSecret(error.message, original)
      expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 1, apiRequests: 0 })
      const after = readPair(await ws.readCreds())
      expect(after.access_token === original.access_token, 'the old access token is kept').toBe(true)
      expect(after.refresh_token === original.refresh_token, 'the old refresh token is kept').toBe(true)
      expect(after.aac?.refresh?.state).toBe('spent')

      const next = await failure(ws.dir)
      expect(next.code).toBe('REAUTH_REQUIRED')
      expectNoSecret(next.message, original)
      expect(ws.cloud.stats(), 'the next program sent nothing').toMatchObject({
        tokenRequests: 1,
        requests: 1,
      })
      expect(await leftovers(ws.dir)).toEqual([])
    },
  )
})

describe('the answer comes after the refresh budget', () => {
  it('late-after-rotate 3 s with a 500 ms budget: TOKEN_REFRESH_UNCERTAIN, no second request', async () => {
    ws = await fakeWorkspace()
    const original = readPair(await ws.readCreds())
    ws.cloud.inject({ kind: 'late-after-rotate', ms: 3_000 })
    const began = Date.now()
    const error = await failure(ws.dir, { refreshTimeoutMs: 500 })
    expect(Date.now() - began, 'gave up at its budget, not when the answer came').toBeLessThan(2_500)
    expect(error.code).toBe('TOKEN_REFRESH_UNCERTAIN')
    expect(error.message).toContain('no answer within 500 ms')
    expectNoSecret(error.message, original)
    // Give the held answer time to come and go: nothing may be sent meanwhile, nor when it arrives.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 1, reuseDetected: 0 })
    expect(readPair(await ws.readCreds()).aac?.refresh?.state).toBe('uncertain')
    expect(await leftovers(ws.dir)).toEqual([])
  })
})

describe('statuses at the token endpoint', () => {
  it('502 after the server rotated: uncertain, no second request; the next program names the interrupted refresh', async () => {
    ws = await fakeWorkspace()
    const original = readPair(await ws.readCreds())
    ws.cloud.inject({ kind: 'status', status: 502, afterRotate: true, times: 3 })
    const error = await failure(ws.dir)
    expect(error.code).toBe('TOKEN_REFRESH_UNCERTAIN')
    expect(error.message).toContain('HTTP 502')
    expectNoSecret(error.message, original)
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 1 })
    expect(readPair(await ws.readCreds()).aac?.refresh).toMatchObject({ state: 'uncertain' })
    const next = await failure(ws.dir)
    expect(next.code).toBe('REAUTH_REQUIRED')
    expect(next.message).toMatch(
      /was interrupted: it reached the token endpoint and it ended uncertain \(.*502/,
    )
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 2, reuseDetected: 1 })
  })

  it('503 (not processed, no rotation): resent, and succeeds with one rotation', async () => {
    ws = await fakeWorkspace()
    ws.cloud.inject({ kind: 'status', status: 503, path: '/as/token' })
    const client = await program(ws.dir)
    await client.get('/iam/v1/workspaces/current')
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 2, refreshes: 1 })
    await expectOneSafeRotation(ws, 1)
    expect(readPair(await ws.readCreds()).aac?.refresh).toBeUndefined()
  })
})

describe('many programs at once', () => {
  it('a server clock 10 minutes behind: 8 concurrent `aac token` → one refresh, 8 tokens, exit 0; a later one refreshes nothing', {
    timeout: 120_000,
  }, async () => {
    ws = await fakeWorkspace({ clockOffsetSeconds: -600 })
    const dir = ws.dir
    const original = readPair(await ws.readCreds())
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        run(AAC[0], [AAC[1], 'token'], { env: { AAC_CONFIG_DIR: dir }, cwd: dir, timeoutMs: 90_000 }),
      ),
    )
    const saved = readPair(await ws.readCreds())
    // Compared as booleans: a failure message must not print a token.
    const outcomes = results.map((r) => ({
      code: r.code,
      printedTheStoredToken: r.stdout.trim() === saved.access_token,
      stderr: r.stderr.trim(),
    }))
    expect(outcomes).toEqual(
      Array.from({ length: 8 }, () => ({ code: 0, printedTheStoredToken: true, stderr: '' })),
    )
    console.log(`clock -600 s: ${ws.cloud.stats().refreshes} refresh(es) for 8 aac token`)
    expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, tokenRequests: 1, reuseDetected: 0 })
    expect(saved.refresh_token === original.refresh_token).toBe(false)
    expect(Math.abs((saved.aac?.clock_offset_ms ?? 0) + 600_000)).toBeLessThan(5_000)
    const later = await run(AAC[0], [AAC[1], 'token'], { env: { AAC_CONFIG_DIR: dir }, cwd: dir })
    expect(later.code).toBe(0)
    expect(ws.cloud.stats().tokenRequests, 'a later aac token used the stored pair').toBe(1)
    await expectOneSafeRotation(ws, 0)
  })

  it('a 20-second token endpoint: 16 Node examples all succeed with one refresh', {
    timeout: 150_000,
  }, async () => {
    ws = await fakeWorkspace()
    const dir = ws.dir
    ws.cloud.inject({ kind: 'delay', ms: 20_000, path: '/as/token' })
    const began = Date.now()
    const results = await Promise.all(Array.from({ length: 16 }, () => runExample(NODE, dir)))
    const failed = results.filter((r) => r.code !== 0 || !r.stdout.includes('"id": 31429'))
    console.log(
      `20 s token endpoint: ${results.length - failed.length}/16 succeeded, ${ws.cloud.stats().refreshes} refresh(es), ${Math.round((Date.now() - began) / 1000)} s`,
    )
    expect(failed.map((r) => `exit ${r.code}: ${r.stderr.trim()}`)).toEqual([])
    await expectOneSafeRotation(ws, 16)
  })
})
