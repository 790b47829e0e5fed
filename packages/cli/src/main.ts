/**
 * The `aac` command: any Alteryx Cloud API call, a fresh token for any language, a setup doctor. A thin layer
 * over `@aac/core`: the token rotation, HTTP and error messages are the library's; this file maps them to
 * streams and exit codes.
 */

import process from 'node:process'
import { formatError, VERSION } from '@aac/core'
import { stopOnSignals } from '@aac/core/process'
import { Command, CommanderError, Option } from 'commander'
import { apiCommand } from './commands/api.ts'
import { doctorCommand } from './commands/doctor.ts'
import { tokenCommand } from './commands/token.ts'
import { whoamiCommand } from './commands/whoami.ts'
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.ts'
import { type CliIo, debugEnabled, painter } from './io.ts'

// No default value: commander would print an empty array as "(default: [])" in the help.
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value]

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

  program
    .command('api')
    .description('Send a request and print the JSON answer (pretty and coloured on a terminal).')
    .argument(
      '<path>',
      'an API path: /iam/v1/... goes to the gateway, /v4/... and /svc-workflow/... to the direct host',
    )
    .option('-X, --method <method>', 'HTTP method (default GET, or POST with --input)')
    .option(
      '-f, --raw-field <key=value>',
      'a string field: a query parameter for GET, else a JSON body field (repeatable; a[b]=x nests, a[]=x appends)',
      collect,
    )
    .option(
      '-F, --field <key=value>',
      'a typed field: numbers, true, false, null as JSON; @file reads a file (repeatable)',
      collect,
    )
    .option('-H, --header <header>', "an extra header, 'name: value' (repeatable)", collect)
    .option(
      '--input <file>',
      'the request body from a file, or - for stdin (sent as JSON unless -H content-type says otherwise)',
    )
    .option('--paginate', 'walk a /v4 list with limit/offset and print every item as one JSON array')
    .option('-i, --include', 'print the status line and response headers before the body')
    .addHelpText(
      'after',
      `
Examples:
  aac api /iam/v1/workspaces/current
  aac api /v4/people --paginate -f limit=500 | jq length
  aac api -X POST /v4/jobGroups -F wrangledDataset[id]=28629
  aac api -X PATCH /v4/flows/7 -f name='New name'`,
    )
    .action(async (path: string, options) => {
      await apiCommand(path, options, io)
    })

  program
    .command('token')
    .description('Print a valid access token, refreshing it under the shared lock if needed.')
    .option(
      '--json',
      'print {access_token, token_type, expires_at, expires_in, api_url, direct_url, project_id}',
    )
    .addHelpText(
      'after',
      `
Examples:
  curl -H "Authorization: Bearer $(aac token)" -H "x-api-project-id: $(cat client_id.txt)" \\
    https://api.us1.alteryxcloud.com/iam/v1/workspaces/current
  aac token --json | jq -r .expires_at`,
    )
    .action(async (options) => {
      await tokenCommand(options, io)
    })

  program
    .command('whoami')
    .description('Show the workspace, the user and when the access token expires.')
    .option('--json', 'print it as JSON')
    .action(async (options) => {
      await whoamiCommand(options, io)
    })

  program
    .command('doctor')
    .description('Check the setup step by step and say how to fix each failing step.')
    .option('--refresh', 'also spend the refresh token (safely, under the lock) to prove it works')
    .option('--offline', 'check the files only: send no request')
    .option('--json', 'print the steps as JSON')
    .addOption(new Option('--timeout <ms>', 'per request').argParser(Number).default(10_000).hideHelp())
    .addHelpText('after', '\nExit code 0 when every check passes, else the code of the first failing check.')
    .action(async (options) => {
      exitCode = await doctorCommand({ ...options, timeoutMs: options.timeout }, io)
    })

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
