// SIGTERM, SIGHUP and SIGINT while a token refresh is in flight, for the Node, Deno and Bun examples and
// `aac token`, each started directly (no shell, no npx wrapper) so the signal reaches the program itself.
// The fake rotates and then holds its answer; the signal comes once the request has reached it. The program
// must finish that request, save the new pair, and only then exit 128 + n: a program that quit at once would
// leave creds.json with a refresh token the server has already spent.
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { bunExample, denoExample, nodeExample } from '../../scripts/runtimes.ts'
import {
  expectNoSecret,
  fakeWorkspace,
  leftovers,
  ROOT,
  readPair,
  start,
  type Workspace,
  waitUntil,
} from '../helpers.ts'

const HOLD_MS = 1_500

let ws: Workspace | undefined
afterEach(async () => {
  await ws?.close()
  ws = undefined
})

const programs: Array<[string, (dir: string) => { command: string; args: string[] }]> = [
  ['node example', () => nodeExample(ROOT)],
  // The flags a user runs it with (scripts/runtimes.ts), nothing more.
  ['deno example', (dir) => denoExample(ROOT, { configDir: dir })],
  ['bun example', () => bunExample(ROOT)],
  [
    'aac token',
    () => ({ command: process.execPath, args: [join(ROOT, 'packages', 'cli', 'bin', 'aac.js'), 'token'] }),
  ],
]

const signals = [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
  ['SIGINT', 130],
] as const

describe.each(signals)('%s while the token request is answered', (signal, exitCode) => {
  it.each(programs)(
    `%s: finishes the refresh, saves the live pair, exits ${exitCode}`,
    async (_name, program) => {
      ws = await fakeWorkspace({ expired: true })
      const original = readPair(await ws.readCreds())
      ws.cloud.inject({ kind: 'late-after-rotate', ms: HOLD_MS })
      const { command, args } = program(ws.dir)
      const cloud = ws.cloud
      const started = start(command, args, { env: { AAC_CONFIG_DIR: ws.dir, NO_COLOR: '1' } })
      // A program that ends before sending (a config or permission problem) must fail the test, not hang it.
      let ended = false
      void started.done.then(() => {
        ended = true
      })
      await waitUntil(() => cloud.stats().tokenRequests >= 1 || ended, 'the token request', 30_000)
      if (ended) {
        const early = await started.done
        throw new Error(`ended before its token request: exit ${early.code}: ${early.stderr.trim()}`)
      }
      const signalledAt = Date.now()
      process.kill(started.pid, signal)
      const result = await started.done
      const waited = Date.now() - signalledAt

      expect(result.signal, 'ended by its own exit, not killed by the signal').toBeNull()
      expect(result.code, result.stderr.trim()).toBe(exitCode)
      expectNoSecret(result.stdout + result.stderr, original)
      // No error report: `aac` says it was aborted (its documented [ABORTED] line), the examples say nothing.
      expect(result.stderr).not.toMatch(/^error (?!\[ABORTED\])/m)
      const saved = readPair(await ws.readCreds())
      expect(saved.refresh_token === original.refresh_token, 'the rotated pair was saved').toBe(false)
      expect(
        ws.cloud.isRefreshTokenValid(saved.refresh_token),
        'the saved refresh token is the live one',
      ).toBe(true)
      expect(saved.aac?.refresh, 'no in-flight record left').toBeUndefined()
      expect(await leftovers(ws.dir), 'no lock or temp file left').toEqual([])
      expect(ws.cloud.stats()).toMatchObject({
        tokenRequests: 1,
        refreshes: 1,
        reuseDetected: 0,
        invalidGrants: 0,
      })
      // It waited for the held answer rather than quitting, and not for the whole grace period either.
      expect(waited).toBeGreaterThan(HOLD_MS / 3)
      expect(waited).toBeLessThan(20_000)
    },
  )
})
