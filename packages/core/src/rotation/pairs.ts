/**
 * Reading pairs and judging them: decoded and recorded (`decodePair`), fresh enough to use (`usable`), the one to
 * trust between the store and memory (`newest`), taken into use (`adopt`).
 */

import { ConfigError } from '../errors.ts'
import { decodeAccessToken, isFresh } from '../jwt.ts'
import { apiTokensPage } from '../regions.ts'
import { accessTokenProblem, pairConfigError } from '../storage/pair-codec.ts'
import type { StoredTokens } from '../storage/types.ts'
import type { LoadedPair, RotationContext } from './context.ts'

/** Decodes a pair and records what it teaches: its tokens (for redaction) and the stored clock offset. */
export function decodePair(ctx: RotationContext, tokens: StoredTokens): LoadedPair {
  const decoded = decodeAccessToken(tokens.accessToken)
  if (!decoded.ok) {
    // The same words as loadConfig's for the same bad file: one codec says what is wrong with a pair.
    const { location } = ctx.storage
    throw pairConfigError(accessTokenProblem(tokens.accessToken, location, ctx.settings.region)!, location)
  }
  ctx.state.seen.add(tokens.accessToken)
  ctx.state.seen.add(tokens.refreshToken)
  const stored = tokens.meta?.clockOffsetMs
  if (typeof stored === 'number' && Number.isFinite(stored)) ctx.state.clockOffsetMs = stored
  return { tokens, claims: decoded.claims }
}

/** Fresh by the server's clock (as learnt), and not the token the API just rejected. */
export function usable(ctx: RotationContext, candidate: LoadedPair | undefined, rejected?: string): boolean {
  return (
    !!candidate &&
    candidate.tokens.accessToken !== rejected &&
    isFresh(candidate.claims, ctx.settings.now() + ctx.state.clockOffsetMs)
  )
}

/**
 * The pair to trust between the store and memory. When our own save failed, the store still holds a pair we
 * already rotated away from: its refresh token is dead and ours (in memory) is the newer one.
 */
export function newest(ctx: RotationContext, stored: LoadedPair): LoadedPair {
  const { current, spent } = ctx.state
  return current && spent.has(stored.tokens.refreshToken) && !spent.has(current.tokens.refreshToken)
    ? current
    : stored
}

export async function readStore(ctx: RotationContext): Promise<LoadedPair> {
  const tokens = await ctx.storage.read()
  if (!tokens) {
    const { location } = ctx.storage
    throw new ConfigError(
      'CONFIG_MISSING',
      location,
      `No tokens found in ${location}: generate a token pair at ${apiTokensPage(ctx.settings.region)} and store both tokens there.`,
    )
  }
  return decodePair(ctx, tokens)
}

/** Takes `next` into use and hands out its access token. */
export function adopt(ctx: RotationContext, next: LoadedPair, how: 'adopted' | 'refreshed'): string {
  const { current } = ctx.state
  if (how === 'adopted' && current && current.tokens.refreshToken !== next.tokens.refreshToken) {
    ctx.state.counters.adopted++
    ctx.log('token: using the pair another program rotated', { store: ctx.storage.location })
  }
  ctx.state.current = next
  return next.tokens.accessToken
}
