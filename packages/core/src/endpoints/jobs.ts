/**
 * Running a job and waiting for it: `POST /v4/jobGroups`, then `GET /v4/jobGroups/{id}/status` (a bare JSON
 * string such as "InProgress") until the job is Complete, Failed or Canceled.
 */

import type { Client } from '../client.ts'
import { AacError, type AacErrorOptions, AbortedError, TimeoutError } from '../errors.ts'
import { anySignal, sleep } from '../internal/abort.ts'

/**
 * Statuses the API reports; others may appear and are treated as "still running".
 *
 * @example
 * const running = (status: JobStatus | undefined) => status !== 'Complete' && status !== 'Failed'
 */
export type JobStatus = 'Created' | 'Pending' | 'Queued' | 'InProgress' | 'Complete' | 'Failed' | 'Canceled'

/**
 * `{ wrangledDatasetId }` (other fields go into the body as they are), or the whole body of POST /v4/jobGroups.
 *
 * @example
 * const byId: JobInput = { wrangledDatasetId: 28629 }
 * const whole: JobInput = { wrangledDataset: { id: 28629 }, overrides: { execution: 'photon' } }
 */
export type JobInput = { wrangledDatasetId: number; [field: string]: unknown } | Record<string, unknown>

/**
 * How {@link runJob} waits.
 *
 * @example
 * const options: RunJobOptions = { pollIntervalMs: 10_000, timeoutMs: 30 * 60_000, cancelOnStop: true, signal }
 */
export interface RunJobOptions {
  /**
   * Pause between status polls, in ms.
   * @default 5000
   */
  pollIntervalMs?: number | undefined
  /**
   * Give up waiting after this long, in ms, with a `TIMEOUT` TimeoutError naming the job (0 or Infinity: wait
   * as long as it takes). The job itself keeps running unless `cancelOnStop` is set.
   * @default 3600000 (1 hour)
   */
  timeoutMs?: number | undefined
  /** Stops waiting; runJob rejects with the signal's reason (or an `ABORTED` TimeoutError naming the job). */
  signal?: AbortSignal | undefined
  /** Called once the job is created (`status` undefined, `polls` 0), then after every poll. */
  onProgress?: ((progress: JobProgress) => void) | undefined
  /**
   * Also cancel the job on Alteryx Cloud when the wait times out or is aborted.
   * @default false
   */
  cancelOnStop?: boolean | undefined
}

/**
 * What {@link RunJobOptions.onProgress} is told after the job is created and after every poll.
 *
 * @example
 * const onProgress = ({ jobId, status, elapsedMs }: JobProgress) =>
 *   console.error(`job ${jobId}: ${status ?? 'created'} after ${Math.round(elapsedMs / 1000)} s`)
 */
export interface JobProgress {
  /** The job group id. */
  jobId: number
  /** The last status polled; undefined before the first poll. */
  status: JobStatus | (string & {}) | undefined
  /** How many times the status was polled so far. */
  polls: number
  /** Milliseconds since the job was started. */
  elapsedMs: number
}

/**
 * A job that completed, as {@link runJob} resolves it.
 *
 * @example
 * const { jobId, polls, started } = await runJob(client, { wrangledDatasetId: 28629 })
 * console.log(`job ${jobId} completed after ${polls} polls; session ${String(started['sessionId'])}`)
 */
export interface JobResult {
  /** The job group id. */
  jobId: number
  /** Always `Complete`: a job that failed or was canceled rejects with a {@link JobError}. */
  status: 'Complete'
  /** How many times the status was polled. */
  polls: number
  /** Milliseconds from the start to the completion seen. */
  elapsedMs: number
  /** The answer of POST /v4/jobGroups (`id`, `sessionId`, `jobs`…). */
  started: Record<string, unknown>
}

/**
 * A job that ended Failed (`JOB_FAILED`) or Canceled (`JOB_CANCELED`).
 *
 * @example
 * try {
 *   await runJob(client, { wrangledDatasetId: 28629 })
 * } catch (error) {
 *   if (error instanceof JobError) console.error(`job ${error.jobId} ended ${error.status}`)
 *   else throw error
 * }
 */
export class JobError extends AacError {
  override readonly name = 'JobError'
  /** The job group id. */
  readonly jobId: number
  /** The status the job ended with: `Failed` or `Canceled`. */
  readonly status: string

  constructor(
    code: 'JOB_FAILED' | 'JOB_CANCELED',
    message: string,
    details: { jobId: number; status: string },
    options?: AacErrorOptions,
  ) {
    super(code, message, options)
    this.jobId = details.jobId
    this.status = details.status
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), jobId: this.jobId, status: this.status }
  }
}

const FINAL = new Map<string, 'Complete' | 'Failed' | 'Canceled'>([
  ['complete', 'Complete'],
  ['failed', 'Failed'],
  ['canceled', 'Canceled'],
  ['cancelled', 'Canceled'],
])

/**
 * Starts a job and waits until it is Complete; a Failed or Canceled job rejects with a {@link JobError}.
 * POST is not retried (a retry could start the job twice); status polls are, like any GET.
 *
 * @example
 * const result = await runJob(client, { wrangledDatasetId: 28629 }, {
 *   onProgress: ({ jobId, status }) => console.error(`job ${jobId}: ${status ?? 'created'}`),
 *   timeoutMs: 10 * 60_000,
 * })
 */
export async function runJob(
  client: Pick<Client, 'get' | 'post'>,
  input: JobInput,
  options: RunJobOptions = {},
): Promise<JobResult> {
  const startedAt = Date.now()
  const pollIntervalMs = Math.max(0, options.pollIntervalMs ?? 5_000)
  const timeoutMs = options.timeoutMs ?? 3_600_000
  const deadline = timeoutMs > 0 && Number.isFinite(timeoutMs) ? AbortSignal.timeout(timeoutMs) : undefined
  const signals = [options.signal, deadline].filter((s): s is AbortSignal => s !== undefined)
  const signal = signals.length > 0 ? anySignal(signals) : undefined
  const elapsedMs = () => Date.now() - startedAt
  let jobId: number | undefined
  let status: string | undefined
  let polls = 0

  try {
    const started = await client.post('/v4/jobGroups', bodyOf(input), { ...(signal && { signal }) })
    jobId = idOf(started)
    options.onProgress?.({ jobId, status, polls, elapsedMs: elapsedMs() })
    for (;;) {
      await sleep(pollIntervalMs, signal)
      const answer = await client.get(`/v4/jobGroups/${jobId}/status`, { ...(signal && { signal }) })
      status = statusOf(answer, jobId)
      polls++
      options.onProgress?.({ jobId, status, polls, elapsedMs: elapsedMs() })
      const final = FINAL.get(status.toLowerCase())
      if (final === 'Complete') {
        return {
          jobId,
          status: final,
          polls,
          elapsedMs: elapsedMs(),
          started: started as Record<string, unknown>,
        }
      }
      if (final === 'Failed') {
        throw new JobError(
          'JOB_FAILED',
          `Job ${jobId} failed. GET /v4/jobGroups/${jobId} has its details, and its page in Alteryx Cloud (Jobs) shows the log.`,
          { jobId, status },
        )
      }
      if (final === 'Canceled') {
        throw new JobError('JOB_CANCELED', `Job ${jobId} was canceled before it completed.`, {
          jobId,
          status,
        })
      }
    }
  } catch (error) {
    const stoppedByUs = deadline?.aborted || options.signal?.aborted
    if (!stoppedByUs) throw error
    const canceled = options.cancelOnStop && jobId !== undefined ? await cancel(client, jobId) : undefined
    throw stopError(error, { jobId, status, timeoutMs, timedOut: !!deadline?.aborted, canceled, options })
  }
}

function bodyOf(input: JobInput): Record<string, unknown> {
  if (typeof input['wrangledDatasetId'] === 'number') {
    const { wrangledDatasetId, ...rest } = input
    return { ...rest, wrangledDataset: { id: wrangledDatasetId } }
  }
  return input
}

function idOf(started: unknown): number {
  const id = typeof started === 'object' && started !== null ? (started as { id?: unknown }).id : undefined
  const number = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new AacError(
      'UNEXPECTED_RESPONSE',
      'POST /v4/jobGroups answered without a job id, so the job cannot be followed. Check the jobs page in Alteryx Cloud before starting it again.',
    )
  }
  return number
}

/** The API answers a bare JSON string ("InProgress"); an object with `status` is accepted too. */
function statusOf(answer: unknown, jobId: number): string {
  const status =
    typeof answer === 'object' && answer !== null ? (answer as { status?: unknown }).status : answer
  if (typeof status !== 'string' || status.trim() === '') {
    throw new AacError(
      'UNEXPECTED_RESPONSE',
      `GET /v4/jobGroups/${jobId}/status answered without a status; check the job in Alteryx Cloud.`,
    )
  }
  return status.trim()
}

async function cancel(client: Pick<Client, 'post'>, jobId: number): Promise<boolean> {
  try {
    await client.post(`/v4/jobGroups/${jobId}/cancel`, undefined, { timeoutMs: 15_000 })
    return true
  } catch {
    return false
  }
}

function stopError(
  cause: unknown,
  context: {
    jobId: number | undefined
    status: string | undefined
    timeoutMs: number
    timedOut: boolean
    canceled: boolean | undefined
    options: RunJobOptions
  },
): Error {
  const { jobId, status, timeoutMs, timedOut, canceled } = context
  const reason: unknown = context.options.signal?.reason
  // A reason of the caller's own making is theirs to get back, as fetch does.
  if (
    !timedOut &&
    reason instanceof Error &&
    reason.name !== 'AbortError' &&
    reason.name !== 'TimeoutError'
  ) {
    return reason
  }
  const fate =
    jobId === undefined
      ? ' Whether the job was created is unknown: check the jobs page in Alteryx Cloud before starting it again.'
      : canceled === true
        ? ` The job was canceled on Alteryx Cloud.`
        : canceled === false
          ? ` Canceling it failed: POST /v4/jobGroups/${jobId}/cancel stops it.`
          : ` It keeps running on Alteryx Cloud: GET /v4/jobGroups/${jobId}/status follows it, POST /v4/jobGroups/${jobId}/cancel stops it.`
  if (timedOut) {
    const what =
      jobId === undefined ? 'Starting the job' : `Job ${jobId} (last status: ${status ?? 'not polled yet'})`
    return new TimeoutError(
      'TIMEOUT',
      `${what} took longer than ${timeoutMs} ms, the timeoutMs option of runJob: raise it to wait longer.${fate}`,
      { cause },
    )
  }
  const what =
    jobId === undefined ? 'the job to start' : `job ${jobId} (last status: ${status ?? 'not polled yet'})`
  return new AbortedError(`Stopped waiting for ${what}: the signal passed to runJob was aborted.${fate}`, {
    cause,
  })
}
