// examples/node/list_people.ts and run_job.ts, run as a user runs them, against the fake cloud.
import { describe, expect, it } from 'vitest'
import { execute, repoRoot, useCloud } from '../../packages/cli/test/helpers.ts'
import { nodeExample } from '../../scripts/runtimes.ts'

const fake = useCloud()

function example(script: string, env: Record<string, string>) {
  const { command, args } = nodeExample(repoRoot, script)
  // `--import tsx` resolves tsx from the working directory; AAC_CONFIG_DIR keeps the repo's own files out of it.
  return execute(command, args, { env, cwd: repoRoot })
}

describe('examples/node', () => {
  it('list_people.ts lists all 137 people, page by page', async () => {
    const dir = await fake.configDir({ expired: true })
    fake.cloud.reset()
    const result = await example('list_people.ts', { AAC_CONFIG_DIR: dir })
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(137)
    expect(new Set(lines.map((line) => line.split('\t')[0])).size).toBe(137)
    expect(result.stderr).toBe('137 people\n')
    expect(fake.cloud.stats().byRoute['GET /v4/people']).toBe(2)
  })

  it('list_people.ts with AAC_DEBUG=1 shows token events on stderr, as its header promises', async () => {
    const dir = await fake.configDir({ expired: true })
    const result = await example('list_people.ts', { AAC_CONFIG_DIR: dir, AAC_DEBUG: '1' })
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^\[aac\] .*refresh/im)
    expect(result.stderr).toMatch(/137 people\n$/)
  })

  it('run_job.ts: dataset 1 completes after a few polls, each shown on stderr', async () => {
    const dir = await fake.configDir()
    const result = await example('run_job.ts', {
      AAC_CONFIG_DIR: dir,
      AAC_DATASET_ID: '1',
      AAC_POLL_INTERVAL_MS: '20',
    })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'Complete', polls: 3 })
    expect(result.stderr).toMatch(
      /^job \d+: started .*\njob \d+: Pending .*\njob \d+: InProgress .*\njob \d+: Complete /,
    )
  })

  it('run_job.ts: dataset 2 fails → exit 1 with JOB_FAILED naming the job', async () => {
    const dir = await fake.configDir()
    const result = await example('run_job.ts', {
      AAC_CONFIG_DIR: dir,
      AAC_DATASET_ID: '2',
      AAC_POLL_INTERVAL_MS: '20',
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(
      /error \[JOB_FAILED\]: Job (\d+) failed\. GET \/v4\/jobGroups\/\1 has its details/,
    )
  })

  it('run_job.ts: dataset 3 never ends → exit 1 with TIMEOUT after AAC_JOB_TIMEOUT_MS', async () => {
    const dir = await fake.configDir()
    const result = await example('run_job.ts', {
      AAC_CONFIG_DIR: dir,
      AAC_DATASET_ID: '3',
      AAC_POLL_INTERVAL_MS: '50',
      // Room for a slow first POST on a loaded machine; the last status seen then depends on timing.
      AAC_JOB_TIMEOUT_MS: '2000',
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /error \[TIMEOUT\]: Job (\d+) \(last status: [^)]+\) took longer than 2000 ms/,
    )
    expect(result.stderr).toContain('timeoutMs option')
  })
})
