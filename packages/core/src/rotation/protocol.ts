/**
 * The heart: the rotation protocol. Inside the store's lock, on the pair just re-read:
 *
 * 1. record in the store that this pair's refresh token is about to be sent (which also proves the store can be
 *    written while the token is still good);
 * 2. send the grant (exchange.ts: sent again only when it provably never arrived);
 * 3. act on what is known: save the new pair (the record goes with it); put the pair back exactly as read when
 *    nothing was sent; keep the record, marked uncertain, when that is not known; mark it spent when the server
 *    answered with nothing that could be kept; on invalid_grant, look once for a pair another program rotated.
 *
 * A record found at step 1 is an earlier refresh of this same pair that never saved its answer: the pair is tried
 * once; if the server refuses it, the error names that refresh, and the record says spent so nobody sends it again.
 */

import { StorageError } from '../errors.ts'
import { abortReason } from '../internal/abort.ts'
import { currentProgram, tokenId } from '../internal/program.ts'
import type { PairMeta, RefreshRecord, StoredTokens } from '../storage/types.ts'
import { tokenEndpoint } from '../token-endpoint.ts'
import type { LoadedPair, RotationContext } from './context.ts'
import { exchange } from './exchange.ts'
import {
  cannotRecordError,
  describe,
  knownDeadError,
  notSavedError,
  reauthError,
  uncertainError,
  unusableDetail,
  unusableError,
} from './messages.ts'
import { adopt, decodePair, newest, readStore, usable } from './pairs.ts'
import type { GrantedTokens } from './refresh-grant.ts'

/**
 * Makes sure a fresh token other than `rejected` is at hand: the store first, then a locked refresh. Takes no
 * caller signal: it is shared by every caller, and a token request once sent must finish and be saved (the
 * server may already have spent the old refresh token). `abandoned` fires when every caller has given up.
 */
export async function obtain(
  ctx: RotationContext,
  rejected: string | undefined,
  force: boolean,
  abandoned: AbortSignal,
): Promise<string> {
  if (!force) {
    // Cheap, lock-free read: another program may already have rotated.
    let stored: LoadedPair | undefined
    try {
      stored = newest(ctx, await readStore(ctx))
    } catch (error) {
      // An unparsable store is moved aside by the locked re-read below, which then explains what happened.
      if (!(error instanceof StorageError)) throw error
    }
    if (stored && usable(ctx, stored, rejected)) return adopt(ctx, stored, 'adopted')
  }
  return ctx.storage.withLock(
    async () => {
      // Everyone who asked has given up (Ctrl-C) while we waited for the lock: do not spend a refresh token
      // that nobody will use. Once the request is sent, it is too late to stop.
      if (abandoned.aborted) throw abortReason(abandoned)
      // Re-read under the lock: the pair may have changed while we waited for it.
      const locked = newest(ctx, await readStore(ctx))
      const { current } = ctx.state
      const changed = current !== undefined && locked.tokens.refreshToken !== current.tokens.refreshToken
      if (usable(ctx, locked, rejected) && (!force || changed)) return adopt(ctx, locked, 'adopted')
      // One deadline for every token request of this rotation: it bounds how long the lock is held.
      const next = await rotate(ctx, locked, AbortSignal.timeout(ctx.settings.refreshTimeoutMs), true)
      return adopt(ctx, next, 'refreshed')
    },
    { signal: abandoned },
  )
}

/** Spends `from`'s refresh token at most once. `mayFollow`: one more pair may be tried after invalid_grant. */
async function rotate(
  ctx: RotationContext,
  from: LoadedPair,
  deadline: AbortSignal,
  mayFollow: boolean,
): Promise<LoadedPair> {
  const { state, settings } = ctx
  const refreshToken = from.tokens.refreshToken
  const id = await tokenId(refreshToken)
  const earlier = recordFor(from.tokens, id)
  // Known dead here, or recorded as spent by the program that sent it: sending it again would look like reuse,
  // which makes servers of this kind revoke the whole token family.
  if (state.spent.has(refreshToken)) throw knownDeadError(ctx, from, earlier)
  if (earlier?.state === 'spent') {
    state.spent.add(refreshToken)
    throw reauthError(ctx, from, earlier)
  }
  const endpoint = tokenEndpoint(from.claims.iss, settings.trustedTokenHosts)

  // 1. The record, before anything is sent.
  const identity = currentProgram()
  const sent: RefreshRecord = {
    at: new Date(settings.now()).toISOString(),
    program: settings.programName ?? identity.program,
    pid: identity.pid,
    host: identity.host,
    state: 'sent',
    tokenId: id,
  }
  try {
    await ctx.storage.write(withRecord(from.tokens, sent))
  } catch (error) {
    throw cannotRecordError(ctx, error)
  }

  // 2. The grant.
  const outcome = await exchange(ctx, endpoint, from, deadline)

  // 3. What is known.
  switch (outcome.kind) {
    case 'tokens':
      return saveRotation(ctx, from, outcome.tokens)
    case 'not-sent':
      // Nothing was spent: the store goes back to exactly what it held.
      await restore(ctx, from)
      throw outcome.error
    case 'uncertain': {
      state.spent.add(refreshToken)
      state.uncertainHere.add(refreshToken)
      const recorded = await mark(ctx, from, { ...sent, state: 'uncertain', detail: outcome.detail })
      throw uncertainError(ctx, endpoint, outcome.detail, recorded, from)
    }
    case 'unusable': {
      state.spent.add(refreshToken)
      const recorded = await mark(ctx, from, { ...sent, state: 'spent', detail: unusableDetail(outcome.why) })
      throw unusableError(ctx, endpoint, outcome.why, recorded, from)
    }
    case 'invalid_grant': {
      state.spent.add(refreshToken)
      // A program that does not take our lock (Alteryx's own scripts) may have rotated meanwhile.
      const again = await readStore(ctx).catch(() => undefined)
      if (
        again &&
        again.tokens.refreshToken !== refreshToken &&
        !state.spent.has(again.tokens.refreshToken)
      ) {
        if (usable(ctx, again)) return again
        if (mayFollow) return rotate(ctx, again, deadline, false)
      }
      // The earlier refresh did reach the server: nobody may send this token again. Else nothing was learnt
      // that the file needs to keep: it goes back to exactly what it held.
      if (earlier)
        await mark(ctx, from, { ...earlier, state: 'spent', detail: earlier.detail ?? 'interrupted' })
      else await restore(ctx, from)
      throw reauthError(ctx, from, earlier)
    }
  }
}

/** The record in `tokens` about the refresh token whose id is `id`; a record about another token is void. */
function recordFor(tokens: StoredTokens, id: string): RefreshRecord | undefined {
  const record = tokens.meta?.refresh
  return record && record.tokenId === id ? record : undefined
}

/** `tokens` carrying `record` as its in-flight refresh, the rest of its metadata kept. */
function withRecord(tokens: StoredTokens, record: RefreshRecord): StoredTokens {
  return { ...tokens, meta: { ...tokens.meta, refresh: record } }
}

async function saveRotation(
  ctx: RotationContext,
  from: LoadedPair,
  granted: GrantedTokens,
): Promise<LoadedPair> {
  const { state } = ctx
  state.counters.refreshes++
  if (granted.clockOffsetMs !== 0 || state.clockOffsetMs !== 0) {
    ctx.log('token: the token server clock differs from ours', { offsetMs: granted.clockOffsetMs })
  }
  state.clockOffsetMs = granted.clockOffsetMs
  const meta: PairMeta | undefined =
    granted.clockOffsetMs !== 0 ? { clockOffsetMs: granted.clockOffsetMs } : undefined
  const next = decodePair(ctx, {
    accessToken: granted.accessToken,
    // A server may keep the refresh token unchanged and omit it: then the old one is still good.
    refreshToken: granted.refreshToken ?? from.tokens.refreshToken,
    ...(meta && { meta }),
  })
  if (next.tokens.refreshToken !== from.tokens.refreshToken) state.spent.add(from.tokens.refreshToken)
  await persist(ctx, next)
  ctx.log('token: refreshed and saved the rotated pair', {
    store: ctx.storage.location,
    expiresAt: new Date(next.claims.exp * 1000).toISOString(),
  })
  return next
}

/** Puts back the pair exactly as read (its own record, if it had one): nothing was spent. Best effort. */
function restore(ctx: RotationContext, from: LoadedPair): Promise<boolean> {
  return bestEffortWrite(ctx, from.tokens, 'could not remove the in-flight record')
}

/** Replaces the in-flight record with what is now known. False if the store could not be written. */
function mark(ctx: RotationContext, from: LoadedPair, record: RefreshRecord): Promise<boolean> {
  return bestEffortWrite(ctx, withRecord(from.tokens, record), 'could not record the outcome of the refresh')
}

/** A write that only helps (the pair itself is unchanged): a failure is logged, never thrown. */
async function bestEffortWrite(ctx: RotationContext, tokens: StoredTokens, failed: string): Promise<boolean> {
  try {
    await ctx.storage.write(tokens)
    return true
  } catch (error) {
    ctx.log(`token: ${failed}`, { store: ctx.storage.location, why: describe(error) })
    return false
  }
}

/** Saves the new pair; if the store refuses, the pair goes to the store's recovery place (or stays in memory). */
async function persist(ctx: RotationContext, next: LoadedPair): Promise<void> {
  try {
    await ctx.storage.write(next.tokens)
  } catch (error) {
    // The old refresh token is already dead: the new pair must not be lost with this error.
    ctx.state.current = next
    const where = ctx.storage.saveRecovery
      ? await ctx.storage.saveRecovery(next.tokens).catch(() => undefined)
      : undefined
    throw notSavedError(ctx, error, where)
  }
}
