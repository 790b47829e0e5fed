// Several "machines" on this one: each a UTS namespace with a host name of its own (`unshare --uts` +
// `hostname`), running its programs at once (test/servers/machine.ts). As root (CI) a plain UTS namespace; as
// another user, inside a user namespace of its own where it may set the host name.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, run } from '../helpers.ts'
import type { MachineReport, MachineRun } from './machine.ts'

export type { MachineReport, MachineRun }

/**
 * Starts every machine at once, each running its programs at once; resolves with each machine's report.
 *
 * @example
 * const reports = await runMachines({ 'machine-a': runsA, 'machine-b': runsB })
 */
export async function runMachines(
  machines: Record<string, readonly MachineRun[]>,
  timeoutMs = 120_000,
): Promise<MachineReport[]> {
  const dir = await mkdtemp(join(tmpdir(), 'aac-machines-'))
  try {
    const namespace = process.getuid?.() === 0 ? ['--uts'] : ['--user', '--map-root-user', '--uts']
    return await Promise.all(
      Object.entries(machines).map(async ([host, runs]) => {
        const specFile = join(dir, `${host}.json`)
        await writeFile(specFile, JSON.stringify({ runs, timeoutMs }))
        const machine = ['--import', 'tsx', join(ROOT, 'test/servers/machine.ts'), specFile]
        const result = await run(
          'unshare',
          [...namespace, '--', 'sh', '-c', 'hostname "$0" && exec "$@"', host, process.execPath, ...machine],
          { timeoutMs: timeoutMs + 10_000 },
        )
        const line = result.stdout.trim().split('\n').pop() ?? ''
        if (result.code !== 0 || !line.startsWith('{')) {
          throw new Error(`machine ${host} failed (exit ${result.code}): ${result.stderr.slice(0, 2000)}`)
        }
        return JSON.parse(line) as MachineReport
      }),
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
