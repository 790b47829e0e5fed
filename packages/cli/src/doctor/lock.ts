/**
 * Reading a lock file for the doctor: creds.json's, or the keychain's. The lock and its verdict are the core's
 * (`inspectLock` judges exactly as every program taking the lock does); this only explains it to a person: free,
 * in use right now, left behind by a crash, or held by a stuck program.
 */

import { lstat } from 'node:fs/promises'
import { LOCK_MARGIN_MS, LOCK_TIMING } from '@aac/core'
import { CREDS_FILE, credsLockPath, inspectLock, LOCK_DEFAULTS } from '@aac/core/fs'
import { EXIT } from '../exit-codes.ts'
import { duration } from '../time.ts'
import { type Check, usesCredsFile } from './check.ts'
import type { Step } from './steps.ts'
import { sharedStoreLock } from './store-lock.ts'

/**
 * No holder keeps the lock longer than this (LOCK_TIMING: the refresh budget plus a margin for its I/O), so a
 * lock held longer is no refresh still in progress.
 */
const LONGEST_HOLD_MS = LOCK_TIMING.refreshBudgetMs + LOCK_MARGIN_MS
/** The next program that wants the lock takes it over once it is this old (the default staleMs). */
const STALE_MS = LOCK_DEFAULTS.staleMs

/**
 * The lock of the store in force. creds.json's is beside it (beside its target, when it is a symbolic link); the
 * keychain's is the same kind of file, in the per-user state folder; Redis and PostgreSQL keep theirs on the
 * server (store-lock.ts).
 */
export const lockFile: Check = async (session) => {
  const { store } = session.found
  if (usesCredsFile(session.found))
    return { steps: [await checkLock(await credsLockPath(session.credsPath))] }
  if (!store) return { steps: [] }
  const lockPath = (store.storage as { lockPath?: unknown }).lockPath
  if (typeof lockPath === 'string') return { steps: [await checkLock(lockPath, store.storage.location)] }
  return { steps: [await sharedStoreLock(session, store)] }
}

/**
 * The verdict on a lock file, as every program taking it would judge it. `guards`: what it guards, for the fixes
 * (creds.json, or the keychain entry whose lock it is).
 */
export async function checkLock(lockPath: string, guards: string = CREDS_FILE): Promise<Step> {
  const name = 'lock file'
  // The toolkit's lock is a plain file; a symbolic link there (dangling or not) is someone else's.
  const isLink = await lstat(lockPath).then(
    (stats) => stats.isSymbolicLink(),
    () => false,
  )
  if (isLink) {
    return {
      name,
      status: 'fail',
      detail: `${lockPath} is a symbolic link`,
      fix: `The lock of ${guards} must be a plain file that aac programs create and delete: delete the link ${lockPath}.`,
      exit: EXIT.STORAGE,
    }
  }
  // A FIFO there would have hung every program (this one too) before they learnt to refuse it: they now stop at
  // once, so nothing works until it is gone. Looked at without opening it, as the lock itself does.
  for (const path of [lockPath, `${lockPath}.break`]) {
    const seen = await inspectLock(path, { staleMs: STALE_MS })
    if (seen.notRegular) {
      return {
        name,
        status: 'fail',
        detail: `${path} is ${seen.notRegular}`,
        fix: `aac programs take turns with ${guards} by creating and deleting a regular file at ${path}, and refuse anything else there: remove it (rm ${path}).`,
        exit: EXIT.STORAGE,
      }
    }
  }
  const lock = await inspectLock(lockPath, { staleMs: STALE_MS })
  if (lock.state === 'free') return { name, status: 'pass', detail: `free (${lockPath} does not exist)` }
  if (lock.unreadable) {
    return {
      name,
      status: 'warn',
      detail: `cannot read ${lockPath} (${lock.unreadable})`,
      fix: `Check the permissions of ${lockPath}: every program sharing ${guards} must be able to create and delete it.`,
    }
  }
  const { owner } = lock
  if (!owner) {
    return {
      name,
      status: 'warn',
      detail: `${lockPath} exists but was not written by this toolkit`,
      fix: `${lock.state === 'stale' ? 'It is taken over as soon as' : 'It is taken over a few seconds after'} a program needs the lock. If nothing else uses that name, delete ${lockPath}.`,
    }
  }
  const runtime = owner.runtime ? ` (${owner.runtime})` : ''
  const where = lock.local ? '' : ` on host ${owner.host}`
  const who = `pid ${owner.pid}${runtime}${where}`
  // An owner time in the future says nothing about the age: the file's own time was used instead.
  const age =
    lock.futureMs === undefined
      ? duration(lock.ageMs)
      : `${duration(lock.ageMs)} (by the file's time: it records a start ${duration(lock.futureMs)} in the future, so a clock is wrong)`
  if (lock.reason === 'owner dead') {
    return {
      name,
      status: 'warn',
      detail: `left behind by ${who}, which is no longer running`,
      fix: `Harmless: the next program that needs the lock takes it over. You may delete ${lockPath}.`,
    }
  }
  if (lock.state === 'stale') {
    const stop = lock.local
      ? ` If pid ${owner.pid} is stuck, stop it (kill ${owner.pid}).`
      : ` You may delete ${lockPath} if that host is not refreshing.`
    return {
      name,
      status: 'warn',
      detail: `held by ${who} for ${age}`,
      fix: `It is older than ${STALE_MS / 1000} s, so the next program that needs the lock takes it over.${stop}`,
    }
  }
  if (lock.ageMs <= LONGEST_HOLD_MS) {
    return {
      name,
      status: 'warn',
      detail: `held by ${who} for ${age}: a refresh is in progress`,
      fix: 'Nothing to do unless it stays: run aac doctor again in a minute.',
    }
  }
  return {
    name,
    status: 'fail',
    detail: `held by ${who} for ${age}`,
    fix: `${lockPath} has been held by ${who} for ${age}: a refresh takes seconds and never holds the lock longer than ${LONGEST_HOLD_MS / 1000} s, so that program seems stuck (other programs wait, and take the lock over once it is ${STALE_MS / 1000} s old). ${lock.local ? `Stop it (kill ${owner.pid})` : `Stop that program on ${owner.host}`}, or delete ${lockPath} if it is not refreshing.`,
    exit: EXIT.STORAGE,
  }
}
