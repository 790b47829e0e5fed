/**
 * The current workspace: `GET /iam/v1/workspaces/current` on the gateway host, the API's seed call.
 */

import type { Client } from '../client.ts'
import type { RequestOptionsWithoutBody } from '../request-options.ts'
import { getObject } from './answer.ts'

const CURRENT_WORKSPACE = '/iam/v1/workspaces/current'

/**
 * The answer of `GET /iam/v1/workspaces/current`, field for field as Alteryx's guide prints it, in the mixed
 * case the API sends: `createdAt`/`updatedAt` camelCase, `custom_url`, `max_user_number`,
 * `workspace_member_count` and `workspace_tier` snake_case. Every field is optional: the IAM spec and the
 * guide do not agree on the set, so read each one as "may be absent".
 *
 * @example
 * const { name, workspace_member_count: members = 0 } = await getCurrentWorkspace(client)
 * console.log(`${name}: ${members} members`)
 */
export interface Workspace {
  /** The workspace's id. */
  id?: number
  /** The workspace's name, as the web app shows it. */
  name?: string
  /** `active` in the guide's answer. */
  state?: string
  /** An ISO date, or null when the state never changed. */
  lastStateChange?: string | null
  /** The workspace's own host, without a scheme: `my-team.us1.alteryxcloud.com`. */
  custom_url?: string
  /** The largest number of members the workspace allows. */
  max_user_number?: number
  /** Another identifier of the workspace, a string. */
  gid?: string
  /** ISO date: `2025-02-05T18:05:29.000Z`. */
  createdAt?: string
  /** ISO date of the last change. */
  updatedAt?: string
  /** The workspace's tiers. */
  workspacetiers?: { data?: WorkspaceTier[] }
  /** How many people the workspace has: what `/v4/people` lists. */
  workspace_member_count?: number
  /** The current tier's name: `enterprise_cloud22`. */
  workspace_tier?: string
  /** null in the guide's answer; its shape otherwise is undocumented. */
  emrCluster?: unknown
  /** Documented by the IAM spec (v2024.14), absent from the guide's answer. */
  tier?: string
  /** Documented by the IAM spec (v2024.14), absent from the guide's answer. */
  userCount?: number
  /** Documented by the IAM spec (v2024.14) in this spelling; its shape is undocumented. */
  emrcluster?: unknown
}

/**
 * One entry of `workspacetiers.data` in the answer of `GET /iam/v1/workspaces/current`; every field optional.
 *
 * @example
 * const tiers = (await getCurrentWorkspace(client)).workspacetiers?.data ?? []
 * const trials = tiers.filter((tier) => tier.trialState !== undefined && tier.trialState !== 'None')
 */
export interface WorkspaceTier {
  /** True for a tier meant for one user. */
  isSingleUser?: boolean
  /** The tier's id. */
  id?: number
  /** `enterprise_cloud22`, the same as the workspace's `workspace_tier` for the current tier. */
  name?: string
  /** ISO date. */
  startsAt?: string
  /** `None` when the tier is not a trial. */
  trialState?: string
  /** The workspace the tier belongs to. */
  workspace?: { id?: number }
}

/**
 * The workspace the access token belongs to: `GET /iam/v1/workspaces/current`, on the gateway host (the one in
 * aac_url.txt, which needs the API project id the client sends). `options` are those of `client.get`
 * (`signal`, `timeoutMs`, `headers`, `query`, `retry`).
 *
 * @example
 * const workspace = await getCurrentWorkspace(client, { signal })
 * console.log(`${workspace.name} (${workspace.workspace_tier}): ${workspace.workspace_member_count} members`)
 */
export async function getCurrentWorkspace(
  client: Pick<Client, 'get'>,
  options: RequestOptionsWithoutBody = {},
): Promise<Workspace> {
  return getObject<Workspace>(client, CURRENT_WORKSPACE, options)
}
