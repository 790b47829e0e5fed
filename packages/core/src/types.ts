/** What the client needs to know about the user's Alteryx Cloud setup (the three files, parsed). */
export interface AacConfig {
  /** Gateway base URL from aac_url.txt, without a trailing slash: `https://api.us1.alteryxcloud.com`. */
  readonly apiUrl: string
  /** Direct host for `/v4` and `/svc-workflow`: the API host without `api.` (the same URL for loopback). */
  readonly directUrl: string
  /** The API project's Client ID (client_id.txt or api_project_id.txt), sent as `x-api-project-id`. */
  readonly projectId: string
  /** `us1`, `eu1`, `au1`… when the URL names one; used to point error messages at the right web pages. */
  readonly region: string | undefined
}

/**
 * Hands out access tokens. The token manager is one; tests and apps that get tokens elsewhere can pass their own.
 */
export interface AccessTokenSource {
  /** A token that is fresh by its `exp` (refreshing first if it is not). */
  getAccessToken(signal?: AbortSignal): Promise<string>
  /**
   * The API rejected `rejected` with a 401: return a different, fresh token, refreshing if nobody has yet.
   * Called at most once per request, so a 401 never loops.
   */
  renewAccessToken(rejected: string, signal?: AbortSignal): Promise<string>
  /**
   * Every token value this source has handed out or seen, so that errors and logs can redact them by value.
   * Optional: JWT-shaped values are redacted anyway.
   */
  secrets?(): readonly string[]
}

/** A `fetch`-compatible function (the global one, or one you inject: a proxy-aware fetch, msw, a test double). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/** Receives debug lines. Never passed a token. */
export type Logger = (message: string, details?: Record<string, unknown>) => void
