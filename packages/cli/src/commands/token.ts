/**
 * `aac token`: a fresh access token on stdout, for curl, Python, any language. Rotation happens in the core's
 * token manager, under the lock every program sharing creds.json takes, so any number of `aac token` calls,
 * scripts and apps can run at once without spending a refresh token twice.
 */

import type { CliIo } from '../io.ts'
import { openSession } from '../session.ts'

export async function tokenCommand(options: { json?: boolean }, io: CliIo): Promise<void> {
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
