/**
 * `aac token`: a fresh access token on stdout, for curl, Python, any language. Rotation happens in the core's
 * token manager, under the lock every program sharing creds.json takes, so any number of `aac token` calls,
 * scripts and apps can run at once without spending a refresh token twice.
 */

import type { Command } from 'commander'
import type { CliIo } from '../io.ts'
import { openSession } from '../session.ts'
import type { RegisterCommand } from './command.ts'

/** The options of `aac token`, as declared in {@link register}. */
export interface TokenOptions {
  json?: boolean
}

export const register: RegisterCommand = (program, { io }) =>
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
    .action(async (_options: unknown, command: Command) => {
      await tokenCommand(command.opts<TokenOptions>(), io)
    })

export async function tokenCommand(options: TokenOptions, io: CliIo): Promise<void> {
  const session = await openSession(io)
  const accessToken = await session.tokenManager.getAccessToken(io.signal)
  if (!options.json) {
    io.stdout.write(`${accessToken}\n`)
    return
  }
  const expiresAt = session.tokenManager.state()?.expiresAt
  const { config } = session
  // Everything a script needs for its headers, so it has no file of ours to parse.
  const out = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_at: expiresAt?.toISOString() ?? null,
    expires_in: expiresAt ? Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000)) : null,
    api_url: config.apiUrl,
    direct_url: config.directUrl,
    project_id: config.projectId,
  }
  io.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
}
