/**
 * The `aac` command: any Alteryx Cloud API call, a fresh token for any language, a setup doctor. A thin layer
 * over `@aac/core`: the token rotation, HTTP and error messages are the library's; this file maps them to
 * streams and exit codes.
 */

import process from 'node:process'
import { formatError, VERSION } from '@aac/core'
import { stopOnSignals } from '@aac/core/process'
import { Command, CommanderError } from 'commander'
import * as api from './commands/api.ts'
import * as completion from './commands/completion.ts'
import type { CommandContext } from './commands/command.ts'
import * as doctor from './commands/doctor.ts'
import * as token from './commands/token.ts'
import * as whoami from './commands/whoami.ts'
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.ts'
import { type CliIo, debugEnabled, painter } from './io.ts'

/** In `aac --help` order. Each module declares its own command, options and action. */
const COMMANDS = [api, token, whoami, doctor, completion] as const

const CONFIG_HELP = `Configuration: aac_url.txt, client_id.txt (or api_project_id.txt) and creds.json, read from the
folder named by AAC_CONFIG_DIR, else from the nearest folder above the working directory that holds
aac_url.txt. AAC_DEBUG=1 prints token events and stack traces; NO_COLOR=1 turns colour off.`

/**
 * Runs one command line (without `node` and the script) and resolves to its exit code. Never calls
 * process.exit, so tests can run it in-process with their own streams and environment.
 *
 * @example
 * const code = await run(['api', '/v4/people', '--paginate'], io)
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.OK
  const errPaint = painter(io.stderr, io.env)
  const program = new Command('aac')
    .description('Call the Alteryx Cloud APIs from a shell, with tokens rotated safely.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run aac --help, or aac <command> --help)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(errPaint('red', text)),
    })
    .addHelpText('after', `\n${CONFIG_HELP}\n\n${EXIT_CODES_HELP}\n`)

  const context: CommandContext = {
    io,
    setExitCode: (code) => {
      exitCode = code
    },
  }
  for (const command of COMMANDS) command.register(program, context)

  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.OK
      return EXIT.USAGE
    }
    io.stderr.write(`${errPaint('red', formatError(error, { stack: debugEnabled(io.env) }))}\n`)
    return exitCodeFor(error)
  }
}

/**
 * The process entry: real streams and environment. SIGINT, SIGTERM and SIGHUP stop it cleanly: a token refresh
 * already sent is finished and saved first (see stopOnSignals), the lock is released, and the exit code is
 * 128 + the signal's number (130 for Ctrl-C).
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const stop = stopOnSignals()
  // `aac api … | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: stop.signal,
  }
  const code = await run(argv, io)
  stop.dispose()
  process.exitCode = stop.exitCode() ?? code
}
