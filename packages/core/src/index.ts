/**
 * `@aac/core`: call the Alteryx Cloud REST APIs from any runtime that has fetch (Node, Deno, Bun, browsers),
 * with single-use refresh tokens rotated safely. Web APIs only: files live behind `@aac/core/fs`.
 *
 * @example
 * import { createClient, memoryStorage } from '@aac/core'
 *
 * const client = createClient({ config, storage: memoryStorage({ accessToken, refreshToken }) })
 * const workspace = await client.get('/iam/v1/workspaces/current')
 */

export {
  type AacResponse,
  type Client,
  type ClientBaseOptions,
  type ClientOptions,
  type ClientTokenOptions,
  createClient,
  type Query,
  type QueryValue,
  type RequestOptions,
  type RequestOptionsWithoutBody,
  type ResponseType,
  type RetryOptions,
} from './client.ts'
export {
  type ConfigFileNames,
  type ConfigTexts,
  DEFAULT_FILE_NAMES,
  parseApiUrl,
  parseConfig,
  parseCreds,
  parseProjectId,
} from './config.ts'
export {
  getCurrentPerson,
  getCurrentWorkspace,
  JobError,
  type JobInput,
  type JobProgress,
  type JobResult,
  type JobStatus,
  listPeople,
  type Person,
  type RunJobOptions,
  runJob,
  type Workspace,
  type WorkspaceTier,
} from './endpoints/index.ts'
export {
  AacError,
  type AacErrorCode,
  AbortedError,
  ApiError,
  AuthError,
  ConfigError,
  isAacError,
  isReauthRequired,
  NetworkError,
  RateLimitError,
  StorageError,
  TimeoutError,
} from './errors.ts'
export { type FormatErrorOptions, formatError } from './format-error.ts'
export { parseBodyText } from './http/body.ts'
export type { AccessTokenClaims } from './jwt.ts'
export {
  DEFAULT_REFRESH_BUDGET_MS,
  LOCK_MARGIN_MS,
  LOCK_TIMING,
  type LockTiming,
  lockTiming,
} from './lock-timing.ts'
export { type PageInfo, type PageSource, type PaginateOptions, paginate } from './paginate.ts'
export { redactText, redactValue } from './redact.ts'
export { apiProjectsPage, apiTokensPage } from './regions.ts'
export { memoryStorage } from './storage/memory.ts'
export type {
  PairMeta,
  RefreshRecord,
  StoredTokens,
  TokenStorage,
  WithLockOptions,
} from './storage/types.ts'
export {
  type IndexedDbArea,
  type IndexedDbAreaOptions,
  indexedDbArea,
  type WebLocks,
  type WebStorageArea,
  type WebStorageOptions,
  webStorage,
} from './storage/web.ts'
export {
  createTokenManager,
  type TokenManager,
  type TokenManagerOptions,
  type TokenManagerStats,
  type TokenState,
} from './token-manager.ts'
export type { AacConfig, AccessTokenSource, FetchLike, Logger } from './types.ts'
export { PACKAGE_NAME, VERSION } from './version.ts'
