// The core against the fake cloud, in-process: the rotation rules of design.md, end to end over real HTTP.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createClient, memoryStorage } from '@aac/core'
import { fileStorage, loadConfig } from '@aac/core/fs'
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeWorkspace, type Workspace } from '../helpers.ts'

let ws: Workspace
afterEach(async () => ws?.close())

async function clientFor(dir: string) {
  const { config, storage } = await loadConfig({ dir })
  return createClient({ config, storage, retry: { baseDelayMs: 5, maxDelayMs: 20 } })
}

describe('the core against the fake cloud', () => {
  it('a fresh token: exactly one HTTP request, no refresh, creds.json untouched', async () => {
    ws = await fakeWorkspace({ expired: false })
    const before = await ws.readCreds()
    const client = await clientFor(ws.dir)
    const workspace = await client.get<{ name: string }>('/iam/v1/workspaces/current')
    expect(workspace.name).toBe('Fake Workspace')
    expect(ws.cloud.stats()).toMatchObject({ requests: 1, refreshes: 0 })
    expect(await ws.readCreds()).toBe(before)
  })

  it('an expired token: one refresh, the rotated pair on disk, the old refresh token dead', async () => {
    ws = await fakeWorkspace()
    const old = JSON.parse(await ws.readCreds()) as { refresh_token: string; access_token: string }
    const client = await clientFor(ws.dir)
    await client.get('/iam/v1/workspaces/current')
    expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, apiRequests: 1, reuseDetected: 0 })
    const saved = JSON.parse(await ws.readCreds()) as { refresh_token: string; access_token: string }
    expect(saved.refresh_token).not.toBe(old.refresh_token)
    expect(saved.access_token).not.toBe(old.access_token)
    expect(ws.cloud.isRefreshTokenValid(saved.refresh_token)).toBe(true)
    expect(ws.cloud.isRefreshTokenValid(old.refresh_token)).toBe(false)
  })

  it('1000 concurrent requests with an expired token: one refresh', async () => {
    ws = await fakeWorkspace()
    const client = await clientFor(ws.dir)
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => client.get<{ id: number }>('/iam/v1/workspaces/current')),
    )
    expect(results.every((w) => w.id === 31429)).toBe(true)
    expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, apiRequests: 1000, reuseDetected: 0 })
  })

  it('two clients on one creds.json (two "programs") refresh once between them', async () => {
    ws = await fakeWorkspace()
    const [a, b] = await Promise.all([clientFor(ws.dir), clientFor(ws.dir)])
    await Promise.all([a.get('/iam/v1/workspaces/current'), b.get('/iam/v1/workspaces/current')])
    expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 })
  })

  it('a 401 mid-life: one refresh and one retry', async () => {
    ws = await fakeWorkspace({ expired: false })
    const client = await clientFor(ws.dir)
    ws.cloud.inject({ kind: 'unauthorized' })
    const workspace = await client.get<{ id: number }>('/iam/v1/workspaces/current')
    expect(workspace.id).toBe(31429)
    expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, apiRequests: 2, unauthorized: 1 })
  })

  it('a 401 that persists: one refresh, one retry, then UNAUTHORIZED', async () => {
    ws = await fakeWorkspace({ expired: false })
    const client = await clientFor(ws.dir)
    ws.cloud.inject({ kind: 'unauthorized', times: 5 })
    await expect(client.get('/iam/v1/workspaces/current')).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
    expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, apiRequests: 2 })
  })

  it('429 with x-retry-after and 5xx are retried', async () => {
    ws = await fakeWorkspace({ expired: false })
    const client = await clientFor(ws.dir)
    ws.cloud.inject({ kind: 'status', status: 429, retryAfterSeconds: 0, path: '/iam/v1/workspaces/current' })
    ws.cloud.inject({ kind: 'status', status: 503, path: '/iam/v1/workspaces/current' })
    await client.get('/iam/v1/workspaces/current')
    expect(ws.cloud.stats().byRoute['GET /iam/v1/workspaces/current']).toBe(3)
  })

  it('429 and 5xx at the token endpoint are retried inside the lock', async () => {
    ws = await fakeWorkspace()
    const { config, storage } = await loadConfig({ dir: ws.dir })
    const client = createClient({ config, storage, tokenOptions: { retryBaseDelayMs: 5 } })
    ws.cloud.inject({ kind: 'status', status: 429, retryAfterSeconds: 0, path: '/as/token' })
    ws.cloud.inject({ kind: 'status', status: 500, path: '/as/token' })
    await client.get('/iam/v1/workspaces/current')
    expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 })
    expect(ws.cloud.stats().byRoute['POST /as/token']).toBe(3)
  })

  it('invalid_grant: the re-authentication error and a byte-identical creds.json', async () => {
    ws = await fakeWorkspace()
    // Another program spends the refresh token without taking the lock (as Alteryx's own scripts do).
    const spent = await ws.spendRefreshToken()
    const before = await ws.readCreds()
    const client = await clientFor(ws.dir)
    const error = await client.get('/iam/v1/workspaces/current').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'REAUTH_REQUIRED' })
    expect((error as Error).message).toMatch(
      /no longer valid \(invalid_grant\).*https:\/\/us1\.alteryxcloud\.com\/cloud-portal\/preferences\/oauth2-api-tokens/,
    )
    expect((error as Error).message).not.toContain(spent)
    expect(await ws.readCreds()).toBe(before)
  })

  it('a connection dropped after the server rotated: a clear error, creds.json unchanged', async () => {
    ws = await fakeWorkspace()
    const before = await ws.readCreds()
    const { config, storage } = await loadConfig({ dir: ws.dir })
    const client = createClient({ config, storage, tokenOptions: { retryBaseDelayMs: 5 } })
    ws.cloud.inject({ kind: 'drop-after-rotate' })
    // The server spent the refresh token but its answer never came: nothing can recover the new pair, and the
    // retry is refused. What matters is that nothing half-baked was written and the user is told what to do.
    await expect(client.get('/iam/v1/workspaces/current')).rejects.toMatchObject({ code: 'REAUTH_REQUIRED' })
    expect(await ws.readCreds()).toBe(before)
  })

  it('routes /v4 to the direct host and pages through 137 people', async () => {
    ws = await fakeWorkspace({ expired: false })
    const client = await clientFor(ws.dir)
    const page = await client.get<{ data: unknown[]; count: number }>('/v4/people', {
      query: { limit: 100, offset: 100, includeCount: true },
    })
    expect(page.data).toHaveLength(37)
    expect(page.count).toBe(137)
  })

  it('maps the fake gateway faults to their codes', async () => {
    ws = await fakeWorkspace({ expired: false })
    await writeFile(join(ws.dir, 'client_id.txt'), 'someone-elses-project\n')
    const client = await clientFor(ws.dir)
    await expect(client.get('/iam/v1/workspaces/current')).rejects.toMatchObject({ code: 'INVALID_API_KEY' })
    await expect(client.get('/iam/v1/nothing-here')).rejects.toMatchObject({ code: 'INVALID_API_KEY' })
    expect(ws.cloud.stats().refreshes).toBe(0)
    await writeFile(join(ws.dir, 'client_id.txt'), `${ws.cloud.projectId}\n`)
    const fixed = await clientFor(ws.dir)
    await expect(fixed.get('/v4/nothing-here')).rejects.toMatchObject({ code: 'ROUTE_NOT_FOUND' })
  })

  it('a file storage shared by a second storage instance sees the rotation', async () => {
    ws = await fakeWorkspace()
    const initial = JSON.parse(await ws.readCreds()) as { refresh_token: string }
    const client = await clientFor(ws.dir)
    await client.get('/iam/v1/workspaces/current')
    const other = await fileStorage({ path: join(ws.dir, 'creds.json') }).read()
    const onDisk = JSON.parse(await readFile(join(ws.dir, 'creds.json'), 'utf8')) as { refresh_token: string }
    expect(other?.refreshToken).toBe(onDisk.refresh_token)
    expect(other?.refreshToken).not.toBe(initial.refresh_token)
    expect(ws.cloud.isRefreshTokenValid(other?.refreshToken ?? '')).toBe(true)
    expect(ws.cloud.isRefreshTokenValid(initial.refresh_token)).toBe(false)
  })
})

describe('host routing, against a fake whose gateway and direct hosts are separate listeners', () => {
  let cloud: FakeCloud | undefined
  afterEach(async () => {
    await cloud?.stop()
    cloud = undefined
  })

  async function split() {
    const started = await startFakeCloud({ splitHosts: true })
    cloud = started
    expect(started.directUrl).not.toBe(started.url)
    return started
  }

  function clientOf(fake: FakeCloud, directUrl: string) {
    return createClient({
      config: { apiUrl: fake.url, directUrl, projectId: fake.projectId, region: undefined },
      storage: memoryStorage(fake.issueTokens()),
    })
  }

  it('sends /v4 to directUrl and /iam to apiUrl', async () => {
    const fake = await split()
    const client = clientOf(fake, fake.directUrl)
    const people = await client.get<{ data: unknown[]; count: number }>('/v4/people', {
      query: { includeCount: true },
    })
    expect(people.count).toBe(137)
    const workspace = await client.get<{ id: number }>('/iam/v1/workspaces/current')
    expect(workspace.id).toBe(31429)
    expect(fake.stats()).toMatchObject({ apiRequests: 2, refreshes: 0 })
  })

  it('a directUrl wrongly set to the gateway: ROUTE_NOT_FOUND from the gateway, not a retry or a refresh', async () => {
    const fake = await split()
    const client = clientOf(fake, fake.url)
    const error = await client.get('/v4/people').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404 })
    const message = (error as Error).message
    expect(message).toContain(`${fake.url} has no such route`)
    expect(message).toContain('Cannot GET /v4/people')
    expect(message).toContain('/v4 and /svc-workflow paths go to')
    // The config cannot know the real direct host, so the hint says where it usually is, not "right host".
    expect(message).toContain('/v4 and /svc-workflow live on the host without "api."')
    expect(message).not.toContain('This is the right host')
    expect(fake.stats()).toMatchObject({ apiRequests: 1, refreshes: 0 })
  })

  it('a path sent to the wrong host: the hint names the host it belongs to', async () => {
    const fake = await split()
    const client = clientOf(fake, fake.directUrl)
    const atGateway = await client.get(`${fake.url}/v4/people`).catch((e: unknown) => e)
    expect(atGateway).toMatchObject({ code: 'ROUTE_NOT_FOUND' })
    expect((atGateway as Error).message).toContain(`may belong to the other host: ${fake.directUrl}`)
    const atDirect = await client.get(`${fake.directUrl}/iam/v1/workspaces/current`).catch((e: unknown) => e)
    expect(atDirect).toMatchObject({ code: 'ROUTE_NOT_FOUND' })
    expect((atDirect as Error).message).toContain(`may belong to the other host: ${fake.url}`)
  })
})
