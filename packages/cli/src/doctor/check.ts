/**
 * What the doctor's checks share: the session they run over, the findings each passes to the ones after it,
 * and the shape of a check. The runner is in checks.ts; the checks, by topic, beside this file.
 */

import type { AacConfig, AccessTokenSource, ApiError, FetchLike, StoredTokens, TokenStorage } from '@aac/core'
import type { AccessTokenClaims } from '@aac/core/diagnostics'
import { CREDS_FILE, type StoreSpec } from '@aac/core/fs'
import type { CliIo } from '../io.ts'
import type { Step } from './steps.ts'

export interface DoctorOptions {
  /** Spend the refresh token (under the lock) to prove it works, and test the API with the new token. */
  refresh?: boolean
  /** No request to Alteryx Cloud (the token store in use is still read: a Redis or PostgreSQL server too). */
  offline?: boolean
  /** Per request, in ms (default 10 s). */
  timeoutMs?: number
}

/** aac_url.txt, read: the gateway, the direct host and the region they name. */
export type ApiUrl = Pick<AacConfig, 'apiUrl' | 'directUrl' | 'region'>

/** The answer to a GET sent without a token (see network.ts). */
export interface Probe {
  status: number
  ms: number
  /** Server time minus local time, from the Date header. */
  skewMs: number | undefined
  /** For a 401: the core's reading of it (INVALID_API_KEY, MISSING_API_KEY or UNAUTHORIZED). */
  error?: ApiError
}

/** Where the API calls get their access token, and the fetch that goes with it (see refresh.ts). */
export interface TokenSource {
  source: AccessTokenSource
  fetch?: FetchLike
}

/** The token store in force (AAC_STORE, store.txt or creds.json by default), opened as loadConfig opens it. */
export interface SelectedStore {
  spec: StoreSpec
  storage: TokenStorage
}

/** What the checks established so far; each field is absent until the check that finds it passes. */
export interface Findings {
  /** aac_url.txt */
  url?: ApiUrl
  /** client_id.txt (or api_project_id.txt): the id, and which of the two files held it. */
  projectId?: string
  projectIdFile?: string
  /** The store the setting names (store.ts): closed by the runner once every check ran. */
  store?: SelectedStore
  /** What the claims checks need to be valid, in their skip reasons: `creds.json`, `token pair`, `token store`. */
  pairPlace?: string
  /** What a store other than creds.json was found to hold: a pair, none, or unknown (it could not be read). */
  storeHolds?: 'pair' | 'none' | 'unknown'
  /** creds.json holds a real pair although another store is in use (copies.ts): a second copy. */
  credsCopy?: boolean
  /** The pair in the store in use, and whether a refresh could save its new pair there. */
  tokens?: StoredTokens
  credsWritable?: boolean
  /** The access token's claims, when it decodes. */
  claims?: AccessTokenClaims
  /** The token endpoint, when the core trusts the issuer with the refresh token. */
  endpoint?: string
  /** The API host's answer to the probe, and whether every API host answered. */
  apiProbe?: Probe
  apiReachable?: boolean
  /** The gateway refused client_id.txt: the gateway call cannot pass. */
  projectIdRejected?: boolean
  /** A token the API calls may use without spending the refresh token (or after --refresh spent it). */
  tokenSource?: TokenSource
}

/** One run of `aac doctor`: its options, the config folder (found first) and what the checks found since. */
export interface DoctorSession {
  readonly io: CliIo
  /** --refresh */
  readonly refresh: boolean
  /** --offline */
  readonly offline: boolean
  /** Per request. */
  readonly timeoutMs: number
  /** The config folder: without it there is nothing else to check. */
  readonly dir: string
  /** creds.json in that folder. */
  readonly credsPath: string
  readonly found: Readonly<Findings>
}

/** A check's steps, in order, and what it established for the checks after it. */
export interface Outcome {
  steps: Step[]
  found?: Findings
}

/**
 * One check: it reads the session (what earlier checks found) and says what it saw. Checks never throw for a
 * problem they judge: that is a failed step, with the fix.
 *
 * @example
 * const region: Check = ({ found: { url } }) =>
 *   url ? { steps: [{ name: 'region', status: 'pass', detail: url.region ?? 'none' }] }
 *       : { steps: [skipped('region', 'needs a valid aac_url.txt')] }
 */
export type Check = (session: DoctorSession) => Outcome | Promise<Outcome>

/** Everything a real API call needs once the files passed: the config, the pair and its claims. */
export function callSetup(
  found: Readonly<Findings>,
): { config: AacConfig; tokens: StoredTokens; claims: AccessTokenClaims } | undefined {
  const { url, projectId, tokens, claims, endpoint } = found
  if (!url || !projectId || !tokens || !claims || !endpoint) return undefined
  return { config: { ...url, projectId }, tokens, claims }
}

/**
 * Whether the creds.json checks apply: the file store is in force. Without a store setting checked (a check run on
 * its own) they do, as before stores could be chosen; a setting that failed leaves no store to check.
 */
export function usesCredsFile(found: Readonly<Findings>): boolean {
  return found.store === undefined ? found.pairPlace === undefined : found.store.spec.kind === 'file'
}

/** What the claims checks name as the source of the pair: creds.json unless another store is in use. */
export function pairPlace(found: Readonly<Findings>): string {
  return found.pairPlace ?? CREDS_FILE
}

/** The detail of every network step with --offline; said once in the summary. */
export const OFFLINE = 'skipped (--offline)'
