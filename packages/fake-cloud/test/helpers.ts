import { afterEach, expect } from 'vitest'
import type { FakeCloud, FakeCloudOptions } from '../src/index.ts'
import { startFakeCloud } from '../src/index.ts'

const running: FakeCloud[] = []

/** Starts a fake that is stopped after the current test. Call `useFakeCloud()` once per test file. */
export function useFakeCloud(): (options?: FakeCloudOptions) => Promise<FakeCloud> {
  afterEach(async () => {
    await Promise.all(running.splice(0).map((cloud) => cloud.stop()))
  })
  return async (options) => {
    const cloud = await startFakeCloud(options)
    running.push(cloud)
    return cloud
  }
}

export const OAUTH_CLIENT = 'fake-oauth-client'

/** A refresh as a real client posts it. */
export function refresh(
  cloud: FakeCloud,
  refreshToken: string,
  fields: Record<string, string> = {},
): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: OAUTH_CLIENT,
    ...fields,
  })
  return fetch(`${cloud.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  })
}

/** An API call with both headers a real client sends. */
export function api(
  cloud: FakeCloud,
  path: string,
  accessToken: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(`${cloud.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${accessToken}`, 'x-api-project-id': cloud.projectId, ...init.headers },
  })
}

export function decodeJwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  const part = token.split('.')[index] ?? ''
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>
}

/**
 * Asserts that `stop()` returns promptly while a request is parked in a delay: it must wake the parked request
 * rather than wait for its timer (20 s is far beyond any prompt stop, far below the parked minute).
 */
export async function expectPromptStop(cloud: FakeCloud): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    cloud.stop().then(() => 'stopped'),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 20_000, 'still waiting')
    }),
  ])
  clearTimeout(timer)
  expect(outcome).toBe('stopped')
}
