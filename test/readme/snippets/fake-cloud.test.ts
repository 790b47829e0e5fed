import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, getCurrentWorkspace } from '@aac/core'
import { loadConfig } from '@aac/core/fs'
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'

let cloud: FakeCloud
let dir: string

beforeAll(async () => {
  cloud = await startFakeCloud() // loopback, a free port; options: people, splitHosts, clockOffsetSeconds…
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'my-app-'))
  await cloud.writeConfig(dir, { expired: true }) // aac_url.txt, client_id.txt, creds.json; expired: refresh first
  cloud.reset() // counters and faults
})
afterEach(() => rm(dir, { recursive: true, force: true }))
afterAll(() => cloud.stop())

it('refreshes once and retries a 503', async () => {
  cloud.inject({ kind: 'status', status: 503, path: '/iam/v1/workspaces/current' })
  const { config, storage } = await loadConfig({ dir })
  const workspace = await getCurrentWorkspace(createClient({ config, storage }))
  expect(workspace.name).toBe('Fake Workspace')
  expect(cloud.stats()).toMatchObject({ refreshes: 1, byRoute: { 'GET /iam/v1/workspaces/current': 2 } })
})

it('never sends a refresh token twice when the answer is lost', async () => {
  cloud.inject({ kind: 'drop-after-rotate' })
  const { config, storage } = await loadConfig({ dir })
  await expect(getCurrentWorkspace(createClient({ config, storage }))).rejects.toMatchObject({
    code: 'TOKEN_REFRESH_UNCERTAIN',
  })
  expect(cloud.stats().tokenRequests).toBe(1)
})
