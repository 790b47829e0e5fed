import { describe, expect, it } from 'vitest'
import type { FakeCloud } from '../src/index.ts'
import { api, useFakeCloud } from './helpers.ts'

const start = useFakeCloud()

async function run(cloud: FakeCloud, token: string, datasetId: number): Promise<number> {
  const res = await api(cloud, '/v4/jobGroups', token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ wrangledDataset: { id: datasetId } }),
  })
  expect(res.status).toBe(201)
  const body = (await res.json()) as { id: number; reason: string; sessionId: string }
  expect(body.reason).toBe('JobStarted')
  expect(body.sessionId).toEqual(expect.any(String))
  return body.id
}

async function polls(cloud: FakeCloud, token: string, id: number, n: number): Promise<unknown[]> {
  const out: unknown[] = []
  for (let i = 0; i < n; i++) {
    const res = await api(cloud, `/v4/jobGroups/${id}/status`, token)
    expect(res.status).toBe(200)
    out.push(JSON.parse(await res.text()))
  }
  return out
}

describe('jobs', () => {
  it('follow the script of their dataset, with bare JSON string statuses', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    const ok = await run(cloud, accessToken, 1)
    const failing = await run(cloud, accessToken, 2)
    const endless = await run(cloud, accessToken, 3)
    const other = await run(cloud, accessToken, 99)
    expect(new Set([ok, failing, endless, other]).size).toBe(4)

    const raw = await api(cloud, `/v4/jobGroups/${ok}/status`, accessToken)
    expect(await raw.text()).toBe('"Pending"')
    expect(await polls(cloud, accessToken, ok, 3)).toEqual(['InProgress', 'Complete', 'Complete'])
    expect(await polls(cloud, accessToken, failing, 3)).toEqual(['Pending', 'Failed', 'Failed'])
    expect(await polls(cloud, accessToken, endless, 6)).toEqual([
      'Pending',
      'InProgress',
      'InProgress',
      'InProgress',
      'InProgress',
      'InProgress',
    ])
    expect(await polls(cloud, accessToken, other, 3)).toEqual(['Pending', 'InProgress', 'Complete'])
    const job = await api(cloud, `/v4/jobGroups/${ok}`, accessToken)
    expect(await job.json()).toMatchObject({ id: ok, status: 'Complete', wrangledDataset: { id: 1 } })
  })

  it('can be canceled while running', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    const id = await run(cloud, accessToken, 3)
    await polls(cloud, accessToken, id, 2)
    const res = await api(cloud, `/v4/jobGroups/${id}/cancel`, accessToken, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ jobgroupId: id })
    expect(await polls(cloud, accessToken, id, 1)).toEqual(['Canceled'])
  })

  it('answers 404 for unknown job ids and 400 for a bad body', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    for (const path of ['/v4/jobGroups/424242/status', '/v4/jobGroups/abc/status', '/v4/jobGroups/424242']) {
      const res = await api(cloud, path, accessToken)
      expect(res.status, path).toBe(404)
      expect(await res.json()).toMatchObject({
        exception: { name: expect.any(String), details: expect.any(String) },
      })
    }
    const cancel = await api(cloud, '/v4/jobGroups/424242/cancel', accessToken, { method: 'POST' })
    expect(cancel.status).toBe(404)
    const json = { 'content-type': 'application/json' }
    const bad = await api(cloud, '/v4/jobGroups', accessToken, {
      method: 'POST',
      headers: json,
      body: '{"wrangledDataset":{}}',
    })
    expect(bad.status).toBe(400)
    const notJson = await api(cloud, '/v4/jobGroups', accessToken, {
      method: 'POST',
      headers: json,
      body: 'nope',
    })
    expect(notJson.status).toBe(400)
    expect(await notJson.json()).toMatchObject({ exception: { name: 'ValidationFailed' } })
  })

  it('refuse a body that is not sent as JSON with 415, whatever it holds', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens()
    const body = JSON.stringify({ wrangledDataset: { id: 1 } })
    // fetch labels a string body text/plain; a form body is what a confused client might send.
    for (const init of [
      { body },
      { body: new URLSearchParams({ 'wrangledDataset[id]': '1' }) },
      { body, headers: { 'content-type': 'text/json' } },
    ]) {
      const res = await api(cloud, '/v4/jobGroups', accessToken, { method: 'POST', ...init })
      expect(res.status).toBe(415)
      expect(await res.json()).toMatchObject({
        exception: { name: 'UnsupportedMediaType', details: expect.stringContaining('application/json') },
      })
    }
    // The same body with the right type (parameters allowed) starts a job.
    const ok = await api(cloud, '/v4/jobGroups', accessToken, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
    })
    expect(ok.status).toBe(201)
  })

  it('need a bearer token', async () => {
    const cloud = await start()
    const res = await fetch(`${cloud.url}/v4/jobGroups`, {
      method: 'POST',
      body: '{"wrangledDataset":{"id":1}}',
    })
    expect(res.status).toBe(401)
  })
})
