/**
 * The refresh token, spent only with `--refresh` (under the store's lock, like any refresh, through the store in
 * force): there is no way to test a single-use token without using it. Without it, the API calls use the stored
 * access token while it is fresh.
 */

import type { AacConfig, FetchLike } from '@aac/core'
import { apiErrorFromResponse, isFresh } from '@aac/core/diagnostics'
import { CREDS_FILE, fileStorage } from '@aac/core/fs'
import { cliTokenManager } from '../session.ts'
import { duration } from '../time.ts'
import { type Check, callSetup, OFFLINE, type TokenSource } from './check.ts'
import { failed, skipped } from './steps.ts'

export const refreshToken: Check = async ({ io, refresh, offline, credsPath, found }) => {
  const name = 'refresh token'
  const setup = callSetup(found)
  if (!setup) return { steps: [skipped(name, 'needs the files above to pass')] }
  if (!refresh) {
    const step = skipped(
      name,
      'not tested: that spends it. aac doctor --refresh does (safely, under the lock)',
    )
    if (!isFresh(setup.claims, Date.now())) return { steps: [step] }
    return { steps: [step], found: { tokenSource: storedTokenOnly(setup.tokens.accessToken, setup.config) } }
  }
  if (offline) return { steps: [skipped(name, OFFLINE)] }
  if (!found.credsWritable) {
    return {
      steps: [
        skipped(
          name,
          `not run: ${CREDS_FILE} cannot be written safely (see above), so the refresh would spend the refresh token and lose the new pair. Fix ${CREDS_FILE} first`,
        ),
      ],
    }
  }
  // The store in force, as every program would use it: its lock, its re-read under the lock, its save.
  const storage = found.store?.storage ?? fileStorage({ path: credsPath })
  const manager = cliTokenManager(io, storage, setup.config.region)
  try {
    await manager.refresh(io.signal)
  } catch (error) {
    return { steps: [failed(name, error)] }
  }
  const expiresAt = manager.state()?.expiresAt
  const valid = expiresAt ? `; new access token valid for ${duration(expiresAt.getTime() - Date.now())}` : ''
  return {
    steps: [
      {
        name,
        status: 'pass',
        detail: `works: rotated under the lock and saved to ${storage.location}${valid}`,
      },
    ],
    found: { tokenSource: { source: manager } },
  }
}

/**
 * The access token from the store, never refreshed: without --refresh the doctor must not spend the refresh
 * token, so a 401 ends the call with the core's UNAUTHORIZED error instead of a renewal. The fetch keeps a copy
 * of the 401 for it: the client has read the original by the time it asks for a renewal.
 */
function storedTokenOnly(accessToken: string, config: AacConfig): TokenSource & { fetch: FetchLike } {
  let rejected: Response | undefined
  return {
    fetch: async (input, init) => {
      const response = await fetch(input, init)
      if (response.status === 401) rejected = response.clone()
      return response
    },
    source: {
      getAccessToken: async () => accessToken,
      renewAccessToken: async () => {
        if (!rejected) throw new Error('renewAccessToken called without a 401')
        throw await apiErrorFromResponse(rejected, {
          method: 'GET',
          url: rejected.url,
          config,
          secrets: [accessToken],
        })
      },
    },
  }
}
