import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { aac, aacInProcess, useCloud } from './helpers.ts'

const fake = useCloud()

async function accepted(token: string): Promise<boolean> {
  const response = await fetch(`${fake.cloud.url}/v4/people/current`, {
    headers: { authorization: `Bearer ${token}` },
  })
  await response.body?.cancel()
  return response.status === 200
}

async function storedPair(dir: string): Promise<{ access_token: string; refresh_token: string }> {
  return JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8'))
}

describe('aac token', () => {
  it('prints the stored token as it is while it is fresh: no refresh, no API call', async () => {
    const dir = await fake.configDir()
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    fake.cloud.reset()
    const result = await aac(['token'], { env: { AAC_CONFIG_DIR: dir } })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(result.stdout).toBe(`${(await storedPair(dir)).access_token}\n`)
    expect(fake.cloud.stats().requests).toBe(0)
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
  })

  it('refreshes an expired token once, saves the rotated pair, and --json adds expiry and header values', async () => {
    const dir = await fake.configDir({ expired: true })
    fake.cloud.reset()
    const result = await aacInProcess(['token', '--json'], { env: { AAC_CONFIG_DIR: dir } })
    expect(result.code).toBe(0)
    const session = JSON.parse(result.stdout) as Record<string, unknown>
    const stored = await storedPair(dir)
    expect(session).toMatchObject({
      access_token: stored.access_token,
      token_type: 'Bearer',
      api_url: fake.cloud.url,
      direct_url: fake.cloud.url,
      project_id: fake.cloud.projectId,
    })
    expect(Date.parse(session['expires_at'] as string)).toBeGreaterThan(Date.now())
    expect(session['expires_in']).toBeGreaterThan(200)
    expect(fake.cloud.stats().refreshes).toBe(1)
    expect(fake.cloud.isRefreshTokenValid(stored.refresh_token)).toBe(true)
    expect(await accepted(stored.access_token)).toBe(true)
  })

  it('5 concurrent aac token on an expired token: one refresh, five valid tokens, the chain intact', async () => {
    const dir = await fake.configDir({ expired: true })
    fake.cloud.reset()
    const results = await Promise.all(
      Array.from({ length: 5 }, () => aac(['token'], { env: { AAC_CONFIG_DIR: dir } })),
    )
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' })
    const stats = fake.cloud.stats()
    expect(stats.refreshes).toBe(1)
    expect(stats.invalidGrants).toBe(0)
    expect(stats.reuseDetected).toBe(0)
    const stored = await storedPair(dir)
    const tokens = results.map((r) => r.stdout.trim())
    // One rotation happened, so every process printed the pair it produced (none kept the expired one).
    expect(new Set(tokens)).toEqual(new Set([stored.access_token]))
    for (const token of new Set(tokens)) expect(await accepted(token)).toBe(true)
    expect(fake.cloud.isRefreshTokenValid(stored.refresh_token)).toBe(true)
  })
})
