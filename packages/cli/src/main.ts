/**
 * The `aac` command: any Alteryx Cloud API call, a fresh token for any language, a setup doctor. A thin layer
 * over `@aac/core`: the token rotation, HTTP and error messages are the library's; this file maps them to
 * streams and exit codes.
 */

import process from 'node:process'
import { formatError, VERSION } from '@aac/core'
import { stopOnSignals } from '@aac/core/process'
import type { CommandContext, RegisterCommand } from './commands/command.ts'
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.ts'
import { type CliIo, debugEnabled, directOutput, lazyOutput, type Paint, painter } from './io.ts'
import { useProxyFromEnv } from './proxy.ts'

/**
 * In `aac --help` order. Each module declares its own command, options and action. Loaded on demand: a run
 * loads the one module it names (`aac token` never parses the doctor or `aac api`), and all of them only for
 * help, a mistyped command or anything else that lists them.
 */
const COMMANDS: Record<string, () => Promise<{ register: RegisterCommand }>> = {
  init: () => import('./commands/init.ts'),
  api: () => import('./commands/api.ts'),
  token: () => import('./commands/token.ts'),
  whoami: () => import('./commands/whoami.ts'),
  doctor: () => import('./commands/doctor.ts'),
  creds: () => import('./commands/creds.ts'),
  completion: () => import('./commands/completion.ts'),
}

/** The command modules a command line needs: the one it names, else all (help, a typo, no command). */
async function commandsFor(argv: readonly string[]): Promise<Array<{ register: RegisterCommand }>> {
  // The first word that is neither an option nor the value of --config-dir.
  const name = argv.find((arg, i) => !arg.startsWith('-') && argv[i - 1] !== '--config-dir')
  const load = name === undefined ? undefined : COMMANDS[name]
  // `aac completion` describes every command, so it needs them all.
  if (load && name !== 'completion') return [await load()]
  return Promise.all(Object.values(COMMANDS).map((loader) => loader()))
}

const CONFIG_HELP = `Configuration: aac_url.txt, client_id.txt (or api_project_id.txt) and creds.json, read from the
folder named by --config-dir, else by AAC_CONFIG_DIR, else from the nearest folder above the working directory
that holds aac_url.txt, else from the per-user folder ($XDG_CONFIG_HOME/aac or ~/.config/aac; %APPDATA%\\aac on
Windows). aac init writes them; aac doctor says which folder is used and why. HTTPS_PROXY, HTTP_PROXY and NO_PROXY
are honoured. AAC_DEBUG=1 prints token events and stack traces; NO_COLOR=1 turns colour off.`

/**
 * Command lines run without building the parser: `aac token` (and `--json`) as scripts call it, in loops and in
 * `$(…)`, the commonest by far. Loading commander, declaring the program and parsing cost such a run 1.5 ms of
 * its 10. Only these exact argument lists, which the parser turns into exactly these calls (no option, no
 * --config-dir); anything else, `aac token --help` or `aac --config-dir DIR token` among them, is parsed.
 */
const DIRECT: Readonly<Record<string, (io: CliIo) => Promise<void>>> = {
  '["token"]': async (io) => (await import('./commands/token.ts')).tokenCommand({}, io),
  '["token","--json"]': async (io) => (await import('./commands/token.ts')).tokenCommand({ json: true }, io),
}

/**
 * Runs one command line (without `node` and the script) and resolves to its exit code. Never calls
 * process.exit, so tests can run it in-process with their own streams and environment.
 *
 * @example
 * const code = await run(['api', '/v4/people', '--paginate'], io)
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  // Decided at the first error: asking whether stderr is a terminal costs a run that prints none a few ms.
  const errPaint: Paint = (style, text) => painter(io.stderr, io.env)(style, text)
  const key = JSON.stringify(argv)
  const direct = Object.hasOwn(DIRECT, key) ? DIRECT[key] : undefined
  try {
    if (!direct) return await parseAndRun(argv, io, errPaint)
    // What the parser would set: no --config-dir was given.
    await direct({ ...io, configDir: undefined })
    return EXIT.OK
  } catch (error) {
    io.stderr.write(`${errPaint('red', formatError(error, { stack: debugEnabled(io.env) }))}\n`)
    return exitCodeFor(error)
  }
}

/** The command line through commander: the program, the command modules it needs, the parse and the action. */
async function parseAndRun(argv: readonly string[], io: CliIo, errPaint: Paint): Promise<number> {
  const { Command, CommanderError } = await import('commander')
  let exitCode: number = EXIT.OK
  const program = new Command('aac')
    .description('Call the Alteryx Cloud APIs from a shell, with tokens rotated safely.')
    .version(VERSION, '-V, --version')
    .option('--config-dir <dir>', 'the folder holding aac_url.txt, client_id.txt and creds.json (see below)')
    .showHelpAfterError('(run aac --help, or aac <command> --help)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(errPaint('red', text)),
    })
    .addHelpText('after', `\n${CONFIG_HELP}\n\n${EXIT_CODES_HELP}\n`)

  // The commands read --config-dir from their io (session.ts), set once it is parsed.
  const commandIo: CliIo = { ...io }
  program.hook('preAction', () => {
    commandIo.configDir = program.opts<{ configDir?: string }>().configDir
  })
  const context: CommandContext = {
    io: commandIo,
    setExitCode: (code) => {
      exitCode = code
    },
  }
  for (const command of await commandsFor(argv)) command.register(program, context)

  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error
    // --help and --version end through here too.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.OK
    return EXIT.USAGE
  }
}

/**
 * The process entry: real streams and environment. SIGINT, SIGTERM and SIGHUP stop it cleanly: a token refresh
 * already sent is finished and saved first (see stopOnSignals), the lock is released, and the exit code is
 * 128 + the signal's number (130 for Ctrl-C).
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const stop = stopOnSignals()
  const onStdoutError = (error: NodeJS.ErrnoException) => {
    // `aac api … | head` closes the pipe early: that is not an error worth a stack trace.
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    // After SIGHUP the terminal is gone: a failed write must not end the process mid-refresh (stopOnSignals).
    if (stop.received()) return
    throw error
  }
  const io: CliIo = {
    // Opened only if a write needs the stream (see directOutput): most runs write a line or two.
    stdout: directOutput(1, () => process.stdout.on('error', onStdoutError), onStdoutError),
    stderr: lazyOutput(2, () => process.stderr),
    // Touched only when read: opening process.stdin costs every run a few ms of start-up.
    stdin: { [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator]() },
    env: process.env,
    cwd: process.cwd(),
    signal: stop.signal,
    terminal: async () => {
      if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined
      const { terminalPrompter } = await import('./init/prompt.ts')
      return terminalPrompter(process.stdin, process.stderr)
    },
  }
  await useProxyFromEnv(process.env)
  const code = await run(argv, io)
  stop.dispose()
  process.exitCode = stop.exitCode() ?? code
}
