/** When an `aac creds` command stops rather than lose something: exit 1, its message on stderr. */

import type { StoredTokens } from '@aac/core'
import { describePair, refreshTokenId } from './pair-facts.ts'
import { type Holding, samePair } from './snapshot.ts'

/**
 * A refusal that protects what a store holds (a pair that may still work, an entry that is not ours). Not one of
 * the core's errors: nothing failed, the user decides (`--force`).
 *
 * @example
 * throw new CredsRefusal('keychain entry "aac" › "work" already holds another token pair …')
 */
export class CredsRefusal extends Error {
  override readonly name = 'CredsRefusal'
}

/**
 * A store holding another pair, or something else, is replaced only with --force: nothing is lost unasked. A
 * pair whose refresh token the server is known to have spent (its refresh record says so) is no loss.
 */
export async function refuseOverwrite(
  holding: Holding,
  tokens: StoredTokens,
  where: string,
  force: boolean,
): Promise<void> {
  if (force || holding.kind === 'none') return
  if (holding.kind === 'pair') {
    const held = holding.tokens
    if (samePair(held, tokens) || held.refreshToken === tokens.refreshToken) return
    const record = held.meta?.refresh
    if (record?.state === 'spent' && record.tokenId === (await refreshTokenId(held.refreshToken))) return
    throw new CredsRefusal(
      `${where} already holds another token pair (${describePair(held)}). Replacing it would throw it away, and whether its refresh token still works cannot be known without spending it. Nothing was changed: move that pair elsewhere first, or pass --force to replace it.`,
    )
  }
  throw new CredsRefusal(
    `${where} holds something that is not a token pair. ${holding.why} Nothing was changed: look at it and delete it, or pass --force to replace it.`,
  )
}
