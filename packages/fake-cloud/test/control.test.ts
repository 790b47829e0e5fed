import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { api, decodeJwtPart, refresh, useFakeCloud } from './helpers.ts'

const start = useFakeCloud()

const post = (url: string, body?: unknown) =>
  fetch(url, body === undefined ? { method: 'POST' } : { method: 'POST', body: JSON.stringify(body) })

describe('control API over HTTP', () => {
  it('mints token families, checks refresh tokens and reports stats without counting itself', async () => {
    const cloud = await start()
    const control = `${cloud.url}/__control`
    const pair = (await (await post(`${control}/tokens`)).json()) as {
      accessToken: string
      refreshToken: string
    }
    expect((await api(cloud, '/v4/people/current', pair.accessToken)).status).toBe(200)

    const valid = async (token: string) =>
      (
        (await (await fetch(`${control}/refresh-token-valid?token=${encodeURIComponent(token)}`)).json()) as {
          valid: boolean
        }
      ).valid
    expect(await valid(pair.refreshToken)).toBe(true)
    await refresh(cloud, pair.refreshToken)
    expect(await valid(pair.refreshToken)).toBe(false)
    expect(await valid('rt_unknown')).toBe(false)

    const stats = (await (await fetch(`${control}/stats`)).json()) as Record<string, unknown>
    expect(stats).toMatchObject({ requests: 2, apiRequests: 1, refreshes: 1 })
    expect(Object.keys(stats['byRoute'] as object).some((k) => k.includes('__control'))).toBe(false)
  })

  it('mints expired access tokens on request', async () => {
    const cloud = await start()
    const res = await post(`${cloud.url}/__control/tokens`, { expired: true })
    const pair = (await res.json()) as { accessToken: string; refreshToken: string }
    expect(decodeJwtPart(pair.accessToken, 1)['exp']).toBeLessThan(Date.now() / 1000)
    expect((await api(cloud, '/v4/people/current', pair.accessToken)).status).toBe(401)
    expect(cloud.isRefreshTokenValid(pair.refreshToken)).toBe(true)
  })

  it('queues faults, rejects malformed ones, and resets', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    const control = `${cloud.url}/__control`
    expect(
      (await post(`${control}/faults`, { kind: 'status', status: 429, retryAfterSeconds: 3 })).status,
    ).toBe(200)
    const limited = await api(cloud, '/v4/people', accessToken)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('x-retry-after')).toBe('3')

    const bad = await post(`${control}/faults`, { kind: 'explode' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(/kind/)

    await post(`${control}/faults`, { kind: 'status', status: 500, times: 3 })
    expect((await post(`${control}/reset`)).status).toBe(200)
    expect(cloud.stats().requests).toBe(0)
    expect((await api(cloud, '/v4/people', accessToken)).status).toBe(200)
  })

  it('answers unknown control routes with 404', async () => {
    const cloud = await start()
    expect((await fetch(`${cloud.url}/__control/nope`)).status).toBe(404)
    expect(cloud.stats().requests).toBe(0)
  })
})

describe('writeConfig', () => {
  it('writes the three files a user keeps, pointing at this fake', async () => {
    const cloud = await start()
    const dir = join(await mkdtemp(join(tmpdir(), 'fake-cloud-')), 'nested', 'dir')
    try {
      const pair = await cloud.writeConfig(dir, { expired: true })
      expect(await readFile(join(dir, 'aac_url.txt'), 'utf8')).toBe(`${cloud.url}\n`)
      expect(await readFile(join(dir, 'client_id.txt'), 'utf8')).toBe(`${cloud.projectId}\n`)
      const creds = await readFile(join(dir, 'creds.json'), 'utf8')
      expect(creds).toBe(
        `${JSON.stringify({ access_token: pair.accessToken, refresh_token: pair.refreshToken }, null, 2)}\n`,
      )
      expect(decodeJwtPart(pair.accessToken, 1)['exp']).toBeLessThan(Date.now() / 1000)
      expect(cloud.isRefreshTokenValid(pair.refreshToken)).toBe(true)
    } finally {
      await rm(join(dir, '..', '..'), { recursive: true, force: true })
    }
  })
})
