/** One line of the doctor's checklist. */
export type StepStatus = 'pass' | 'warn' | 'fail' | 'skip'

export interface Step {
  /** `aac_url.txt`, `clock`, `gateway call`… */
  name: string
  status: StepStatus
  /** What was found, in a few words. */
  detail: string
  /** For warn and fail: what to do. */
  fix?: string
  /** For fail: the exit code of this kind of failure (3 config, 4 auth, 5 network, 6 storage, 1 other). */
  exit?: number
}
