// One "machine" of the many-machines tests: started by machines.ts inside a UTS namespace of its own (its own
// host name), it starts every program of its spec at once and prints one JSON line: the host name the programs
// saw, and each program's exit code and output.
//
//   unshare --uts -- sh -c 'hostname machine-a && exec node --import tsx test/servers/machine.ts spec.json'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { hostname } from 'node:os'

/** A program to start. */
export interface MachineRun {
  readonly label: string
  readonly command: string
  readonly args: readonly string[]
  readonly cwd?: string | undefined
  readonly env?: Record<string, string> | undefined
}

/** What the machine prints. */
export interface MachineReport {
  readonly host: string
  readonly results: ReadonlyArray<{ label: string; code: number; stdout: string; stderr: string; ms: number }>
}

const spec = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as { runs: MachineRun[]; timeoutMs: number }
const results = await Promise.all(
  spec.runs.map(
    (run) =>
      new Promise<MachineReport['results'][number]>((resolve) => {
        const began = Date.now()
        const child = spawn(run.command, run.args, {
          cwd: run.cwd,
          env: { ...process.env, ...run.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
        const timer = setTimeout(() => child.kill('SIGKILL'), spec.timeoutMs)
        child.on('error', (error) => {
          clearTimeout(timer)
          resolve({
            label: run.label,
            code: 127,
            stdout,
            stderr: `${stderr}${error.message}`,
            ms: Date.now() - began,
          })
        })
        child.on('close', (code, signal) => {
          clearTimeout(timer)
          resolve({
            label: run.label,
            code: code ?? (signal ? 137 : 1),
            stdout,
            stderr,
            ms: Date.now() - began,
          })
        })
      }),
  ),
)
const report: MachineReport = { host: hostname(), results }
process.stdout.write(`${JSON.stringify(report)}\n`)
