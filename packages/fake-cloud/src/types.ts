/** Options of {@link startFakeCloud}. Every field has a default that mirrors the real service. */
export interface FakeCloudOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number
  /** Interface to bind; default '127.0.0.1'. */
  host?: string
  /**
   * Lifetime of minted access tokens; default 300 (5 minutes, like the real one). `iat` is the issuing time
   * rounded up to the whole second and `exp = iat + ttl`, so a token is accepted for at least `ttl` seconds
   * (less than `ttl + 1`) after it was minted: even a 1-second token is never dead on arrival.
   */
  accessTokenTtlSeconds?: number
  /** The API project id expected in `x-api-project-id`; default 'fake-project-id'. */
  projectId?: string
  /** The OAuth client id: the `client_id` claim of access tokens, required in the refresh body. */
  oauthClientId?: string
  /** How many people `/v4/people` lists; default 137 (not a multiple of any page size on purpose). */
  people?: number
  /**
   * Serve the two host families on two listeners, like the real service: `url` is the gateway (`/iam`,
   * `/plans`, `/scheduling`, `/billing`) and the token endpoint, {@link FakeCloud.directUrl} the direct host
   * (`/v4`, `/svc-workflow`). Each answers 404 RouteNotFoundException for the other's paths. Default false:
   * one listener serves everything, which is what a client configured from aac_url.txt alone expects, since the
   * core uses the same URL for both families on loopback.
   */
  splitHosts?: boolean
  /**
   * Send CORS headers (any origin) and answer preflights, so a page on another origin can call the fake
   * directly. Default false, like the real API, which sends none to localhost pages.
   */
  cors?: boolean
  /**
   * How far the server's clock is ahead of this machine's (negative: behind), in seconds; default 0. It shifts
   * the server's "now" everywhere: `iat`/`exp` of minted tokens, the bearer-token expiry check, job timestamps
   * and the HTTP `Date` header of every response, so a client learning the server clock from `Date` or from
   * `iat` sees the same skew. Change it later with {@link FakeCloud.setClockOffset}.
   */
  clockOffsetSeconds?: number
}

/**
 * Counters since start or the last {@link FakeCloud.reset}, over both listeners when hosts are split. Control
 * routes and (with `cors`) CORS preflights are not counted.
 */
export interface FakeCloudStats {
  /** Every HTTP request received (API, token endpoint, unknown routes): `tokenRequests + apiRequests`. */
  requests: number
  /** Requests other than the token endpoint. */
  apiRequests: number
  /**
   * Every request that reached the token endpoint (`/as/token` on the issuer's listener), whatever the answer:
   * refreshed, refused, redirected, delayed, dropped or answered by a fault. Lets a test assert that a client
   * sent no second refresh.
   */
  tokenRequests: number
  /**
   * Successful refresh_token grants: rotations, including ones whose answer a fault then dropped, delayed past
   * the client's patience or replaced with an error status (`afterRotate`).
   */
  refreshes: number
  /** Token requests answered 400 invalid_grant. */
  invalidGrants: number
  /** Refreshes with an already-used refresh token; each one revoked its family. */
  reuseDetected: number
  /** 401s answered to API requests. */
  unauthorized: number
  /** Requests per `METHOD /pathname`, e.g. `'GET /iam/v1/workspaces/current': 3`. */
  byRoute: Record<string, number>
}

/**
 * A scripted misbehaviour, queued with {@link FakeCloud.inject}. Faults are consumed in injection order by the
 * requests they match; `times` (default 1) says how many requests each one affects.
 *
 * Faults of different groups apply to the same request together: a `delay`, then a `status` or `redirect`
 * (which answer instead of the server); at the token endpoint, after a successful rotation, one access-token
 * fault (`same-access-token`, `expired-access-token`, `untrusted-iss`) and one answer fault
 * (`drop-after-rotate`, `late-after-rotate`, `status` with `afterRotate`), each the first of its group in
 * injection order. The after-rotation faults are consumed only by a request that rotated: a refused refresh
 * (e.g. `invalid_grant`) leaves them queued.
 */
export type Fault =
  /**
   * Answer matching requests with `status` (400-599) instead of handling them. `path` is an exact pathname (the
   * token endpoint is '/as/token'); without it any request matches. 429 comes with `x-retry-after` (from
   * `retryAfterSeconds`, default 1) and `x-rate-limit-*` headers like the real gateway; at the token endpoint
   * other statuses answer an OAuth error body (400 is `invalid_grant`).
   *
   * `afterRotate: true` (token endpoint only; `path`, if given, must be '/as/token'): the refresh is processed
   * and rotated first (old refresh token spent, new pair live server-side), then the status is answered instead
   * of the new pair, like a gateway's 502 after its backend rotated. Requests that do not rotate pass through.
   */
  | {
      kind: 'status'
      status: number
      path?: string
      times?: number
      retryAfterSeconds?: number
      afterRotate?: boolean
    }
  /** Wait `ms` before handling matching requests (then handle them normally). */
  | { kind: 'delay'; ms: number; path?: string; times?: number }
  /** The next API request(s) get a 401 even with a valid access token, as when a token is revoked mid-life. */
  | { kind: 'unauthorized'; times?: number }
  /**
   * The token endpoint rotates (old refresh token used, new pair live server-side) and then destroys the socket
   * without answering: the connection lost after the server rotated, the one failure users cannot repair.
   */
  | { kind: 'drop-after-rotate'; times?: number }
  /**
   * The token endpoint rotates, then holds the answer `ms` before sending it: a client that times out or is
   * killed meanwhile loses the only copy of the new pair. If the client has gone away when the time is up, the
   * answer is dropped; `stop()` ends the wait at once.
   */
  | { kind: 'late-after-rotate'; ms: number; times?: number }
  /**
   * The token endpoint rotates the refresh token normally (old one spent, new one live) but answers with the
   * access token the family had before this refresh, the very one the API just rejected, instead of a new one.
   */
  | { kind: 'same-access-token'; times?: number }
  /**
   * The token endpoint rotates normally (new refresh token live) but answers with an access token that is
   * already expired: issued an hour and the ttl ago, like `issueTokens({ expired: true })`. `expires_in` still
   * says the ttl, as a careless server would.
   */
  | { kind: 'expired-access-token'; times?: number }
  /**
   * The token endpoint rotates normally but the new access token's `iss` claim is `issuer` (an absolute http(s)
   * URL; default 'https://login.evil.example/as'): a client that trusts `iss` would post its next refresh token
   * there. The token is still signed by this fake, so its API accepts it.
   */
  | { kind: 'untrusted-iss'; issuer?: string; times?: number }
  /**
   * The token endpoint answers `status` (301, 302, 303, 307 or 308; default 307) with `Location: location` (an
   * absolute http(s) URL, e.g. another local port) without processing the request: nothing rotates. A client
   * that follows it carries the refresh token to a host nobody checked.
   */
  | { kind: 'redirect'; location: string; status?: 301 | 302 | 303 | 307 | 308; times?: number }

/** A token pair as the web UI's "Generate" button hands it out. */
export interface TokenPair {
  accessToken: string
  refreshToken: string
}

/** A running fake. */
export interface FakeCloud {
  /**
   * Base URL without a trailing slash, e.g. 'http://127.0.0.1:8787'. Serves the gateway paths and the token
   * endpoint, and the direct paths too unless `splitHosts`.
   */
  readonly url: string
  /** Base URL of the direct host (`/v4`, `/svc-workflow`): its own listener with `splitHosts`, else `url`. */
  readonly directUrl: string
  /** The `iss` claim of its access tokens: `${url}/as`, so the token endpoint is `${issuer}/token`. */
  readonly issuer: string
  /** The API project id it expects in `x-api-project-id`. */
  readonly projectId: string
  /** Mints a new token family. `expired: true` gives an access token already past `exp` but a live refresh token. */
  issueTokens(opts?: { expired?: boolean; ttlSeconds?: number }): TokenPair
  /** Writes aac_url.txt, client_id.txt and creds.json (a new token family) into `dir`, creating it. */
  writeConfig(dir: string, opts?: { expired?: boolean }): Promise<TokenPair>
  /** True if `rt` is the current, unused refresh token of a family that is not revoked. */
  isRefreshTokenValid(rt: string): boolean
  /** A snapshot of the counters. */
  stats(): FakeCloudStats
  /** Queues a fault. */
  inject(fault: Fault): void
  /**
   * Moves the server's clock to this machine's clock plus `seconds` (negative: behind) from now on; see
   * {@link FakeCloudOptions.clockOffsetSeconds}. Tokens already minted keep their `iat`/`exp`.
   */
  setClockOffset(seconds: number): void
  /** The current clock offset in seconds. */
  readonly clockOffsetSeconds: number
  /** Clears counters and queued faults; token families, jobs and the clock offset stay. */
  reset(): void
  /** Closes the listener(s) and every open socket. */
  stop(): Promise<void>
}
