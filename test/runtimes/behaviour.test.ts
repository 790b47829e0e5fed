// The core's behaviour suite (test/behaviour) under Deno and Bun, run by their own test runners against a fake
// cloud in this process. Node runs the same suite in test/behaviour/run-node.test.ts.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runtimeBinary } from '../../scripts/runtimes.ts'
import { behaviourSuite, FAKE_CLOUD_ENV } from '../behaviour/suite.ts'
import { ROOT, run } from '../helpers.ts'

/** The names the suite registers, so a runner that silently ran fewer tests fails here. */
const names: string[] = []
behaviourSuite({ test: (name) => void names.push(name) }, () => '')

let cloud: FakeCloud
let temp: string
beforeAll(async () => {
  cloud = await startFakeCloud()
  temp = await mkdtemp(join(tmpdir(), 'aac-runtimes-'))
})
afterAll(async () => {
  await cloud?.stop()
  if (temp) await rm(temp, { recursive: true, force: true })
})

describe('the behaviour suite', () => {
  it('passes under deno test, with only the permissions it needs', async () => {
    // Its own temp folder, the only place the suite may read and write.
    const dir = await mkdtemp(join(temp, 'deno-'))
    const result = await run(
      runtimeBinary(ROOT, 'deno'),
      [
        'test',
        '--no-prompt',
        '--config',
        'test/behaviour/deno.json',
        `--allow-env=TMPDIR,${FAKE_CLOUD_ENV}`,
        '--allow-net=127.0.0.1',
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        'test/behaviour/run-deno.ts',
      ],
      { env: { TMPDIR: dir, [FAKE_CLOUD_ENV]: cloud.url, NO_COLOR: '1' } },
    )
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(0)
    expect(output).toContain(`ok | ${names.length} passed | 0 failed`)
    for (const name of names) expect(output).toContain(`${name} ... ok`)
  })

  it('passes under bun test', async () => {
    const dir = await mkdtemp(join(temp, 'bun-'))
    const result = await run(runtimeBinary(ROOT, 'bun'), ['test', './test/behaviour/run-bun.ts'], {
      env: { TMPDIR: dir, [FAKE_CLOUD_ENV]: cloud.url, NO_COLOR: '1' },
    })
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(0)
    expect(output).toMatch(new RegExp(`\\b${names.length} pass\\b`))
    expect(output).toMatch(/\b0 fail\b/)
    for (const name of names) expect(output).toContain(`(pass) ${name}`)
  })
})
