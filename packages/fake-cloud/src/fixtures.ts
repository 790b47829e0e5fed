/** Deterministic data: the same fake always lists the same people, so page-walking tests can compare runs. */

const WORKSPACE_ID = 31429
const WORKSPACE_CREATED = '2024-03-14T09:26:53.000Z'
const WORKSPACE_UPDATED = '2025-01-20T16:02:11.000Z'

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Margaret',
  'Tim',
  'Radia',
]
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton']

/** A `/v4/people` entry. Ids start at 1; id 51 is the token's user. */
export function person(id: number): Record<string, unknown> {
  const first = FIRST[id % FIRST.length] ?? 'Test'
  const last = LAST[Math.floor(id / FIRST.length) % LAST.length] ?? 'User'
  const created = new Date(Date.UTC(2024, 3, 1) + id * 86_400_000).toISOString()
  return {
    id,
    email: `${first}.${last}.${id}@fake.example.com`.toLowerCase(),
    name: `${first} ${last}`,
    state: 'active',
    isAdmin: id === 1,
    isDisabled: false,
    ssoPrincipal: null,
    hadoopPrincipal: null,
    lastLoginTime: created,
    createdAt: created,
    updatedAt: created,
  }
}

/**
 * `GET /iam/v1/workspaces/current`: the gateway's snake_case shape as api-facts.md records it. No member count:
 * the real answer is not known to carry one, so clients must get it from `/v4/people?includeCount=true`.
 */
export function iamWorkspace(): Record<string, unknown> {
  return {
    id: WORKSPACE_ID,
    name: 'Fake Workspace',
    state: 'active',
    custom_url: 'fake.us1.alteryxcloud.com',
    gid: '01JKFAKE0WORKSPACE00000000',
    workspace_tier: 'enterprise_cloud22',
    workspacetiers: {
      data: [
        {
          id: 7,
          name: 'enterprise_cloud22',
          displayName: 'Enterprise',
          startDate: WORKSPACE_CREATED,
          endDate: null,
        },
      ],
    },
    created_at: WORKSPACE_CREATED,
    updated_at: WORKSPACE_UPDATED,
  }
}

/** `GET /v4/workspaces/current`: the direct host's camelCase shape. */
export function v4Workspace(memberCount: number): Record<string, unknown> {
  return {
    id: WORKSPACE_ID,
    name: 'Fake Workspace',
    state: 'active',
    customUrl: 'fake.us1.alteryxcloud.com',
    tier: 'enterprise_cloud22',
    memberCount,
    createdAt: WORKSPACE_CREATED,
    updatedAt: WORKSPACE_UPDATED,
  }
}
