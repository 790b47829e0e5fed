// aac api --paginate over 10,000 people: items printed as pages arrive, --slurp, --jq per item.
import { describe, expect, it } from 'vitest'
import { runAac } from './api-run.ts'
import { useCloud } from './helpers.ts'

const PEOPLE = 10_000
const fake = useCloud({ people: PEOPLE })
const envFor = (dir: string) => ({ AAC_CONFIG_DIR: dir })
const allIds = Array.from({ length: PEOPLE }, (_, i) => i + 1)

/** Runs aac and notes how many list pages the fake cloud had been asked for when the first bytes came out. */
async function streamed(args: string[], dir: string) {
  fake.cloud.reset()
  let pagesAtFirstWrite: number | undefined
  const result = await runAac(args, {
    env: envFor(dir),
    onWrite: () => {
      pagesAtFirstWrite ??= fake.cloud.stats().byRoute['GET /v4/people'] ?? 0
    },
  })
  return { ...result, pagesAtFirstWrite, pages: fake.cloud.stats().byRoute['GET /v4/people'] }
}

describe('aac api --paginate over 10,000 records', () => {
  it('prints the first page before the next one is even asked for, then every item once, in order', async () => {
    const dir = await fake.configDir()
    const sequential = await streamed(['api', '/v4/people', '--paginate', '--concurrency', '1'], dir)
    expect(sequential.code).toBe(0)
    expect(sequential.pages).toBe(100)
    expect(sequential.pagesAtFirstWrite).toBe(1)
    const lines = sequential.stdout.trimEnd().split('\n')
    expect(lines.map((line) => (JSON.parse(line) as { id: number }).id)).toEqual(allIds)

    // Concurrently, the first items still come out long before the last page: once the first few arrived.
    const concurrent = await streamed(['api', '/v4/people', '--paginate'], dir)
    expect(concurrent.stdout).toBe(sequential.stdout)
    expect(concurrent.pages).toBe(100)
    expect(concurrent.pagesAtFirstWrite).toBeLessThanOrEqual(5)
  })

  it('--slurp streams one array of all of them', async () => {
    const dir = await fake.configDir()
    const result = await streamed(['api', '/v4/people', '--paginate', '--slurp', '-f', 'limit=1000'], dir)
    expect(result.code).toBe(0)
    expect(result.pagesAtFirstWrite).toBeLessThan(10)
    const people = JSON.parse(result.stdout) as Array<{ id: number }>
    expect(people.map((p) => p.id)).toEqual(allIds)
  })

  it('--jq runs on each item; with --slurp, once on the whole array', async () => {
    const dir = await fake.configDir()
    const each = await streamed(
      ['api', '/v4/people', '--paginate', '-f', 'limit=1000', '--jq', 'select(.id % 1000 == 0) | .id'],
      dir,
    )
    expect(each.stdout).toBe(`${allIds.filter((id) => id % 1000 === 0).join('\n')}\n`)
    const emails = await streamed(
      ['api', '/v4/people', '--paginate', '-f', 'limit=1000', '--jq', '.email'],
      dir,
    )
    expect(emails.stdout.trimEnd().split('\n')).toHaveLength(PEOPLE)
    expect(emails.stdout).toMatch(/^[^"\n]+@fake\.example\.com\n/)

    const length = await runAac(
      ['api', '/v4/people', '--paginate', '--slurp', '-f', 'limit=1000', '--jq', 'length'],
      {
        env: envFor(dir),
      },
    )
    expect(length).toMatchObject({ code: 0, stdout: `${PEOPLE}\n` })
  })

  it('refuses --slurp without --paginate and a --concurrency that is not a whole number', async () => {
    const dir = await fake.configDir()
    const slurp = await runAac(['api', '/v4/people', '--slurp'], { env: envFor(dir) })
    expect(slurp.code).toBe(2)
    expect(slurp.stderr).toContain('--slurp merges the pages of --paginate')
    const zero = await runAac(['api', '/v4/people', '--paginate', '--concurrency', '0'], { env: envFor(dir) })
    expect(zero.code).toBe(2)
    expect(zero.stderr).toContain('--concurrency 0: expected a whole number from 1')
  })
})
