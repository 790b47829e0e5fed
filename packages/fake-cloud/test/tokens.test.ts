import { describe, expect, it } from 'vitest'
import { createJwtSigner } from '../src/jwt.ts'
import { TokenService } from '../src/tokens.ts'
import { api, decodeJwtPart, OAUTH_CLIENT, refresh, useFakeCloud } from './helpers.ts'

const start = useFakeCloud()

describe('access tokens', () => {
  it('are RS256 JWTs with base64url parts and the claims clients read', async () => {
    const cloud = await start({ accessTokenTtlSeconds: 2 })
    const { accessToken, refreshToken } = cloud.issueTokens()
    expect(accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(decodeJwtPart(accessToken, 0)).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) })
    const claims = decodeJwtPart(accessToken, 1)
    expect(claims).toMatchObject({ iss: cloud.issuer, client_id: OAUTH_CLIENT, sub: 'user-51' })
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(2)
    expect(Math.abs((claims['exp'] as number) - Date.now() / 1000 - 2)).toBeLessThan(2)
    expect(refreshToken).toMatch(/^rt_[\w-]{32}$/)
    expect(cloud.issuer).toBe(`${cloud.url}/as`)
  })

  it('a fresh one works and an expired one gets 401 jwt expired', async () => {
    const cloud = await start()
    const fresh = cloud.issueTokens()
    const ok = await api(cloud, '/v4/people/current', fresh.accessToken)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ id: 51 })

    const expired = cloud.issueTokens({ expired: true })
    expect(decodeJwtPart(expired.accessToken, 1)['exp']).toBeLessThan(Date.now() / 1000 - 3000)
    const res = await api(cloud, '/v4/people/current', expired.accessToken)
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ message: 'jwt expired' })
    // ...while its refresh token is alive
    expect(cloud.isRefreshTokenValid(expired.refreshToken)).toBe(true)
    expect((await refresh(cloud, expired.refreshToken)).status).toBe(200)
  })

  it('stop working once exp passes', async () => {
    const cloud = await start()
    const { accessToken } = cloud.issueTokens({ ttlSeconds: 2 })
    expect((await api(cloud, '/v4/workspaces/current', accessToken)).status).toBe(200)
    // Wait until the clock is past exp, however long minting and the first call took.
    const exp = decodeJwtPart(accessToken, 1)['exp'] as number
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 100))
    const res = await api(cloud, '/v4/workspaces/current', accessToken)
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ message: 'jwt expired' })
  })

  it('live at least their ttl: iat is rounded up to the second, exp = iat + ttl', async () => {
    const signer = await createJwtSigner()
    let nowMs = 1_700_000_000_999 // a millisecond before a whole second: the worst case for rounding down
    const tokens = new TokenService({
      signer,
      issuer: 'http://x/as',
      oauthClientId: 'c',
      ttlSeconds: 1,
      now: () => nowMs,
    })
    const { accessToken, refreshToken } = tokens.issue()
    const claims = decodeJwtPart(accessToken, 1)
    expect(claims).toMatchObject({ iat: 1_700_000_001, exp: 1_700_000_002 })
    // The bearer check compares exp with the current whole second: alive for the whole ttl, dead at exp.
    expect(signer.verify(accessToken, Math.floor((nowMs + 999) / 1000)).ok).toBe(true)
    expect(signer.verify(accessToken, 1_700_000_002)).toEqual({ ok: false, reason: 'expired' })

    nowMs = 1_700_000_005_000 // exactly on a second: exactly ttl
    const redeemed = tokens.redeem(refreshToken)
    if (!redeemed.ok) throw new Error(redeemed.description)
    expect(decodeJwtPart(redeemed.pair.accessToken, 1)).toMatchObject({
      iat: 1_700_000_005,
      exp: 1_700_000_006,
    })
  })

  it('signed by another fake are rejected with a plain Unauthorized', async () => {
    const cloud = await start()
    const other = await start()
    const res = await api(cloud, '/v4/people/current', other.issueTokens().accessToken)
    expect(res.status).toBe(401)
    expect(await res.text()).toBe('Unauthorized')
  })
})

describe('POST /as/token', () => {
  it('rotates: the old refresh token dies, the new pair works', async () => {
    const cloud = await start({ accessTokenTtlSeconds: 2 })
    const first = cloud.issueTokens()
    const res = await refresh(cloud, first.refreshToken)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 2 })
    const next = {
      accessToken: body['access_token'] as string,
      refreshToken: body['refresh_token'] as string,
    }
    expect(next.refreshToken).not.toBe(first.refreshToken)
    expect(next.accessToken).not.toBe(first.accessToken)

    expect(cloud.isRefreshTokenValid(first.refreshToken)).toBe(false)
    expect(cloud.isRefreshTokenValid(next.refreshToken)).toBe(true)
    expect((await api(cloud, '/v4/people/current', next.accessToken)).status).toBe(200)
    const again = await refresh(cloud, next.refreshToken)
    expect(again.status).toBe(200)
    expect(cloud.stats()).toMatchObject({ refreshes: 2, invalidGrants: 0, reuseDetected: 0 })
  })

  it('reuse of a used refresh token revokes the family, its current token included', async () => {
    const cloud = await start()
    const first = cloud.issueTokens()
    const bystander = cloud.issueTokens()
    const rotated = (await (await refresh(cloud, first.refreshToken)).json()) as Record<string, string>
    const current = rotated['refresh_token'] as string

    const reuse = await refresh(cloud, first.refreshToken)
    expect(reuse.status).toBe(400)
    expect(await reuse.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.any(String),
    })
    expect(cloud.isRefreshTokenValid(current)).toBe(false)
    const dead = await refresh(cloud, current)
    expect(dead.status).toBe(400)
    expect(((await dead.json()) as Record<string, unknown>)['error']).toBe('invalid_grant')
    expect(cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 1, invalidGrants: 2 })

    // Other families are untouched, and access tokens of the revoked one live until exp.
    expect(cloud.isRefreshTokenValid(bystander.refreshToken)).toBe(true)
    expect((await api(cloud, '/v4/people/current', rotated['access_token'] as string)).status).toBe(200)
  })

  it('refuses unknown refresh tokens with invalid_grant', async () => {
    const cloud = await start()
    const res = await refresh(cloud, 'rt_not-a-token')
    expect(res.status).toBe(400)
    expect(((await res.json()) as Record<string, unknown>)['error']).toBe('invalid_grant')
    expect(cloud.stats()).toMatchObject({ invalidGrants: 1, reuseDetected: 0 })
  })

  it('requires client_id and the right one, and grant_type=refresh_token', async () => {
    const cloud = await start()
    const { refreshToken } = cloud.issueTokens()
    const missing = await refresh(cloud, refreshToken, { client_id: '' })
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({
      error: 'invalid_request',
      error_description: 'client_id is required',
    })

    const wrong = await refresh(cloud, refreshToken, { client_id: 'fake-project-id' })
    expect(wrong.status).toBe(400)
    expect(await wrong.json()).toEqual({ error: 'invalid_client' })

    const grant = await refresh(cloud, refreshToken, { grant_type: 'client_credentials' })
    expect(grant.status).toBe(400)
    expect(((await grant.json()) as Record<string, unknown>)['error']).toBe('unsupported_grant_type')

    // None of those spent the refresh token.
    expect(cloud.isRefreshTokenValid(refreshToken)).toBe(true)
    expect(cloud.stats().refreshes).toBe(0)
  })

  it('requires a form body', async () => {
    const cloud = await start()
    const { refreshToken } = cloud.issueTokens()
    const res = await fetch(`${cloud.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: OAUTH_CLIENT,
      }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as Record<string, unknown>)['error']).toBe('invalid_request')
    expect(cloud.isRefreshTokenValid(refreshToken)).toBe(true)
  })

  it('lets exactly one of two concurrent refreshes with the same token win', async () => {
    const cloud = await start()
    const { refreshToken } = cloud.issueTokens()
    const statuses = (await Promise.all([refresh(cloud, refreshToken), refresh(cloud, refreshToken)])).map(
      (r) => r.status,
    )
    expect(statuses.sort()).toEqual([200, 400])
    expect(cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 1 })
  })
})
