// aac itself (the real command, in its own process) on the shared stores: the pair moved from creds.json into a
// real Redis and a real PostgreSQL server with `aac creds move`, then `aac token` and `aac api` rotate it there.
// The clients are optional dependencies of @aac/cli, left outside its bundle like every optional peer of the
// core, so the command finds them as a library user's program does.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useSharedStoreServers } from '../../../test/servers/shared-stores.ts'
import { aac, useCloud } from './helpers.ts'

const fake = useCloud()
const servers = useSharedStoreServers()

describe.each([
  ['Redis', () => `${servers.redis.url}#cli-${Date.now()}`],
  ['PostgreSQL', () => `${servers.postgres.url}#cli-${Date.now()}`],
])('aac on %s', (_name, storeUrl) => {
  it('moves the pair there, then refreshes an expired token through it once, leaving no token in creds.json', async () => {
    const dir = await fake.configDir({ expired: true })
    const original = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')) as Record<string, string>
    const store = storeUrl()
    const env = { AAC_CONFIG_DIR: dir, AAC_STORE: store }

    const moved = await aac(['creds', 'move', '--from', 'file', '--to', store], { env })
    expect(moved.code, moved.stderr).toBe(0)
    const creds = await readFile(join(dir, 'creds.json'), 'utf8')
    expect(creds).not.toContain(original['refresh_token'])
    expect(creds).not.toContain(original['access_token'])

    fake.cloud.reset()
    const [first, second] = await Promise.all([
      aac(['token'], { env }),
      aac(['api', '/v4/people/current'], { env }),
    ])
    expect(first.code, first.stderr).toBe(0)
    expect(second.code, second.stderr).toBe(0)
    expect(first.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
    expect(fake.cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 })

    const status = await aac(['creds', 'status', '--json'], { env })
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).not.toContain(first.stdout.trim())
    for (const out of [moved, first, second, status]) {
      expect(out.stderr).not.toContain(original['refresh_token'])
      expect(out.stderr).not.toMatch(/secret/)
    }
  })
})
