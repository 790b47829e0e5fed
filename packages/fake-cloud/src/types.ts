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
}

/**
 * Counters since start or the last {@link FakeCloud.reset}, over both listeners when hosts are split. Control
 * routes and (with `cors`) CORS preflights are not counted.
 */
export interface FakeCloudStats {
  /** Every HTTP request received (API, token endpoint, unknown routes). */
  requests: number
  /** Requests other than the token endpoint. */
  apiRequests: number
  /** Successful refresh_token grants (including ones whose answer was dropped by a fault). */
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
 */
export type Fault =
  /**
   * Answer matching requests with `status` instead of handling them. `path` is an exact pathname (the token
   * endpoint is '/as/token'); without it any request matches. 429 comes with `x-retry-after` and
   * `x-rate-limit-*` headers like the real gateway.
   */
  | { kind: 'status'; status: number; path?: string; times?: number; retryAfterSeconds?: number }
  /** Wait `ms` before handling matching requests (then handle them normally). */
  | { kind: 'delay'; ms: number; path?: string; times?: number }
  /** The next API request(s) get a 401 even with a valid access token, as when a token is revoked mid-life. */
  | { kind: 'unauthorized'; times?: number }
  /**
   * The token endpoint rotates (old refresh token used, new pair live server-side) and then destroys the socket
   * without answering: the connection lost after the server rotated, the one failure users cannot repair.
   */
  | { kind: 'drop-after-rotate'; times?: number }

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
  /** Clears counters and queued faults; token families and jobs stay. */
  reset(): void
  /** Closes the listener(s) and every open socket. */
  stop(): Promise<void>
}
