/**
 * What the stores on a server (Redis, PostgreSQL) share about recovered pairs: which of two pairs is newer, and
 * the last resort when the server itself cannot keep a rotated pair (it is down): a file in the temp folder.
 */

import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageError } from '../../errors.ts'
import { decodeAccessToken } from '../../jwt.ts'
import { encodePairText } from '../pair-codec.ts'
import type { StoredTokens } from '../types.ts'

/**
 * True when `candidate` was issued after `current` (by the access tokens' `iat`, else `exp`): the pair to keep
 * of the two. A pair whose access token does not decode is never newer.
 *
 * @example
 * isNewerPair(recovered, stored) // true: adopt the recovered pair
 */
export function isNewerPair(candidate: StoredTokens, current: StoredTokens | undefined): boolean {
  const mine = decodeAccessToken(candidate.accessToken)
  if (!mine.ok) return false
  if (!current) return true
  if (candidate.refreshToken === current.refreshToken) return false
  const theirs = decodeAccessToken(current.accessToken)
  if (!theirs.ok) return true
  const a = mine.claims
  const b = theirs.claims
  if (typeof a.iat === 'number' && typeof b.iat === 'number') return a.iat > b.iat
  return a.exp > b.exp
}

/**
 * Writes `tokens` in creds.json's format to a new file of the temp folder, readable by this user only, and
 * returns its path: for a rotated pair that the server could not take. `label` names the store in the file
 * name (`redis-default`).
 *
 * @example
 * const path = await saveLocalRecovery(tokens, 'redis-default', 'redis://cache:6379 › aac:tokens:default')
 */
export async function saveLocalRecovery(
  tokens: StoredTokens,
  label: string,
  location: string,
): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  // A random part: the temp folder is shared with other users, who must not be able to guess the name.
  const path = join(
    tmpdir(),
    `aac-${label.replace(/[^\w.-]+/g, '_')}.recovered-${stamp}-${randomUUID().slice(0, 8)}.json`,
  )
  try {
    await writeFile(path, encodePairText(tokens), { mode: 0o600, flag: 'wx' })
    return path
  } catch (error) {
    throw new StorageError(
      'TOKENS_NOT_SAVED',
      `The new token pair could be saved neither to ${location} nor to ${path} (${(error as { code?: string }).code ?? 'error'}).`,
      { cause: error, location },
    )
  }
}
