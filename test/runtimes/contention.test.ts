// Node, Deno and Bun programs sharing one creds.json at the same moment: the fake cloud (an independent token
// endpoint that revokes a token family on reuse) must see every run succeed and no refresh token spent twice.
import { readdir } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { exampleFor, type RuntimeName } from '../../scripts/runtimes.ts'
import {
  expectOneSafeRotation,
  fakeWorkspace,
  ROOT,
  type RunResult,
  run,
  type Workspace,
} from '../helpers.ts'

/** 4 Node, 4 Deno and 4 Bun processes, interleaved. */
const MIX: RuntimeName[] = Array.from({ length: 12 }, (_, i) => (['node', 'deno', 'bun'] as const)[i % 3]!)

let ws: Workspace | undefined
afterEach(async () => {
  await ws?.close()
  ws = undefined
})

/** Starts one process per entry of `mix`, all at once, on the config folder `dir`. */
function runAll(
  mix: readonly RuntimeName[],
  dir: string,
): Promise<Array<RunResult & { runtime: RuntimeName }>> {
  return Promise.all(
    mix.map(async (runtime) => {
      const { command, args } = exampleFor(ROOT, runtime, dir)
      const result = await run(command, args, {
        env: { AAC_CONFIG_DIR: dir, NO_COLOR: '1' },
        timeoutMs: 90_000,
      })
      return { ...result, runtime }
    }),
  )
}

function expectAllPrintedTheWorkspace(results: Array<RunResult & { runtime: RuntimeName }>): void {
  const failed = results.filter((r) => r.code !== 0 || !r.stdout.includes('"id": 31429'))
  expect(
    failed.map((r) => `${r.runtime} exit ${r.code}: ${r.stderr.trim()}`),
    'runs that did not print the workspace',
  ).toEqual([])
}

describe('Node, Deno and Bun on one creds.json', () => {
  it('4 + 4 + 4 processes started at once on an expired token: 12 of 12 succeed, one refresh', {
    timeout: 120_000,
  }, async () => {
    ws = await fakeWorkspace({ expired: true })
    const results = await runAll(MIX, ws.dir)
    expectAllPrintedTheWorkspace(results)
    await expectOneSafeRotation(ws, 12)
  })

  it('2-second access tokens, 3 rounds of 12 mixed processes: 36 of 36 succeed, the chain stays intact', {
    timeout: 240_000,
  }, async () => {
    // Tokens expire while processes start, so many of them refresh, each under the lock, in every runtime.
    ws = await fakeWorkspace({ expired: true, accessTokenTtlSeconds: 2 })
    for (let round = 0; round < 3; round++) {
      expectAllPrintedTheWorkspace(await runAll(MIX, ws.dir))
      const saved = JSON.parse(await ws.readCreds()) as { refresh_token: string }
      expect(ws.cloud.isRefreshTokenValid(saved.refresh_token), `after round ${round + 1}`).toBe(true)
    }
    const stats = ws.cloud.stats()
    expect(stats).toMatchObject({ reuseDetected: 0, invalidGrants: 0 })
    expect(stats.refreshes).toBeGreaterThanOrEqual(1)
    expect((await readdir(ws.dir)).sort()).toEqual(['aac_url.txt', 'client_id.txt', 'creds.json'])
  })
})
