// The client against the fake cloud over real HTTP, from whichever runtime runs this suite. The fake cloud runs
// in another process (vitest starts it), so it is driven through its control API.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileStorage, loadConfig } from '../../packages/core/src/fs.ts'
import { createClient } from '../../packages/core/src/index.ts'
import { type Harness, tempDir } from './harness.ts'

interface Stats {
  requests: number
  apiRequests: number
  refreshes: number
  invalidGrants: number
  reuseDetected: number
}

/** The fake cloud at `url`, seen from this process. */
function fakeCloud(url: string) {
  const control = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${url}/__control${path}`, init)
    assert.equal(response.status, 200, `fake cloud control ${path} answered ${response.status}`)
    return (await response.json()) as T
  }
  return {
    /** A folder holding aac_url.txt, client_id.txt and creds.json with a new token pair. */
    async workspace(expired: boolean) {
      const info = await control<{ url: string; projectId: string }>('/info')
      const pair = await control<{ accessToken: string; refreshToken: string }>('/tokens', {
        method: 'POST',
        body: JSON.stringify({ expired }),
      })
      const dir = await tempDir()
      await writeFile(join(dir.path, 'aac_url.txt'), `${info.url}\n`)
      await writeFile(join(dir.path, 'client_id.txt'), `${info.projectId}\n`)
      const creds = join(dir.path, 'creds.json')
      await writeFile(
        creds,
        `${JSON.stringify({ access_token: pair.accessToken, refresh_token: pair.refreshToken })}\n`,
      )
      await control('/reset', { method: 'POST' })
      return { ...dir, pair, creds }
    },
    stats: () => control<Stats>('/stats'),
    isValid: async (refreshToken: string) =>
      (await control<{ valid: boolean }>(`/refresh-token-valid?token=${encodeURIComponent(refreshToken)}`))
        .valid,
  }
}

async function clientFor(dir: string) {
  const { config, storage } = await loadConfig({ dir })
  return createClient({ config, storage })
}

/** `cloudUrl` is called when a test runs, so a runner may start the fake cloud in a before-all hook. */
export function clientBehaviour(t: Harness, cloudUrl: () => string): void {
  t.test('client: a fresh token is one API request, no refresh, creds.json untouched', async () => {
    const cloud = fakeCloud(cloudUrl())
    const ws = await cloud.workspace(false)
    try {
      const before = await readFile(ws.creds, 'utf8')
      const workspace = await (await clientFor(ws.path)).get<{ id: number }>('/iam/v1/workspaces/current')
      assert.equal(workspace.id, 31429)
      assert.deepEqual(pick(await cloud.stats()), {
        requests: 1,
        apiRequests: 1,
        refreshes: 0,
        reuseDetected: 0,
      })
      assert.equal(await readFile(ws.creds, 'utf8'), before)
    } finally {
      await ws.remove()
    }
  })

  t.test('client: an expired token is refreshed once; the rotated pair is on disk and alive', async () => {
    const cloud = fakeCloud(cloudUrl())
    const ws = await cloud.workspace(true)
    try {
      const workspace = await (await clientFor(ws.path)).get<{ id: number }>('/iam/v1/workspaces/current')
      assert.equal(workspace.id, 31429)
      assert.deepEqual(pick(await cloud.stats()), {
        requests: 2,
        apiRequests: 1,
        refreshes: 1,
        reuseDetected: 0,
      })
      const saved = await fileStorage({ path: ws.creds }).read()
      assert.ok(saved)
      assert.notEqual(saved.refreshToken, ws.pair.refreshToken)
      assert.equal(await cloud.isValid(saved.refreshToken), true)
      assert.equal(await cloud.isValid(ws.pair.refreshToken), false)
    } finally {
      await ws.remove()
    }
  })

  t.test('client: 20 concurrent requests with an expired token share one refresh', async () => {
    const cloud = fakeCloud(cloudUrl())
    const ws = await cloud.workspace(true)
    try {
      const client = await clientFor(ws.path)
      const results = await Promise.all(
        Array.from({ length: 20 }, () => client.get<{ id: number }>('/iam/v1/workspaces/current')),
      )
      assert.ok(results.every((workspace) => workspace.id === 31429))
      const stats = await cloud.stats()
      assert.deepEqual(pick(stats), { requests: 21, apiRequests: 20, refreshes: 1, reuseDetected: 0 })
      assert.equal(stats.invalidGrants, 0)
    } finally {
      await ws.remove()
    }
  })
}

function pick({ requests, apiRequests, refreshes, reuseDetected }: Stats) {
  return { requests, apiRequests, refreshes, reuseDetected }
}
