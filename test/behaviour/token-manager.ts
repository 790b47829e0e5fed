// The token manager's decisions, against an injected token endpoint: when it refreshes, how often, and what it
// leaves behind when it cannot.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileStorage } from '../../packages/core/src/fs.ts'
import { createTokenManager, isAacError, memoryStorage } from '../../packages/core/src/index.ts'
import { expiredJwt, makeJwt } from '../../packages/core/test/tokens.ts'
import { type Harness, tempDir } from './harness.ts'
import { fakeTokenEndpoint, ISSUER } from './token-endpoint.ts'

export function tokenManagerBehaviour(t: Harness): void {
  t.test('token manager: a fresh access token is used as is, with no request', async () => {
    const endpoint = fakeTokenEndpoint()
    const fresh = makeJwt({ iss: ISSUER })
    const manager = createTokenManager({
      storage: memoryStorage({ accessToken: fresh, refreshToken: 'rt-0' }),
      fetch: endpoint.fetch,
    })
    assert.equal(await manager.getAccessToken(), fresh)
    assert.equal(await manager.getAccessToken(), fresh)
    assert.equal(endpoint.calls, 0)
  })

  t.test(
    'token manager: an expired access token is refreshed once, and the rotated pair stored',
    async () => {
      const endpoint = fakeTokenEndpoint()
      const storage = memoryStorage({ accessToken: expiredJwt({ iss: ISSUER }), refreshToken: 'rt-0' })
      const manager = createTokenManager({ storage, fetch: endpoint.fetch })
      const token = await manager.getAccessToken()
      assert.equal(endpoint.calls, 1)
      assert.deepEqual(await storage.read(), { accessToken: token, refreshToken: 'rt-1' })
      // The new token is fresh: later calls need no request.
      assert.equal(await manager.getAccessToken(), token)
      assert.equal(endpoint.calls, 1)
    },
  )

  t.test('token manager: 100 concurrent callers share one refresh', async () => {
    const endpoint = fakeTokenEndpoint()
    const manager = createTokenManager({
      storage: memoryStorage({ accessToken: expiredJwt({ iss: ISSUER }), refreshToken: 'rt-0' }),
      fetch: endpoint.fetch,
    })
    const tokens = await Promise.all(Array.from({ length: 100 }, () => manager.getAccessToken()))
    assert.equal(endpoint.calls, 1)
    assert.equal(new Set(tokens).size, 1)
  })

  t.test('token manager: two programs on one creds.json refresh once between them', async () => {
    const dir = await tempDir()
    try {
      const path = join(dir.path, 'creds.json')
      await fileStorage({ path }).write({ accessToken: expiredJwt({ iss: ISSUER }), refreshToken: 'rt-0' })
      const endpoint = fakeTokenEndpoint()
      // Two managers with their own storage objects: nothing shared in memory, only the file and its lock.
      const [a, b] = [0, 1].map(() =>
        createTokenManager({ storage: fileStorage({ path }), fetch: endpoint.fetch }),
      )
      const [tokenA, tokenB] = await Promise.all([a!.getAccessToken(), b!.getAccessToken()])
      assert.equal(endpoint.calls, 1)
      assert.equal(tokenA, tokenB)
      const saved = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>
      assert.equal(saved['refresh_token'], endpoint.currentRefreshToken)
    } finally {
      await dir.remove()
    }
  })

  t.test('token manager: invalid_grant is REAUTH_REQUIRED and leaves creds.json byte-identical', async () => {
    const dir = await tempDir()
    try {
      const path = join(dir.path, 'creds.json')
      const content = `${JSON.stringify({ access_token: expiredJwt({ iss: ISSUER }), refresh_token: 'rt-spent' })}\n`
      await writeFile(path, content)
      const endpoint = fakeTokenEndpoint('rt-other')
      const manager = createTokenManager({ storage: fileStorage({ path }), fetch: endpoint.fetch })
      const error = await manager.getAccessToken().then(
        () => assert.fail('expected REAUTH_REQUIRED'),
        (e: unknown) => e,
      )
      assert.ok(isAacError(error), `expected an AacError, got ${String(error)}`)
      assert.equal(error.code, 'REAUTH_REQUIRED')
      assert.match(error.message, /oauth2-api-tokens/)
      assert.ok(error.message.includes(path), 'the message names creds.json')
      assert.ok(!error.message.includes('rt-spent'), 'the message quotes no token')
      assert.equal(endpoint.calls, 1)
      assert.equal(await readFile(path, 'utf8'), content)
    } finally {
      await dir.remove()
    }
  })
}
