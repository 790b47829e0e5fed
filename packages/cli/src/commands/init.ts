/**
 * `aac init`: asks for the region, the Client ID and the token pair (the tokens without echo), or takes them
 * unattended from options and stdin or environment variables, checks them without spending the refresh token,
 * and writes aac_url.txt, client_id.txt and creds.json owner-only into the per-user folder (or --config-dir).
 * Existing files are kept unless --force; a failed --force leaves them as they were. No token is ever printed.
 */

import { resolve } from 'node:path'
import { type StoredTokens, VERSION } from '@aac/core'
import { decodeAccessToken } from '@aac/core/diagnostics'
import { CLIENT_ID_FILES, CREDS_FILE, URL_FILE, userConfigDir } from '@aac/core/fs'
import { encodePairText } from '@aac/core/storage/pair-codec'
import type { Command } from 'commander'
import { refuseArguments } from '../creds/context.ts'
import { UsageError } from '../exit-codes.ts'
import { type ApiUrl, chooseApiUrl, chooseClientId, choosePair, type InitAnswers } from '../init/answers.ts'
import { PromptCancelled } from '../init/prompt.ts'
import { existingFiles, writeConfigFiles } from '../init/write.ts'
import type { CliIo } from '../io.ts'
import { configDir } from '../session.ts'
import type { RegisterCommand } from './command.ts'

/** The options of `aac init`, as declared in {@link register}. */
export interface InitOptions extends InitAnswers {
  force?: boolean
}

const FILES = [URL_FILE, CLIENT_ID_FILES[0], CREDS_FILE] as const
/** 128 + SIGINT: stopped at a question with Ctrl-C. */
const CANCELLED = 130

export const register: RegisterCommand = (program, { io, setExitCode }) =>
  program
    .command('init')
    .description('Write aac_url.txt, client_id.txt and creds.json (owner-only) into the per-user folder.')
    // Arguments and unknown options reach refuseArguments, which never quotes them (`--access-token=eyJ…`).
    .allowExcessArguments(true)
    .allowUnknownOption()
    .option(
      '--region <region>',
      'us1, eu1 or au1: the part of your Alteryx Cloud address before .alteryxcloud.com',
    )
    .option('--api-url <url>', 'another API URL instead of a region (a test server)')
    .option('--client-id <id>', 'the Client ID of your API project')
    .option('--from-env', 'read the pair from AAC_ACCESS_TOKEN and AAC_REFRESH_TOKEN instead of stdin')
    .option('--access-token-env <name>', 'read the access token from this variable')
    .option('--refresh-token-env <name>', 'read the refresh token from this variable')
    .option('--force', 'replace the files already there (all three are put back if anything fails)')
    .addHelpText(
      'after',
      `
On a terminal it asks for what the options do not give, the tokens without echo. Otherwise it reads the pair
from stdin (the JSON of creds.json, or two lines: the access token, then the refresh token) or, with
--from-env, from environment variables; never from an argument. It checks the Client ID's shape and the
tokens' shape, expiry and issuer against the region, without spending the refresh token.

The folder: --config-dir, else AAC_CONFIG_DIR, else the per-user folder ($XDG_CONFIG_HOME/aac or
~/.config/aac; %APPDATA%\\aac on Windows). Then run aac doctor.

Examples:
  aac init
  aac init --region eu1 --client-id "$CLIENT_ID" < pair.json
  aac init --region us1 --client-id "$CLIENT_ID" --from-env       # CI: AAC_ACCESS_TOKEN, AAC_REFRESH_TOKEN
  aac --config-dir ./aac init --region au1 --client-id "$CLIENT_ID" --force < pair.json`,
    )
    .action(async (_options: unknown, command: Command) => {
      refuseArguments(command.args, 'aac init')
      setExitCode(await initCommand(command.opts<InitOptions>(), io))
    })

/** Where init writes: --config-dir, else AAC_CONFIG_DIR, else the per-user folder. */
export function initFolder(io: CliIo): string {
  const named = io.configDir?.trim() || io.env['AAC_CONFIG_DIR']?.trim()
  return named ? resolve(io.cwd, named) : userConfigDir(io.env)
}

/** Runs `aac init`; resolves to the exit code (130 when stopped at a question). */
export async function initCommand(options: InitOptions, io: CliIo): Promise<number> {
  const dir = initFolder(io)
  const there = await existingFiles(dir, FILES)
  if (there.length > 0 && !options.force) {
    throw new UsageError(
      `${dir} already holds ${there.join(', ')}: nothing was changed. Run aac init --force to replace ${there.length > 1 ? 'them' : 'it'} (the refresh token in creds.json is then lost unless you keep it), aac doctor to check ${there.length > 1 ? 'them' : 'it'}, or aac --config-dir DIR init to write elsewhere.`,
    )
  }
  const unattended =
    options.fromEnv || options.accessTokenEnv !== undefined || options.refreshTokenEnv !== undefined
  const prompter = unattended ? undefined : await io.terminal?.()
  let url: ApiUrl
  let projectId: string
  let tokens: StoredTokens
  try {
    url = await chooseApiUrl(options, prompter)
    projectId = await chooseClientId(options, url, prompter)
    tokens = await choosePair(io, options, url, prompter)
  } catch (error) {
    if (!(error instanceof PromptCancelled)) throw error
    io.stderr.write('aac init: stopped; nothing was written.\n')
    return CANCELLED
  } finally {
    prompter?.close()
  }
  await writeConfigFiles(dir, [
    { name: URL_FILE, content: `${url.apiUrl}\n` },
    { name: CLIENT_ID_FILES[0], content: `${projectId}\n` },
    { name: CREDS_FILE, content: encodePairText(tokens) },
  ])
  io.stdout.write(await summary(io, dir, url, projectId, tokens))
  return 0
}

async function summary(io: CliIo, dir: string, url: ApiUrl, projectId: string, tokens: StoredTokens) {
  const decoded = decodeAccessToken(tokens.accessToken)
  const expiry = decoded.ok ? new Date(decoded.claims.exp * 1000) : undefined
  const validity =
    expiry === undefined
      ? ''
      : expiry.getTime() <= Date.now()
        ? ` (the access token has expired: the first command refreshes it)`
        : ` (access token valid until ${expiry.toISOString()})`
  const lines = [
    `Wrote to ${dir} (readable by you only):`,
    `  ${URL_FILE.padEnd(14)} ${url.apiUrl}`,
    `  ${CLIENT_ID_FILES[0].padEnd(14)} ${mask(projectId)}`,
    `  ${CREDS_FILE.padEnd(14)} the token pair${validity}`,
  ]
  // Another folder may come first from here (a project's own aac_url.txt above the working directory).
  const used = await configDir(io).catch(() => undefined)
  if (used && used.dir !== dir) {
    lines.push(
      `Note: from ${io.cwd}, aac reads ${used.dir} (${used.reason}), not this folder: pass --config-dir ${dir}, or set AAC_CONFIG_DIR.`,
    )
  }
  lines.push(
    `Next: aac doctor (aac ${VERSION} checks the files, the network and the token without spending it).`,
  )
  return `${lines.join('\n')}\n`
}

/** The Client ID is not a secret like a token, but there is no need to print all of it. */
function mask(value: string): string {
  return value.length > 10 ? `${value.slice(0, 6)}…${value.slice(-2)}` : value
}
