/**
 * Typed endpoints: one module per API resource, each a few free functions over a client that return the
 * answer typed as Alteryx documents it. docs/endpoints.md says how to add one.
 */

export {
  JobError,
  type JobInput,
  type JobProgress,
  type JobResult,
  type JobStatus,
  type RunJobOptions,
  runJob,
} from './jobs.ts'
export { getCurrentPerson, listPeople, type Person } from './people.ts'
export { getCurrentWorkspace, type Workspace, type WorkspaceTier } from './workspaces.ts'
