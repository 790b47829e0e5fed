/** `aac doctor`: the setup checked step by step, with the fix for each failing step. */

import { type Command, Option } from 'commander'
import type { DoctorOptions } from '../doctor/check.ts'
import { runChecks } from '../doctor/checks.ts'
import type { Step, StepStatus } from '../doctor/steps.ts'
import { EXIT } from '../exit-codes.ts'
import { type CliIo, type Paint, painter } from '../io.ts'
import type { RegisterCommand } from './command.ts'

/** The options of `aac doctor`, as declared in {@link register}. */
export interface DoctorCliOptions {
  refresh?: boolean
  offline?: boolean
  json?: boolean
  /** Per request, in ms: hidden, for tests and slow links. */
  timeout: number
}

export const register: RegisterCommand = (program, { io, setExitCode }) =>
  program
    .command('doctor')
    .description('Check the setup step by step and say how to fix each failing step.')
    .option('--refresh', 'also spend the refresh token (safely, under the lock) to prove it works')
    .option('--offline', 'send no request to Alteryx Cloud (the token store in use is still read)')
    .option('--json', 'print the steps as JSON')
    .addOption(new Option('--timeout <ms>', 'per request').argParser(Number).default(10_000).hideHelp())
    .addHelpText('after', '\nExit code 0 when every check passes, else the code of the first failing check.')
    .action(async (_options: unknown, command: Command) => {
      const { timeout, ...options } = command.opts<DoctorCliOptions>()
      setExitCode(await doctorCommand({ ...options, timeoutMs: timeout }, io))
    })

const NAME_WIDTH = 25

/** Prints the checklist (or JSON) and returns the exit code: 0 only when no step failed. */
export async function doctorCommand(options: DoctorOptions & { json?: boolean }, io: CliIo): Promise<number> {
  const paint = painter(io.stdout, io.env)
  if (!options.json) io.stdout.write(`${paint('bold', 'aac doctor')}: checking your Alteryx Cloud setup\n\n`)
  const steps = await runChecks(io, options, (step) => {
    if (!options.json) io.stdout.write(line(step, paint))
  })
  const failed = steps.filter((s) => s.status === 'fail')
  const exitCode = failed.length === 0 ? EXIT.OK : (failed[0]!.exit ?? EXIT.ERROR)
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ ok: failed.length === 0, exitCode, steps }, null, 2)}\n`)
    return exitCode
  }
  const warned = steps.filter((s) => s.status === 'warn').length
  const warnings = warned > 0 ? `${warned} warning${warned > 1 ? 's' : ''} above` : ''
  // The untested refresh token is the normal case (testing spends it); any other skip leaves a gap.
  const unchecked = steps.filter(
    (s) => s.status === 'skip' && !(s.name === 'refresh token' && !options.refresh),
  )
  if (failed.length > 0) {
    io.stdout.write(
      `\n${paint('red', `${failed.length} check${failed.length > 1 ? 's' : ''} failed`)} (${failed.map((s) => s.name).join(', ')}). Fix them from the top: a later check often fails because of an earlier one.\n`,
    )
  } else if (unchecked.length > 0) {
    io.stdout.write(
      `\n${paint('yellow', `Nothing failed${warnings && ` (${warnings})`}, but not everything was checked:`)}\n`,
    )
    for (const [why, names] of groupByDetail(unchecked)) io.stdout.write(`  ${names.join(', ')}: ${why}\n`)
  } else {
    io.stdout.write(`\n${paint('green', 'Everything needed works.')}${warnings && ` ${warnings}.`}\n`)
  }
  return exitCode
}

/** Skipped steps by reason, so `--offline` gives one line for all the network checks. */
function groupByDetail(steps: readonly Step[]): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const step of steps) groups.set(step.detail, [...(groups.get(step.detail) ?? []), step.name])
  return groups
}

const MARK: Record<StepStatus, [string, Parameters<Paint>[0]]> = {
  pass: ['✔', 'green'],
  warn: ['!', 'yellow'],
  fail: ['✘', 'red'],
  skip: ['-', 'dim'],
}

function line(step: Step, paint: Paint): string {
  const [mark, style] = MARK[step.status]
  const detail = step.status === 'skip' ? paint('dim', step.detail) : step.detail
  let text = `  ${paint(style, mark)} ${step.name.padEnd(NAME_WIDTH)} ${detail}\n`
  if (step.fix) text += `    ${paint(style, 'fix:')} ${step.fix}\n`
  return text
}
