// The core against the fake cloud, in-process: the rotation rules of docs/design.md, end to end over real HTTP.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createClient, memoryStorage } from '@aac/core'
import { fileStorage, loadConfig } from '@aac/core/fs'
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { afterEach, describe, expect, it } from 'vitest'
import { expectOneSafeRotation, fakeWorkspace, readPair, type Workspace } from '../helpers.ts'

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

  it('429 and 503 at the token endpoint (not processed) are resent inside the lock: one rotation', async () => {
    ws = await fakeWorkspace()
    const storageFor = async () => (await loadConfig({ dir: ws.dir })).storage
    const { config } = await loadConfig({ dir: ws.dir })
    // Two "programs" on one creds.json: the resends happen while the first holds the lock, so the second waits
    // and then adopts the rotated pair instead of sending its own refresh.
    const clients = await Promise.all(
      [0, 1].map(async () =>
        createClient({ config, storage: await storageFor(), tokenOptions: { retryBaseDelayMs: 5 } }),
      ),
    )
    ws.cloud.inject({ kind: 'status', status: 429, retryAfterSeconds: 0, path: '/as/token' })
    ws.cloud.inject({ kind: 'status', status: 503, path: '/as/token' })
    await Promise.all(clients.map((client) => client.get('/iam/v1/workspaces/current')))
    expect(ws.cloud.stats()).toMatchObject({
      refreshes: 1,
      reuseDetected: 0,
      invalidGrants: 0,
      tokenRequests: 3,
    })
    expect(ws.cloud.stats().byRoute['POST /as/token']).toBe(3)
    await expectOneSafeRotation(ws, 2)
  })

  it.each([500, 502, 504])(
    '%i at the token endpoint is uncertain: one request, never resent, TOKEN_REFRESH_UNCERTAIN, recorded',
    async (status) => {
      ws = await fakeWorkspace()
      const before = JSON.parse(await ws.readCreds()) as Record<string, unknown>
      const { config, storage } = await loadConfig({ dir: ws.dir })
      const client = createClient({ config, storage, tokenOptions: { retryBaseDelayMs: 5 } })
      ws.cloud.inject({ kind: 'status', status, path: '/as/token', times: 5 })
      const error = await client.get('/iam/v1/workspaces/current').catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'TOKEN_REFRESH_UNCERTAIN' })
      expect((error as Error).message).toContain(`HTTP ${status}`)
      expect((error as Error).message).not.toContain(before['refresh_token'] as string)
      // A second call of the same program does not send it either.
      await expect(client.get('/iam/v1/workspaces/current')).rejects.toMatchObject({
        code: 'TOKEN_REFRESH_UNCERTAIN',
      })
      expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 0, apiRequests: 0 })
      const after = readPair(await ws.readCreds())
      expect(after).toMatchObject({
        access_token: before['access_token'],
        refresh_token: before['refresh_token'],
        aac: { refresh: { state: 'uncertain' } },
      })
      // The server had not rotated (the status came instead of processing): the next program tries once and
      // succeeds, and the record goes with the old pair.
      ws.cloud.reset()
      await (await clientFor(ws.dir)).get('/iam/v1/workspaces/current')
      expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 1, reuseDetected: 0 })
      expect(readPair(await ws.readCreds()).aac?.refresh).toBeUndefined()
    },
  )

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

  it('a connection dropped after the server rotated: TOKEN_REFRESH_UNCERTAIN, one request, the pair kept with an uncertain record', async () => {
    ws = await fakeWorkspace()
    const before = readPair(await ws.readCreds())
    const { config, storage } = await loadConfig({ dir: ws.dir })
    const client = createClient({ config, storage, tokenOptions: { retryBaseDelayMs: 5 } })
    ws.cloud.inject({ kind: 'drop-after-rotate' })
    // The server spent the refresh token but its answer never came: resending it would be the reuse that
    // revokes the family, so it is not sent again, and the user is told plainly that the tokens may be lost.
    const error = await client.get('/iam/v1/workspaces/current').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TOKEN_REFRESH_UNCERTAIN' })
    expect((error as Error).message).toMatch(
      /may or may not have happened.*your tokens may be lost.*not sent again/,
    )
    expect((error as Error).message).not.toContain(before.refresh_token)
    expect(ws.cloud.stats()).toMatchObject({ tokenRequests: 1, refreshes: 1, reuseDetected: 0 })
    // Nothing half-baked was written: the same pair, plus the record the next program needs.
    const after = readPair(await ws.readCreds())
    expect(after.access_token).toBe(before.access_token)
    expect(after.refresh_token).toBe(before.refresh_token)
    expect(after.aac?.refresh).toMatchObject({ state: 'uncertain', pid: process.pid })
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
