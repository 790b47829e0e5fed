// An injected fetch that behaves like Alteryx's token endpoint: single-use refresh tokens, rotated on every
// refresh, `400 invalid_grant` for a spent one. Counts calls so the suites can assert "no request" and "one".
import type { FetchLike } from '../../packages/core/src/types.ts'
import { makeJwt } from '../../packages/core/test/tokens.ts'

export const ISSUER = 'http://127.0.0.1:9/as'

export interface FakeTokenEndpoint {
  fetch: FetchLike
  /** Refresh requests received. */
  readonly calls: number
  /** The one refresh token it would accept now. */
  readonly currentRefreshToken: string
}

export function fakeTokenEndpoint(initialRefreshToken = 'rt-0'): FakeTokenEndpoint {
  let current = initialRefreshToken
  let generation = 0
  let calls = 0
  const fetch: FetchLike = async (input, init) => {
    calls++
    if (String(input) !== `${ISSUER}/token`) return new Response('not found', { status: 404 })
    // Answer on a later turn, as a real server does, so concurrent callers really overlap.
    await new Promise((resolve) => setTimeout(resolve, 5))
    const body = new URLSearchParams(String(init?.body))
    if (body.get('grant_type') !== 'refresh_token' || body.get('refresh_token') !== current) {
      return Response.json({ error: 'invalid_grant', error_description: 'used or unknown' }, { status: 400 })
    }
    generation++
    current = `rt-${generation}`
    return Response.json({
      access_token: makeJwt({ iss: ISSUER, gen: generation }),
      refresh_token: current,
      token_type: 'Bearer',
      expires_in: 300,
    })
  }
  return {
    fetch,
    get calls() {
      return calls
    },
    get currentRefreshToken() {
      return current
    },
  }
}
