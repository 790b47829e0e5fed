/**
 * Who holds a shared store's lock, for messages of the programs that wait for it: the program, its pid and the
 * machine, so that "waiting for get_workspace.ts (pid 4242 on worker-3)" says where to look.
 */

import { hostname } from 'node:os'
import { currentProgram } from '../../internal/program.ts'
import { mayUse } from '../file/runtime-permission.ts'

/** A lock holder, as other programs see it. */
export interface LockHolder {
  readonly program: string
  readonly pid?: number | undefined
  readonly host?: string | undefined
}

/**
 * This program as a lock holder.
 *
 * @example
 * thisHolder() // { program: 'get_workspace.ts', pid: 4242, host: 'worker-3' }
 */
export function thisHolder(): LockHolder {
  const { program, pid, host } = currentProgram()
  // Node before 20.16 has no getBuiltinModule for currentProgram; Deno without --allow-sys=hostname gets none.
  if (host !== undefined || !mayUse({ name: 'sys', kind: 'hostname' })) return { program, pid, host }
  try {
    return { program, pid, host: hostname() }
  } catch {
    return { program, pid }
  }
}

/**
 * @example
 * describeHolder({ program: 'aac', pid: 7, host: 'ci-2' }) // 'aac (pid 7 on ci-2)'
 */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another program'
  const where = [holder.pid !== undefined ? `pid ${holder.pid}` : '', holder.host ? `on ${holder.host}` : '']
    .filter(Boolean)
    .join(' ')
  return where ? `${holder.program} (${where})` : holder.program
}
