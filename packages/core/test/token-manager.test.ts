import { describe, expect, it, vi } from 'vitest'
import { AuthError, StorageError } from '../src/errors.ts'
import { tokenId } from '../src/internal/program.ts'
import { memoryStorage } from '../src/storage/memory.ts'
import type { StoredTokens, TokenStorage } from '../src/storage/types.ts'
import { createTokenManager } from '../src/token-manager.ts'
import { expiredJwt, makeJwt } from './tokens.ts'

const ISSUER = 'http://127.0.0.1:9/as'

/** A token endpoint that rotates single-use refresh tokens, as Alteryx's does. */
function fakeTokenEndpoint(options: { lifetime?: number } = {}) {
  let currentRefresh = 'rt-0'
  let generation = 0
  const calls: URLSearchParams[] = []
  const queue: Array<() => Response | Promise<Response>> = []
  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    expect(String(input)).toBe(`${ISSUER}/token`)
    const body = new URLSearchParams(String(init?.body))
    calls.push(body)
    const scripted = queue.shift()
    if (scripted) return scripted()
    if (body.get('refresh_token') !== currentRefresh) {
      return Response.json({ error: 'invalid_grant', error_description: 'used' }, { status: 400 })
    }
    generation++
    currentRefresh = `rt-${generation}`
    const now = Math.floor(Date.now() / 1000)
    return Response.json({
      access_token: makeJwt({ iat: now, exp: now + (options.lifetime ?? 300), gen: generation }),
      refresh_token: currentRefresh,
      token_type: 'Bearer',
      expires_in: 300,
    })
  })
  return {
    fetch,
    calls,
    /** Scripts the next answers, ahead of the normal behaviour. */
    script(...responses: Array<() => Response | Promise<Response>>) {
      queue.push(...responses)
    },
    get currentRefresh() {
      return currentRefresh
    },
  }
}

function setup(initial: StoredTokens = { accessToken: expiredJwt(), refreshToken: 'rt-0' }, extra = {}) {
  const endpoint = fakeTokenEndpoint()
  const storage = memoryStorage(initial)
  const manager = createTokenManager({ storage, fetch: endpoint.fetch, retryBaseDelayMs: 1, ...extra })
  return { endpoint, storage, manager }
}

describe('token manager', () => {
  it.each([
    ['a file', undefined, /and paste both tokens into memory\.$/],
    [
      'a keychain entry or a database row',
      'store it with `aac creds import`',
      /and store it with `aac creds import`\.$/,
    ],
  ])(
    "after invalid_grant, says how to put a new pair into %s (the store's newPairHint)",
    async (_name, hint, said) => {
      const storage: TokenStorage = {
        ...memoryStorage({ accessToken: expiredJwt(), refreshToken: 'rt-spent' }),
      }
      const manager = createTokenManager({
        storage: hint === undefined ? storage : { ...storage, newPairHint: hint },
        fetch: fakeTokenEndpoint().fetch,
        retryBaseDelayMs: 1,
      })
      const error = await manager.getAccessToken().catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'REAUTH_REQUIRED' })
      expect((error as Error).message).toMatch(said)
    },
  )

  it('uses a fresh token as is, without any request', async () => {
    const fresh = makeJwt()
    const { endpoint, manager } = setup({ accessToken: fresh, refreshToken: 'rt-0' })
    expect(await manager.getAccessToken()).toBe(fresh)
    expect(await manager.getAccessToken()).toBe(fresh)
    expect(endpoint.fetch).not.toHaveBeenCalled()
  })

  it('refreshes a token with less than the skew left, and stores the rotated pair first', async () => {
    const now = Math.floor(Date.now() / 1000)
    const { endpoint, storage, manager } = setup({
      accessToken: makeJwt({ iat: now - 250, exp: now + 50 }),
      refreshToken: 'rt-0',
    })
    const token = await manager.getAccessToken()
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
    expect(endpoint.calls[0]!.get('grant_type')).toBe('refresh_token')
    expect(endpoint.calls[0]!.get('client_id')).toBe('oauth-client')
    expect(endpoint.calls[0]!.get('refresh_token')).toBe('rt-0')
    expect(await storage.read()).toEqual({ accessToken: token, refreshToken: 'rt-1' })
    expect(manager.stats().refreshes).toBe(1)
  })

  it('shares one refresh between 1000 concurrent callers', async () => {
    const { endpoint, manager } = setup()
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => manager.getAccessToken()))
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
    expect(new Set(tokens).size).toBe(1)
  })

  it('adopts a pair another program rotated instead of spending the refresh token', async () => {
    const { endpoint, storage, manager } = setup()
    const rotatedElsewhere = { accessToken: makeJwt(), refreshToken: 'rt-other' }
    await storage.write(rotatedElsewhere)
    expect(await manager.getAccessToken()).toBe(rotatedElsewhere.accessToken)
    expect(endpoint.fetch).not.toHaveBeenCalled()
  })

  it('re-reads the store under the lock: a rotation that lands while it waits is used', async () => {
    const endpoint = fakeTokenEndpoint()
    const inner = memoryStorage({ accessToken: expiredJwt(), refreshToken: 'rt-0' })
    const rotatedElsewhere = { accessToken: makeJwt(), refreshToken: 'rt-other' }
    // Another program rotates between our lock-free read and our lock.
    const storage: TokenStorage = {
      ...inner,
      withLock: async (fn) => {
        await inner.write(rotatedElsewhere)
        return inner.withLock(fn)
      },
    }
    const manager = createTokenManager({ storage, fetch: endpoint.fetch })
    expect(await manager.getAccessToken()).toBe(rotatedElsewhere.accessToken)
    expect(endpoint.fetch).not.toHaveBeenCalled()
  })

  it('renews once after a 401 even when the rejected token still looks fresh', async () => {
    const fresh = makeJwt()
    const { endpoint, manager } = setup({ accessToken: fresh, refreshToken: 'rt-0' })
    await manager.getAccessToken()
    const renewed = await Promise.all([manager.renewAccessToken(fresh), manager.renewAccessToken(fresh)])
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
    expect(renewed[0]).not.toBe(fresh)
    expect(renewed[1]).toBe(renewed[0])
    // A later 401 on a stale copy of the old token does not refresh again.
    expect(await manager.renewAccessToken(fresh)).toBe(renewed[0])
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
  })

  it('keeps the old refresh token when the response carries none', async () => {
    const { endpoint, storage, manager } = setup()
    endpoint.script(() => Response.json({ access_token: makeJwt(), token_type: 'Bearer', expires_in: 300 }))
    await manager.getAccessToken()
    expect((await storage.read())?.refreshToken).toBe('rt-0')
  })

  it.each([
    ['an error body with status 200', () => Response.json({ error: 'server_error' })],
    ['an empty access token', () => Response.json({ access_token: '', refresh_token: 'rt-9' })],
    ['a body that is not JSON', () => new Response('<html>oops</html>', { status: 200 })],
  ])('never stores %s, and records that the server spent the pair', async (_name, answer) => {
    const initial = { accessToken: expiredJwt(), refreshToken: 'rt-0' }
    const { endpoint, storage, manager } = setup(initial)
    endpoint.script(answer)
    const error = await manager.getAccessToken().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TOKEN_REFRESH_FAILED' })
    expect((error as Error).message).toMatch(/nothing was stored.*has spent the refresh token/)
    const stored = await storage.read()
    expect(stored).toMatchObject(initial)
    expect(stored?.meta?.refresh).toMatchObject({ state: 'spent' })
    // Neither this program nor the next sends the spent token again.
    const next = createTokenManager({ storage, fetch: endpoint.fetch })
    await expect(next.getAccessToken()).rejects.toMatchObject({ code: 'REAUTH_REQUIRED' })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'REAUTH_REQUIRED' })
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
  })

  it('resends only what provably never arrived: 429, 503 and a refused connection, then succeeds', async () => {
    const { endpoint, storage, manager } = setup()
    endpoint.script(
      () => new Response('busy', { status: 429, headers: { 'x-retry-after': '0' } }),
      () => new Response('oops', { status: 503 }),
      () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })),
    )
    await manager.getAccessToken()
    expect(endpoint.fetch).toHaveBeenCalledTimes(4)
    expect(manager.stats().refreshes).toBe(1)
    // The in-flight record went with the save.
    expect((await storage.read())?.meta?.refresh).toBeUndefined()
  })

  it('gives up after its retries with the tokens unchanged', async () => {
    const initial = { accessToken: expiredJwt(), refreshToken: 'rt-0' }
    const { endpoint, storage, manager } = setup(initial, { refreshRetries: 2 })
    endpoint.script(...Array.from({ length: 3 }, () => () => new Response('down', { status: 503 })))
    const error = await manager.getAccessToken().catch((e: unknown) => e)
    // Temporary: not the re-authentication the user would otherwise be sent to do.
    expect(error).toMatchObject({ code: 'TOKEN_ENDPOINT_UNAVAILABLE' })
    expect((error as Error).message).toMatch(
      /answered 503 \(not processed\) 3 times.*Your tokens were not changed/,
    )
    expect(endpoint.fetch).toHaveBeenCalledTimes(3)
    expect(await storage.read()).toEqual(initial)
  })

  it.each([
    [
      'a connection reset after sending',
      () =>
        Promise.reject(
          new TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET', message: 'other side closed' } }),
        ),
    ],
    ['a 500', () => new Response('oops', { status: 500 })],
    ['a 502 from a gateway', () => new Response('bad gateway', { status: 502 })],
    ['a 504', () => new Response('timeout', { status: 504 })],
  ])(
    'never resends after %s: says the pair may be lost and records it for the next program',
    async (_name, answer) => {
      const initial = { accessToken: expiredJwt(), refreshToken: 'rt-0' }
      const { endpoint, storage, manager } = setup(initial, { programName: 'sync-job' })
      endpoint.script(answer)
      const error = await manager.getAccessToken().catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'TOKEN_REFRESH_UNCERTAIN' })
      expect((error as Error).message).toMatch(/may or may not have happened.*may be lost.*not sent again/)
      expect((error as Error).message).not.toMatch(/not changed/)
      const stored = await storage.read()
      expect(stored).toMatchObject(initial)
      expect(stored?.meta?.refresh).toMatchObject({ state: 'uncertain', program: 'sync-job' })
      // Not again in this run, whatever the caller does.
      await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'TOKEN_REFRESH_UNCERTAIN' })
      await expect(manager.refresh()).rejects.toMatchObject({ code: 'TOKEN_REFRESH_UNCERTAIN' })
      expect(endpoint.fetch).toHaveBeenCalledTimes(1)
    },
  )

  it('the next program tries an uncertain pair once; on invalid_grant it names the interrupted refresh', async () => {
    const initial = { accessToken: expiredJwt(), refreshToken: 'rt-0' }
    const { endpoint, storage, manager } = setup(initial, { programName: 'nightly.ts' })
    // The server rotates, then the connection drops: rt-0 is spent, rt-1 exists only on the server.
    endpoint.script(async () => {
      await endpoint.fetch('http://127.0.0.1:9/as/token', { method: 'POST', body: 'refresh_token=rt-0' })
      throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })
    })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'TOKEN_REFRESH_UNCERTAIN' })
    const next = createTokenManager({ storage, fetch: endpoint.fetch })
    const error = await next.getAccessToken().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'REAUTH_REQUIRED' })
    expect((error as Error).message).toMatch(
      /sent by nightly\.ts \(pid \d+ on [^)]+\) at .* was interrupted.*connection failed after the request was sent/,
    )
    // The third program does not even try: the server said the token is dead.
    const third = createTokenManager({ storage, fetch: endpoint.fetch })
    await expect(third.getAccessToken()).rejects.toMatchObject({ code: 'REAUTH_REQUIRED' })
    // The dropped request (seen twice here: the script, and the rotation it performed behind the client's
    // back), then the next program's single try; the third program sent nothing.
    expect(endpoint.calls.map((body) => body.get('refresh_token'))).toEqual(['rt-0', 'rt-0', 'rt-0'])
  })

  it('a refresh left in flight by a killed program: the next one tries once and, when it works, clears the record', async () => {
    const initial = { accessToken: expiredJwt(), refreshToken: 'rt-0' }
    const { endpoint, storage } = setup(initial)
    // What a program killed right after sending leaves: the pair and its 'sent' record.
    await storage.write({
      ...initial,
      meta: {
        refresh: {
          state: 'sent',
          at: new Date().toISOString(),
          program: 'killed.ts',
          pid: 1,
          tokenId: await tokenId('rt-0'),
        },
      },
    })
    const next = createTokenManager({ storage, fetch: endpoint.fetch })
    expect(await next.getAccessToken()).toEqual(expect.any(String))
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
    expect((await storage.read())?.meta?.refresh).toBeUndefined()
  })

  it('a timeout after sending is uncertain, never "your tokens were not changed"', async () => {
    const { storage } = setup()
    const manager = createTokenManager({
      storage,
      fetch: (_input, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
        }),
      refreshTimeoutMs: 30,
    })
    const error = await manager.getAccessToken().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TOKEN_REFRESH_UNCERTAIN' })
    expect((error as Error).message).toMatch(/no answer within 30 ms/)
    expect((error as Error).message).not.toMatch(/not changed/)
  })

  it('never follows a redirect from the token endpoint, and names only where it pointed', async () => {
    const initial = { accessToken: expiredJwt(), refreshToken: 'rt-redirected-secret' }
    const { endpoint, storage, manager } = setup(initial)
    endpoint.script(
      () => new Response(null, { status: 307, headers: { location: 'http://127.0.0.1:4444/steal?x=1' } }),
    )
    const error = await manager.getAccessToken().catch((e: unknown) => e)
    expect(endpoint.fetch.mock.calls[0]![1]).toMatchObject({ redirect: 'manual' })
    expect(error).toMatchObject({ code: 'TOKEN_REFRESH_FAILED' })
    expect((error as Error).message).toMatch(
      /redirect to http:\/\/127\.0\.0\.1:4444\..*never followed.*not changed/,
    )
    expect((error as Error).message).not.toMatch(/steal|rt-redirected/)
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
    expect(await storage.read()).toEqual(initial)
  })

  it('an answer with the very access token the API rejected: one more try, then a clear error', async () => {
    const rejected = makeJwt()
    const { endpoint, storage, manager } = setup({ accessToken: rejected, refreshToken: 'rt-0' })
    let n = 0
    const same = () => Response.json({ access_token: rejected, refresh_token: `rt-same-${++n}` })
    endpoint.script(same, same, same, same)
    const error = await manager.renewAccessToken(rejected).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TOKEN_REFRESH_FAILED' })
    expect((error as Error).message).toMatch(
      /twice answered a refresh with the access token the API had just rejected/,
    )
    expect(endpoint.fetch).toHaveBeenCalledTimes(2)
    // The rotated refresh token was kept: the chain is not lost.
    expect((await storage.read())?.refreshToken).toBe('rt-same-2')
  })

  it.each([
    ['an access token that has already expired', { exp: -60, iat: -360 }],
    ['an access token from an untrusted issuer', { iss: 'https://login.evil.example/as' }],
  ])('rejects %s before storing it, and says the sent pair is spent', async (_name, claims) => {
    const initial = { accessToken: expiredJwt(), refreshToken: 'rt-0' }
    const { endpoint, storage, manager } = setup(initial)
    const now = Math.floor(Date.now() / 1000)
    const shifted = Object.fromEntries(
      Object.entries(claims).map(([k, v]) => [k, typeof v === 'number' ? now + v : v]),
    )
    endpoint.script(() =>
      Response.json(
        { access_token: makeJwt(shifted), refresh_token: 'rt-1' },
        { headers: { date: new Date().toUTCString() } },
      ),
    )
    const error = await manager.getAccessToken().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TOKEN_REFRESH_FAILED' })
    expect((error as Error).message).toMatch(
      /nothing was stored.*has spent the refresh token.*Generate a new pair/,
    )
    expect(await storage.read()).toMatchObject({ ...initial, meta: { refresh: { state: 'spent' } } })
    // Ends at once: no second refresh, now or from the next program.
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'REAUTH_REQUIRED' })
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
  })

  it('stores the server clock offset with the pair, so later programs agree the token is fresh', async () => {
    const offsetMs = -10 * 60_000
    const serverNow = () => Date.now() + offsetMs
    const iat = Math.floor(serverNow() / 1000)
    const initial = { accessToken: makeJwt({ iat: iat - 400, exp: iat - 100 }), refreshToken: 'rt-0' }
    const { endpoint, storage, manager } = setup(initial)
    endpoint.script(() => {
      const now = Math.floor(serverNow() / 1000)
      return Response.json(
        { access_token: makeJwt({ iat: now, exp: now + 300 }), refresh_token: 'rt-1' },
        { headers: { date: new Date(serverNow()).toUTCString() } },
      )
    })
    await manager.getAccessToken()
    const stored = await storage.read()
    expect(stored?.meta?.clockOffsetMs).toBeLessThan(-9 * 60_000)
    // By the local clock this token expired five minutes ago; with the stored offset it is fresh.
    const later = createTokenManager({ storage, fetch: endpoint.fetch })
    expect(await later.getAccessToken()).toBe(stored?.accessToken)
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
  })

  it('a store that cannot be written is found out before the refresh token is sent', async () => {
    const { endpoint, storage: inner } = setup()
    const storage: TokenStorage = {
      ...inner,
      location: '/srv/creds.json',
      write: async () => {
        throw Object.assign(new Error('resource busy'), { code: 'EBUSY' })
      },
    }
    const manager = createTokenManager({ storage, fetch: endpoint.fetch })
    const error = await manager.getAccessToken().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'STORAGE_ERROR' })
    expect((error as Error).message).toMatch(
      /\(EBUSY\), so the refresh was not sent: your tokens were not changed/,
    )
    expect(endpoint.fetch).not.toHaveBeenCalled()
  })

  it('does not retry a 400 other than invalid_grant', async () => {
    const { endpoint, manager } = setup()
    endpoint.script(() => Response.json({ error: 'invalid_client' }, { status: 400 }))
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'TOKEN_REFRESH_FAILED' })
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
  })

  it('on invalid_grant, raises REAUTH_REQUIRED naming the tokens page of the region, store untouched', async () => {
    const initial = { accessToken: expiredJwt(), refreshToken: 'rt-dead' }
    const { endpoint, storage, manager } = setup(initial, { region: 'eu1' })
    const error = await manager.getAccessToken().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({
      code: 'REAUTH_REQUIRED',
      url: 'https://eu1.alteryxcloud.com/cloud-portal/preferences/oauth2-api-tokens',
    })
    expect((error as Error).message).toMatch(
      /no longer valid \(invalid_grant\).*Generate a new pair at https:\/\/eu1/,
    )
    expect((error as Error).message).not.toContain('rt-dead')
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
    expect(await storage.read()).toEqual(initial)
  })

  it('on invalid_grant, adopts a pair that a lock-ignoring program rotated meanwhile', async () => {
    const { endpoint, storage, manager } = setup()
    const rotatedElsewhere = { accessToken: makeJwt(), refreshToken: 'rt-other' }
    endpoint.script(async () => {
      await storage.write(rotatedElsewhere)
      return Response.json({ error: 'invalid_grant' }, { status: 400 })
    })
    expect(await manager.getAccessToken()).toBe(rotatedElsewhere.accessToken)
  })

  it('refuses to send the refresh token to an untrusted issuer', async () => {
    const { endpoint, manager } = setup({
      accessToken: expiredJwt({ iss: 'https://evil.example.com/as' }),
      refreshToken: 'rt-0',
    })
    await expect(manager.getAccessToken()).rejects.toMatchObject({
      code: 'UNTRUSTED_TOKEN_ENDPOINT',
      message: expect.stringMatching(
        /Refusing to send the refresh token to https:\/\/evil\.example\.com.*trustedTokenHosts/,
      ),
    })
    expect(endpoint.fetch).not.toHaveBeenCalled()
  })

  it('when the rotated pair cannot be saved, says where it is kept and keeps working in-process', async () => {
    const endpoint = fakeTokenEndpoint()
    const inner = memoryStorage({ accessToken: expiredJwt(), refreshToken: 'rt-0' })
    const recovered: StoredTokens[] = []
    const storage: TokenStorage = {
      ...inner,
      location: '/home/me/creds.json',
      write: async (tokens) => {
        // The in-flight record is written; the rotated pair is not.
        if (tokens.meta?.refresh) return inner.write(tokens)
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
      },
      saveRecovery: async (tokens) => {
        recovered.push(tokens)
        return '/home/me/creds.json.recovered-1'
      },
    }
    const manager = createTokenManager({ storage, fetch: endpoint.fetch })
    const error = await manager.getAccessToken().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error).toMatchObject({ code: 'TOKENS_NOT_SAVED', location: '/home/me/creds.json.recovered-1' })
    expect((error as Error).message).toMatch(
      /could not be written \(ENOSPC\).*kept in \/home\/me\/creds\.json\.recovered-1/,
    )
    expect(recovered).toEqual([{ accessToken: expect.any(String), refreshToken: 'rt-1' }])
    expect((error as Error).message).toMatch(/the next program that uses .* picks it up from there/)
    // The new pair is alive in memory: the next call needs no refresh.
    expect(await manager.getAccessToken()).toBe(recovered[0]!.accessToken)
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
  })

  it('never puts a token in an error', async () => {
    const refreshToken = 'rt-super-secret-value'
    const { endpoint, manager } = setup({ accessToken: expiredJwt(), refreshToken })
    endpoint.script(() =>
      Response.json(
        { error: 'invalid_grant', error_description: `token ${refreshToken} reused` },
        { status: 400 },
      ),
    )
    const error = await manager.getAccessToken().catch((e: unknown) => e)
    const text = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).stack)}`
    expect(text).not.toContain(refreshToken)
  })

  it('reports the state of the token in use', async () => {
    const { manager } = setup()
    expect(manager.state()).toBeUndefined()
    await manager.getAccessToken()
    const state = manager.state()!
    expect(state.issuer).toBe(ISSUER)
    expect(state.expiresAt.getTime()).toBeGreaterThan(Date.now())
  })

  it('after a failed save, never sends the spent refresh token again: it rotates from the pair in memory', async () => {
    const endpoint = fakeTokenEndpoint()
    const inner = memoryStorage({ accessToken: expiredJwt(), refreshToken: 'rt-0' })
    let failWrites = 1
    let clock = Date.now()
    const storage: TokenStorage = {
      ...inner,
      write: async (tokens) => {
        if (!tokens.meta?.refresh && failWrites-- > 0)
          throw Object.assign(new Error('disk full'), { code: 'ENOSPC' })
        await inner.write(tokens)
      },
      saveRecovery: async () => '/tmp/creds.json.recovered-1',
    }
    const manager = createTokenManager({ storage, fetch: endpoint.fetch, now: () => clock })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'TOKENS_NOT_SAVED' })
    expect((await storage.read())?.refreshToken).toBe('rt-0')
    // Ten minutes later the in-memory token is stale too; the store still holds the spent rt-0.
    clock += 10 * 60_000
    await manager.getAccessToken()
    expect(endpoint.calls.map((body) => body.get('refresh_token'))).toEqual(['rt-0', 'rt-1'])
    expect((await storage.read())?.refreshToken).toBe('rt-2')
  })

  it('a caller that stops waiting does not cancel the refresh: the others get the token, the pair is saved', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const endpoint = fakeTokenEndpoint()
    const slowFetch = async (input: string | URL | Request, init?: RequestInit) => {
      await gate
      return endpoint.fetch(input, init)
    }
    const storage = memoryStorage({ accessToken: expiredJwt(), refreshToken: 'rt-0' })
    const manager = createTokenManager({ storage, fetch: slowFetch })
    const controller = new AbortController()
    const impatient = manager.getAccessToken(controller.signal)
    const patient = manager.getAccessToken()
    controller.abort()
    await expect(impatient).rejects.toMatchObject({ code: 'ABORTED' })
    release()
    const token = await patient
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
    expect(await storage.read()).toEqual({ accessToken: token, refreshToken: 'rt-1' })
    // The request itself was not tied to the caller's signal.
    expect(endpoint.fetch.mock.calls[0]![1]?.signal?.aborted).toBe(false)
  })

  it('re-reads an unparsable store under the lock, where the storage can move it aside', async () => {
    let locked = false
    const storage: TokenStorage = {
      location: '/home/me/creds.json',
      read: async () => {
        throw new StorageError(
          'STORAGE_ERROR',
          locked ? 'moved aside to creds.json.corrupt-1' : 'does not parse',
        )
      },
      write: async () => undefined,
      withLock: async (fn) => {
        locked = true
        try {
          return await fn()
        } finally {
          locked = false
        }
      },
    }
    const manager = createTokenManager({ storage, fetch: fakeTokenEndpoint().fetch })
    await expect(manager.getAccessToken()).rejects.toThrow('moved aside to creds.json.corrupt-1')
  })

  it('learns a wrong local clock from the token it receives, instead of refreshing on every call', async () => {
    const endpoint = fakeTokenEndpoint()
    const storage = memoryStorage({ accessToken: expiredJwt(), refreshToken: 'rt-0' })
    // The local clock runs four minutes fast: a 5-minute token looks nearly expired as soon as it arrives.
    const manager = createTokenManager({ storage, fetch: endpoint.fetch, now: () => Date.now() + 4 * 60_000 })
    const first = await manager.getAccessToken()
    expect(await manager.getAccessToken()).toBe(first)
    expect(await manager.getAccessToken()).toBe(first)
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
  })

  it('when every caller gives up while the lock is still awaited, no refresh token is spent', async () => {
    let grant!: () => void
    const granted = new Promise<void>((resolve) => {
      grant = resolve
    })
    let settled!: () => void
    const lockWorkDone = new Promise<void>((resolve) => {
      settled = resolve
    })
    const endpoint = fakeTokenEndpoint()
    const inner = memoryStorage({ accessToken: expiredJwt(), refreshToken: 'rt-0' })
    const storage: TokenStorage = {
      ...inner,
      withLock: async (fn) => {
        await granted // another program holds the lock
        try {
          return await inner.withLock(fn)
        } finally {
          settled()
        }
      },
    }
    const manager = createTokenManager({ storage, fetch: endpoint.fetch })
    const controller = new AbortController()
    const waiting = manager.getAccessToken(controller.signal)
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' })
    grant()
    await lockWorkDone
    expect(endpoint.fetch).not.toHaveBeenCalled()
    expect(await storage.read()).toMatchObject({ refreshToken: 'rt-0' })
  })

  it('after invalid_grant, does not send the dead refresh token again on the next call', async () => {
    const initial = { accessToken: expiredJwt(), refreshToken: 'rt-dead' }
    const { endpoint, manager } = setup(initial)
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'REAUTH_REQUIRED' })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'REAUTH_REQUIRED' })
    expect(endpoint.fetch).toHaveBeenCalledTimes(1)
  })

  it('after invalid_grant, uses a new pair the user puts in the store', async () => {
    const { endpoint, storage, manager } = setup({ accessToken: expiredJwt(), refreshToken: 'rt-dead' })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'REAUTH_REQUIRED' })
    await storage.write({ accessToken: expiredJwt(), refreshToken: 'rt-0' })
    await manager.getAccessToken()
    expect(endpoint.calls.map((body) => body.get('refresh_token'))).toEqual(['rt-dead', 'rt-0'])
  })
})
