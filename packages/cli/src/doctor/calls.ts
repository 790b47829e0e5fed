/**
 * One real call per host family, with the token the refresh check left (never a refresh of their own): the
 * current workspace on the gateway, the current person on the direct host.
 */

import { getCurrentPerson, getCurrentWorkspace, type Person, type Workspace } from '@aac/core'
import { cliClient } from '../session.ts'
import { duration } from '../time.ts'
import { type Check, callSetup, OFFLINE } from './check.ts'
import { failed, type Step, skipped } from './steps.ts'

export const apiCalls: Check = async ({ io, refresh, offline, timeoutMs, found }) => {
  const name = 'API calls'
  const setup = callSetup(found)
  if (!setup) return { steps: [skipped(name, 'need the files above to pass')] }
  if (offline) return { steps: [skipped(name, OFFLINE)] }
  if (!found.apiReachable) return { steps: [skipped(name, 'need a reachable API host')] }
  if (!found.tokenSource) {
    const left = setup.claims.exp * 1000 - Date.now()
    const why = refresh
      ? 'need a working token'
      : `${left <= 0 ? 'the access token has expired' : `the access token expires in ${duration(left)}, too soon to test with`}: run \`aac doctor --refresh\` to check the API calls, which spends the refresh token (safely, under the lock)`
    return { steps: [skipped(name, why)] }
  }
  const { source, fetch } = found.tokenSource
  const client = cliClient(io, setup.config, source, {
    timeoutMs,
    retry: { retries: 0 },
    ...(fetch && { fetch }),
  })
  const request = io.signal ? { signal: io.signal } : {}
  const gateway = found.projectIdRejected
    ? skipped('gateway call', 'needs an API project id the gateway accepts')
    : await timedCall('gateway call', 'GET /iam/v1/workspaces/current', async () =>
        describeWorkspace(await getCurrentWorkspace(client, request)),
      )
  const direct = await timedCall('direct call', 'GET /v4/people/current', async () =>
    describePerson(await getCurrentPerson(client, request)),
  )
  return { steps: [gateway, direct] }
}

/** `call`'s answer in a few words and how long it took; its error, in the core's words, if it failed. */
async function timedCall(name: string, what: string, call: () => Promise<string>): Promise<Step> {
  const started = performance.now()
  try {
    const answer = await call()
    return {
      name,
      status: 'pass',
      detail: `${what}: ${answer} in ${Math.round(performance.now() - started)} ms`,
    }
  } catch (error) {
    return failed(name, error)
  }
}

/**
 * The current workspace in a few words, from its documented fields (`name`, `id`, `workspace_member_count`,
 * `workspace_tier`, `custom_url`), each optional: whatever is there is said.
 *
 * @example
 * describeWorkspace({ id: 31429, name: 'lukes-test-workspace', workspace_member_count: 2 })
 * // 'workspace "lukes-test-workspace" (id 31429, 2 members)'
 */
export function describeWorkspace(workspace: Workspace | null): string {
  const fields: Workspace = workspace ?? {}
  const name = text(fields.name)
  const id = text(fields.id)
  const members = fields.workspace_member_count
  const tier = text(fields.workspace_tier)
  const url = text(fields.custom_url)
  const facts = [
    id && `id ${id}`,
    typeof members === 'number' && Number.isFinite(members) && `${members} member${members === 1 ? '' : 's'}`,
    tier && `tier ${tier}`,
    url && `at ${url}`,
  ].filter((fact): fact is string => typeof fact === 'string')
  const named = name ? `workspace ${JSON.stringify(name)}` : 'a workspace without a name'
  return facts.length > 0 ? `${named} (${facts.join(', ')})` : named
}

/**
 * The current person in a few words.
 *
 * @example
 * describePerson({ name: 'Ken Liskov', email: 'ken@example.com' }) // 'you are Ken Liskov <ken@example.com>'
 */
export function describePerson(person: Person): string {
  return `you are ${String(person.name ?? '?')}${person.email ? ` <${String(person.email)}>` : ''}`
}

/**
 * A field worth printing: a non-blank string (trimmed) or a number. The API's types are trusted elsewhere, but
 * a wrong one here would print `[object Object]` in the checklist.
 */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() !== '' ? value.trim() : undefined
  return typeof value === 'number' ? String(value) : undefined
}
