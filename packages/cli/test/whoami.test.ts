import { describe, expect, it } from 'vitest'
import { aac, aacInProcess, useCloud } from './helpers.ts'

const fake = useCloud()

describe('aac whoami', () => {
  it('shows workspace, user and token expiry in one short block, refreshing an expired token once', async () => {
    const dir = await fake.configDir({ expired: true })
    fake.cloud.reset()
    const result = await aac(['whoami'], { env: { AAC_CONFIG_DIR: dir } })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[0]).toBe(
      'workspace  Fake Workspace (id 31429, fake.us1.alteryxcloud.com, enterprise_cloud22, 137 members)',
    )
    expect(lines[1]).toMatch(/^user {7}\S.* <.+@fake\.example\.com> \(id 51\)$/)
    expect(lines[2]).toMatch(/^token {6}valid for [45] min/)
    expect(lines[3]).toBe(`config     ${dir}`)
    const stats = fake.cloud.stats()
    expect(stats.refreshes).toBe(1)
    expect(stats.byRoute).toMatchObject({ 'GET /iam/v1/workspaces/current': 1, 'GET /v4/people/current': 1 })
  })

  it('--json gives the same for scripts', async () => {
    const dir = await fake.configDir()
    const result = await aacInProcess(['whoami', '--json'], { env: { AAC_CONFIG_DIR: dir } })
    expect(JSON.parse(result.stdout)).toMatchObject({
      workspace: {
        id: 31429,
        name: 'Fake Workspace',
        url: 'fake.us1.alteryxcloud.com',
        tier: 'enterprise_cloud22',
        members: 137,
      },
      user: { id: 51 },
      token: { issuer: fake.cloud.issuer, expires_at: expect.stringMatching(/Z$/) },
      config_dir: dir,
    })
  })
})
