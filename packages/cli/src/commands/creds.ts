/**
 * `aac creds status | move | import`: where the token pair lives, moving it between creds.json and the OS
 * keychain (or any store AAC_STORE names), and storing a new pair from stdin or environment variables. The work
 * is in ../creds/; this declares the commands. No token is ever taken from, or printed to, the command line:
 * every subcommand takes its stray words itself, so that commander never echoes one in an error.
 */

import type { Command } from 'commander'
import { openCredsContext, refuseArguments } from '../creds/context.ts'
import { importPair } from '../creds/import.ts'
import { DEFAULT_ACCESS_ENV, DEFAULT_REFRESH_ENV } from '../creds/import-input.ts'
import { movePairBetweenStores } from '../creds/move.ts'
import { credsStatus } from '../creds/status.ts'
import { statusText } from '../creds/status-text.ts'
import { type CliIo, painter } from '../io.ts'
import type { CommandContext, RegisterCommand } from './command.ts'

/** The options of `aac creds status`. */
export interface CredsStatusOptions {
  json?: boolean
}

/** The options of `aac creds move`. */
export interface CredsMoveOptions {
  to: string
  from?: string
  force?: boolean
}

/** The options of `aac creds import`. */
export interface CredsImportOptions {
  fromEnv?: boolean
  accessTokenEnv?: string
  refreshTokenEnv?: string
  to?: string
  force?: boolean
}

const STORE_VALUES = 'keychain, keychain:<name>, file (creds.json), or any value AAC_STORE takes'

export const register: RegisterCommand = (program, context) => {
  const creds = program
    .command('creds')
    .description('Where the token pair lives: status, move it to the OS keychain and back, import a new one.')
    .usage('<command> [options]')
    .allowExcessArguments()
    .allowUnknownOption()
    .action((_options: unknown, command: Command) => {
      refuseArguments(command.args, 'aac creds')
      command.help({ error: true })
    })
  registerStatus(creds, context)
  registerMove(creds, context)
  registerImport(creds, context)
  return creds
}

/** Each subcommand takes stray words and unknown options itself (see refuseArguments). */
function subcommand(parent: Command, name: string): Command {
  return parent.command(name).usage('[options]').allowExcessArguments().allowUnknownOption()
}

function registerStatus(creds: Command, { io }: CommandContext): void {
  subcommand(creds, 'status')
    .description(
      'Say where the pair lives and why, when the access token expires, when it last rotated; never a token.',
    )
    .option('--json', 'print it as JSON, for scripts')
    .action(async (_options: unknown, command: Command) => {
      refuseArguments(command.args, 'aac creds status')
      const options = command.opts<CredsStatusOptions>()
      const { report, error } = await credsStatus(await openCredsContext(io))
      io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : statusText(report, io))
      // The store part is printed; the error (and its exit code) is main's to report.
      if (error !== undefined) throw error
    })
}

function registerMove(creds: Command, { io }: CommandContext): void {
  subcommand(creds, 'move')
    .description(
      "Move the pair to another store under both stores' locks; the old place is cleared only once the new one is read back.",
    )
    .requiredOption('--to <store>', `where the pair goes: ${STORE_VALUES}`)
    .option(
      '--from <store>',
      'where the pair is now (default: the setting in force: AAC_STORE, store.txt, creds.json)',
    )
    .option('--force', 'replace a different pair (or anything else) the target already holds')
    .addHelpText(
      'after',
      `
creds.json is left with the placeholders and a note of where the pair went; a keychain entry moved out is
deleted. store.txt then says where the pair is (unless AAC_STORE is set: the command says what to set it to).

Examples:
  aac creds move --to keychain        # out of creds.json, into the OS keychain
  aac creds move --to file            # back into creds.json, for tools that read only that file`,
    )
    .action(async (_options: unknown, command: Command) => {
      refuseArguments(command.args, 'aac creds move')
      const report = await movePairBetweenStores(await openCredsContext(io), command.opts<CredsMoveOptions>())
      printReport(io, report)
    })
}

function registerImport(creds: Command, { io }: CommandContext): void {
  subcommand(creds, 'import')
    .description('Store a new pair read from stdin or environment variables, never from an argument.')
    .option('--from-env', `read it from ${DEFAULT_ACCESS_ENV} and ${DEFAULT_REFRESH_ENV} instead of stdin`)
    .option('--access-token-env <name>', `the variable holding the access token (implies --from-env)`)
    .option('--refresh-token-env <name>', `the variable holding the refresh token (implies --from-env)`)
    .option('--to <store>', `the store to put it in (default: the setting in force): ${STORE_VALUES}`)
    .option('--force', 'replace a pair the store already holds (it may still work: it is thrown away)')
    .addHelpText(
      'after',
      `
stdin takes the JSON creds.json holds ({"access_token": "...", "refresh_token": "..."}) or two lines, the
access token then the refresh token. The pair is checked (shape, claims, region) without spending it.

Examples:
  aac creds import < pair.json
  printf '%s\\n%s\\n' "$ACCESS" "$REFRESH" | aac creds import --to keychain
  AAC_ACCESS_TOKEN=… AAC_REFRESH_TOKEN=… aac creds import --from-env     # CI: from the job's secrets`,
    )
    .action(async (_options: unknown, command: Command) => {
      refuseArguments(command.args, 'aac creds import')
      const report = await importPair(await openCredsContext(io), command.opts<CredsImportOptions>())
      printReport(io, report)
    })
}

function printReport(io: CliIo, report: { lines: string[]; warnings: string[] }): void {
  io.stdout.write(report.lines.map((line) => `${line}\n`).join(''))
  const paint = painter(io.stderr, io.env)
  for (const warning of report.warnings) io.stderr.write(`${paint('yellow', `warning: ${warning}`)}\n`)
}
