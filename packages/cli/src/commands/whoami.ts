/** `aac whoami`: workspace, user and token expiry in one short block. */

import { getCurrentPerson, getCurrentWorkspace } from '@aac/core'
import type { Command } from 'commander'
import { type CliIo, painter } from '../io.ts'
import { openSession } from '../session.ts'
import { duration } from '../time.ts'
import type { RegisterCommand } from './command.ts'

/** The options of `aac whoami`, as declared in {@link register}. */
export interface WhoamiOptions {
  json?: boolean
}

export const register: RegisterCommand = (program, { io }) =>
  program
    .command('whoami')
    .description('Show the workspace, the user and when the access token expires.')
    .option('--json', 'print it as JSON')
    .action(async (_options: unknown, command: Command) => {
      await whoamiCommand(command.opts<WhoamiOptions>(), io)
    })

export async function whoamiCommand(options: WhoamiOptions, io: CliIo): Promise<void> {
  const session = await openSession(io)
  const request = io.signal ? { signal: io.signal } : {}
  // The token manager renews once for both calls, if the token needs it.
  const [workspace, person] = await Promise.all([
    getCurrentWorkspace(session.client, request),
    getCurrentPerson(session.client, request),
  ])
  const state = session.tokenManager.state()
  const summary = {
    // Each field of the workspace may be missing (see Workspace).
    workspace: {
      id: workspace.id ?? null,
      name: workspace.name ?? null,
      url: workspace.custom_url ?? null,
      tier: workspace.workspace_tier ?? null,
      members: typeof workspace.workspace_member_count === 'number' ? workspace.workspace_member_count : null,
    },
    user: { id: person.id ?? null, name: person.name ?? null, email: person.email ?? null },
    token: {
      expires_at: state?.expiresAt.toISOString() ?? null,
      issuer: state?.issuer ?? null,
    },
    config_dir: session.dir,
  }
  if (options.json) {
    io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
    return
  }
  const paint = painter(io.stdout, io.env)
  const row = (label: string, text: string) => `${paint('bold', label.padEnd(10))} ${text}\n`
  const extra = (parts: unknown[]) => {
    const shown = parts.filter((p) => p !== null && p !== undefined && p !== '')
    return shown.length > 0 ? paint('dim', ` (${shown.join(', ')})`) : ''
  }
  let text = row(
    'workspace',
    `${String(summary.workspace.name ?? '?')}${extra([
      summary.workspace.id !== null ? `id ${summary.workspace.id}` : null,
      summary.workspace.url,
      summary.workspace.tier,
      summary.workspace.members !== null
        ? `${summary.workspace.members} member${summary.workspace.members === 1 ? '' : 's'}`
        : null,
    ])}`,
  )
  text += row(
    'user',
    `${String(summary.user.name ?? '?')}${summary.user.email ? ` <${summary.user.email}>` : ''}${extra([summary.user.id !== null ? `id ${summary.user.id}` : null])}`,
  )
  if (state) {
    const left = state.expiresAt.getTime() - Date.now()
    text += row(
      'token',
      `${left > 0 ? `valid for ${duration(left)}` : `expired ${duration(-left)} ago`}${extra([`until ${state.expiresAt.toISOString()}`])}`,
    )
  }
  text += row('config', session.dir)
  io.stdout.write(text)
}
