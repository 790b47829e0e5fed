import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { type Client, createClient } from '../../src/client.ts'
import { JobError, type JobProgress, runJob } from '../../src/endpoints/jobs.ts'
import { type AacError, isAacError, TimeoutError } from '../../src/errors.ts'
import { memoryStorage } from '../../src/storage/memory.ts'
import { startSplitCloud } from './fake.ts'

async function failure(promise: Promise<unknown>): Promise<AacError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isAacError(error)) throw new Error(`expected an AacError, got ${String(error)}`)
  return error
}

describe('runJob against the fake cloud', () => {
  let cloud: FakeCloud
  let client: Client
  beforeAll(async () => {
    cloud = await startFakeCloud()
    const { accessToken, refreshToken } = cloud.issueTokens()
    client = createClient({
      config: { apiUrl: cloud.url, directUrl: cloud.url, projectId: cloud.projectId, region: undefined },
      storage: memoryStorage({ accessToken, refreshToken }),
    })
  })
  afterAll(() => cloud.stop())

  it('starts the job, reports every poll, and resolves when it is Complete', async () => {
    const progress: JobProgress[] = []
    const result = await runJob(
      client,
      { wrangledDatasetId: 1 },
      { pollIntervalMs: 5, onProgress: (p) => progress.push(p) },
    )
    expect(progress.map((p) => [p.status, p.polls])).toEqual([
      [undefined, 0],
      ['Pending', 1],
      ['InProgress', 2],
      ['Complete', 3],
    ])
    expect(result).toMatchObject({ jobId: progress[0]!.jobId, status: 'Complete', polls: 3 })
    expect(result.started).toMatchObject({ id: result.jobId, reason: 'JobStarted' })
  })

  it('accepts the whole POST body as well', async () => {
    const result = await runJob(client, { wrangledDataset: { id: 1 } }, { pollIntervalMs: 1 })
    expect(result.status).toBe('Complete')
  })

  it('a Failed job rejects with JobError JOB_FAILED naming the job', async () => {
    const error = await failure(runJob(client, { wrangledDatasetId: 2 }, { pollIntervalMs: 5 }))
    expect(error).toBeInstanceOf(JobError)
    expect(error.code).toBe('JOB_FAILED')
    const { jobId, status } = error as JobError
    expect(status).toBe('Failed')
    expect(error.message).toContain(`Job ${jobId} failed`)
  })

  it('a job that never ends → TimeoutError naming the job and the timeoutMs option; the job keeps running', async () => {
    const error = await failure(
      runJob(client, { wrangledDatasetId: 3 }, { pollIntervalMs: 20, timeoutMs: 150 }),
    )
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.code).toBe('TIMEOUT')
    const jobId = /Job (\d+)/.exec(error.message)?.[1]
    expect(jobId).toBeDefined()
    expect(error.message).toContain('150 ms, the timeoutMs option of runJob')
    expect(error.message).toContain(`POST /v4/jobGroups/${jobId}/cancel`)
    expect(await client.get(`/v4/jobGroups/${jobId}`)).toMatchObject({ status: 'InProgress' })
  })

  it('an aborted signal stops the wait (ABORTED) and, with cancelOnStop, cancels the job', async () => {
    const controller = new AbortController()
    let jobId: number | undefined
    const error = await failure(
      runJob(
        client,
        { wrangledDatasetId: 3 },
        {
          pollIntervalMs: 5,
          signal: controller.signal,
          cancelOnStop: true,
          onProgress: (p) => {
            jobId = p.jobId
            if (p.polls === 2) controller.abort()
          },
        },
      ),
    )
    expect(error.code).toBe('ABORTED')
    expect(error.message).toContain(`job ${jobId}`)
    expect(error.message).toContain('was canceled on Alteryx Cloud')
    expect(await client.get(`/v4/jobGroups/${jobId}`)).toMatchObject({ status: 'Canceled' })
  })

  it("gives back the caller's own abort reason", async () => {
    const reason = new Error('shutting down')
    const error = await runJob(client, { wrangledDatasetId: 3 }, { signal: AbortSignal.abort(reason) }).catch(
      (e: unknown) => e,
    )
    expect(error).toBe(reason)
  })

  it('a bad request is the API error, with nothing to poll', async () => {
    const before = cloud.stats().byRoute
    const error = await failure(runJob(client, { wrangledDataset: { id: 'x' } }, { pollIntervalMs: 1 }))
    expect(error.code).toBe('HTTP_ERROR')
    expect(error.message).toContain('wrangledDataset.id must be an integer')
    expect(Object.keys(cloud.stats().byRoute).filter((r) => r.endsWith('/status'))).toEqual(
      Object.keys(before).filter((r) => r.endsWith('/status')),
    )
  })
})

describe('runJob on split hosts', () => {
  it('starts and polls the job on the direct host, /v4/jobGroups and /v4/jobGroups/{id}/status', async () => {
    const fake = await startSplitCloud()
    try {
      const result = await runJob(fake.client, { wrangledDatasetId: 1 }, { pollIntervalMs: 1 })
      const direct = `${fake.cloud.directUrl}/v4/jobGroups`
      expect(fake.sent.map((s) => `${s.method} ${s.url}`)).toEqual([
        `POST ${direct}`,
        `GET ${direct}/${result.jobId}/status`,
        `GET ${direct}/${result.jobId}/status`,
        `GET ${direct}/${result.jobId}/status`,
      ])
      expect(fake.sent[0]?.headers.get('content-type')).toMatch(/^application\/json/)
      expectTypeOf(result.status).toEqualTypeOf<'Complete'>()
    } finally {
      await fake.cloud.stop()
    }
  })
})
