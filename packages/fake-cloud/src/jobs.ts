import { randomUUID } from 'node:crypto'

export type JobStatus = 'Pending' | 'InProgress' | 'Complete' | 'Failed' | 'Canceled'

/** What a job of a given dataset does: which status poll (1-based) reports its final state, and which one. */
interface Script {
  finalAtPoll: number
  final: JobStatus
}

/**
 * Dataset ids pick a scripted outcome, so client tests can cover success, failure and a job that never ends
 * (for timeouts) without any configuration.
 */
function scriptFor(datasetId: number): Script {
  if (datasetId === 2) return { finalAtPoll: 2, final: 'Failed' }
  if (datasetId === 3) return { finalAtPoll: Number.POSITIVE_INFINITY, final: 'InProgress' }
  return { finalAtPoll: 3, final: 'Complete' }
}

export interface Job {
  id: number
  datasetId: number
  sessionId: string
  polls: number
  status: JobStatus
  createdAt: string
}

export class JobBook {
  readonly #jobs = new Map<number, Job>()
  #nextId = 1001
  readonly #now: () => number

  /** `now`: the server's clock in epoch milliseconds. */
  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  create(datasetId: number): Job {
    const job: Job = {
      id: this.#nextId++,
      datasetId,
      sessionId: randomUUID(),
      polls: 0,
      status: 'Pending',
      createdAt: new Date(this.#now()).toISOString(),
    }
    this.#jobs.set(job.id, job)
    return job
  }

  get(id: number): Job | undefined {
    return this.#jobs.get(id)
  }

  /** Each status poll moves the job along its script: Pending, then InProgress, then the final state. */
  poll(id: number): JobStatus | undefined {
    const job = this.#jobs.get(id)
    if (!job) return undefined
    if (job.status === 'Pending' || job.status === 'InProgress') {
      job.polls += 1
      const script = scriptFor(job.datasetId)
      job.status = job.polls >= script.finalAtPoll ? script.final : job.polls === 1 ? 'Pending' : 'InProgress'
    }
    return job.status
  }

  /** Cancels a running job; a finished one keeps its final status. */
  cancel(id: number): Job | undefined {
    const job = this.#jobs.get(id)
    if (job && (job.status === 'Pending' || job.status === 'InProgress')) job.status = 'Canceled'
    return job
  }
}
