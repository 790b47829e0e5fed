// The job calls live in endpoints/jobs.ts now. This path is kept only for packages/core/test/format-error.test.ts,
// which imports JobError from here: delete this file once that import reads '../src/endpoints/jobs.ts'.
// Not part of the package's API (index.ts exports from endpoints/).
export {
  JobError,
  type JobInput,
  type JobProgress,
  type JobResult,
  type JobStatus,
  type RunJobOptions,
  runJob,
} from './endpoints/jobs.ts'
