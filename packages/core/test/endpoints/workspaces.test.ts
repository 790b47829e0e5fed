import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import { getCurrentWorkspace, type Workspace, type WorkspaceTier } from '../../src/endpoints/index.ts'
import { isAacError } from '../../src/errors.ts'
import { type SplitCloud, startSplitCloud } from './fake.ts'

describe('getCurrentWorkspace against the fake cloud', () => {
  let fake: SplitCloud
  beforeAll(async () => {
    fake = await startSplitCloud({ people: 42 })
  })
  afterAll(() => fake.cloud.stop())
  beforeEach(() => {
    fake.sent.length = 0
  })

  it('asks the gateway host for /iam/v1/workspaces/current, with the API project id', async () => {
    await getCurrentWorkspace(fake.client)
    expect(fake.sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      `GET ${fake.cloud.url}/iam/v1/workspaces/current`,
    ])
    expect(fake.sent[0]?.headers.get('x-api-project-id')).toBe(fake.cloud.projectId)
    expect(fake.cloud.url).not.toBe(fake.cloud.directUrl)
  })

  it('answers the documented fields, in their mixed case', async () => {
    const workspace = await getCurrentWorkspace(fake.client)
    expect(workspace.workspace_member_count).toBe(42)
    expect(workspace).toMatchObject({
      id: 31429,
      name: 'Fake Workspace',
      state: 'active',
      lastStateChange: null,
      custom_url: 'fake.us1.alteryxcloud.com',
      max_user_number: 5000,
      workspace_tier: 'enterprise_cloud22',
      emrCluster: null,
    })
    expect(new Date(workspace.createdAt ?? '').toISOString()).toBe(workspace.createdAt)
    expect(new Date(workspace.updatedAt ?? '').toISOString()).toBe(workspace.updatedAt)
    const tiers = workspace.workspacetiers?.data ?? []
    expect(tiers).toHaveLength(1)
    expect(tiers[0]).toMatchObject({
      isSingleUser: false,
      name: workspace.workspace_tier,
      trialState: 'None',
      workspace: { id: workspace.id },
    })
    expectTypeOf(workspace.workspace_member_count).toEqualTypeOf<number | undefined>()
    expectTypeOf(workspace.custom_url).toEqualTypeOf<string | undefined>()
    expectTypeOf(workspace.createdAt).toEqualTypeOf<string | undefined>()
    expectTypeOf(tiers).toEqualTypeOf<WorkspaceTier[]>()
  })

  it('every field of Workspace is optional', () => {
    const workspace: Workspace = { workspacetiers: { data: [{}] } }
    const tier: WorkspaceTier = {}
    expect([workspace, tier]).toEqual([{ workspacetiers: { data: [{}] } }, {}])
  })

  it('passes the options of client.get on: an aborted signal stops the request', async () => {
    const reason = new Error('stop')
    await expect(getCurrentWorkspace(fake.client, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    const query = await getCurrentWorkspace(fake.client, { query: { fields: 'id' }, timeoutMs: 5_000 })
    expect(query.id).toBe(31429)
    expect(fake.sent.at(-1)?.query.get('fields')).toBe('id')
  })

  it('an answer that is not a JSON object → UNEXPECTED_RESPONSE naming the request and aac_url.txt', async () => {
    const error = await getCurrentWorkspace({ get: async <T>() => '<html>sign in</html>' as T }).catch(
      (e: unknown) => e,
    )
    expect(isAacError(error) && error.code).toBe('UNEXPECTED_RESPONSE')
    expect(String(error)).toContain('The answer of GET /iam/v1/workspaces/current is a string')
    expect(String(error)).toContain('aac_url.txt')
  })
})
