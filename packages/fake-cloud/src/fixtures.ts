/** Deterministic data: the same fake always lists the same people, so page-walking tests can compare runs. */

const WORKSPACE_ID = 31429
const WORKSPACE_CREATED = '2024-03-14T09:26:53.000Z'
const WORKSPACE_UPDATED = '2025-01-20T16:02:11.000Z'
const WORKSPACE_TIER = 'enterprise_cloud22'
const WORKSPACE_TIER_ID = 31428

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
 * `GET /iam/v1/workspaces/current`: the shape Alteryx's guide prints for this call (docs/api-facts.md, "The workspace answer", lists its fields),
 * field for field and in its mixed case: `createdAt`/`updatedAt` and the tiers' fields in camelCase, `custom_url`,
 * `max_user_number`, `workspace_member_count` and `workspace_tier` in snake_case. Only the values are the fake's;
 * `workspace_member_count` is the number of people `/v4/people` lists.
 */
export function iamWorkspace(memberCount: number): Record<string, unknown> {
  return {
    id: WORKSPACE_ID,
    name: 'Fake Workspace',
    state: 'active',
    lastStateChange: null,
    custom_url: 'fake.us1.alteryxcloud.com',
    max_user_number: 5000,
    gid: '01JKFAKE0WORKSPACE00000000',
    createdAt: WORKSPACE_CREATED,
    updatedAt: WORKSPACE_UPDATED,
    workspacetiers: {
      data: [
        {
          isSingleUser: false,
          id: WORKSPACE_TIER_ID,
          name: WORKSPACE_TIER,
          startsAt: WORKSPACE_CREATED,
          trialState: 'None',
          workspace: { id: WORKSPACE_ID },
        },
      ],
    },
    workspace_member_count: memberCount,
    workspace_tier: WORKSPACE_TIER,
    emrCluster: null,
  }
}

/** `GET /v4/workspaces/current`: the direct host's camelCase shape. */
export function v4Workspace(memberCount: number): Record<string, unknown> {
  return {
    id: WORKSPACE_ID,
    name: 'Fake Workspace',
    state: 'active',
    customUrl: 'fake.us1.alteryxcloud.com',
    tier: WORKSPACE_TIER,
    memberCount,
    createdAt: WORKSPACE_CREATED,
    updatedAt: WORKSPACE_UPDATED,
  }
}
