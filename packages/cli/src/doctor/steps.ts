/** One line of the doctor's checklist, and the two kinds every check writes the same way. */

import { isAacError } from '@aac/core'
import { exitCodeFor } from '../exit-codes.ts'

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

/**
 * A step failed by `error`: its code (or `detail`) in the checklist, its message, in the core's words, as the
 * fix, and the exit code of its kind.
 *
 * @example
 * failed('aac_url.txt', error) // { name: 'aac_url.txt', status: 'fail', detail: 'CONFIG_MISSING', fix: '…', exit: 3 }
 */
export function failed(name: string, error: unknown, detail?: string): Step {
  return {
    name,
    status: 'fail',
    detail: detail ?? (isAacError(error) ? error.code : error instanceof Error ? error.name : 'error'),
    fix: error instanceof Error ? error.message : String(error),
    exit: exitCodeFor(error),
  }
}

/**
 * A step not run, and why: what it needs that an earlier step did not give, or the option that left it out.
 *
 * @example
 * skipped('clock', 'needs a reachable API host')
 */
export function skipped(name: string, why: string): Step {
  return { name, status: 'skip', detail: why }
}
