/**
 * What the stores that are not a file the user edits (the keychain, Redis, PostgreSQL) say about filling them:
 * their value is written by `aac creds`, never pasted. One wording for their messages and their `newPairHint`.
 */

import { StorageError } from '../../errors.ts'
import { decodePairText, PAIR_SHAPE } from '../pair-codec.ts'
import type { StoredTokens } from '../types.ts'

/** How a new pair gets into such a store: the `newPairHint` of the keychain, Redis and PostgreSQL stores. */
export const IMPORT_PAIR_HINT =
  'store it with `aac creds import` (from stdin or environment variables, with AAC_STORE naming this store), or move one there with `aac creds move --to <store>`'

/** The pair codec's reading of a stored value, its problems as StorageErrors naming `location`. */
export function parseStoredPair(text: string, location: string, fix = IMPORT_PAIR_HINT): StoredTokens {
  const read = decodePairText(text, { where: location, fix })
  if (read.ok) return read.tokens
  if (read.problem.kind === 'not-json') {
    throw new StorageError(
      'STORAGE_ERROR',
      `${location} does not hold valid JSON: ${fix}; it must look like ${PAIR_SHAPE}.`,
      { location },
    )
  }
  throw new StorageError('STORAGE_ERROR', read.problem.message, { location })
}
