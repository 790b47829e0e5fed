/**
 * Reading creds.json's lock file for the doctor. The lock itself is the core's (`@aac/core/fs`); this only
 * explains its state to a person: free, in use right now, left behind by a crash, or held by a stuck program.
 */

import { lstat, readFile, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { EXIT } from '../exit-codes.ts'
import { duration } from '../time.ts'
import type { Step } from './steps.ts'

/** Other programs give up waiting for the lock after this long (the file storage's default lockTimeoutMs). */
const WAIT_LIMIT_MS = 30_000
/** A lock older than this is taken over by the next program that wants it (the default staleMs). */
const STALE_MS = 60_000

interface Owner {
  pid?: unknown
  host?: unknown
  time?: unknown
  runtime?: unknown
}

export async function checkLock(lockPath: string, now = Date.now()): Promise<Step> {
  const name = 'lock file'
  let text: string
  let modified: number
  try {
    // The toolkit's lock is a plain file; a symbolic link there (dangling or not) is someone else's.
    if ((await lstat(lockPath)).isSymbolicLink()) {
      return {
        name,
        status: 'fail',
        detail: `${lockPath} is a symbolic link`,
        fix: `The lock beside creds.json must be a plain file that aac programs create and delete: delete the link ${lockPath}.`,
        exit: EXIT.STORAGE,
      }
    }
    text = await readFile(lockPath, 'utf8')
    modified = (await stat(lockPath)).mtimeMs
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ENOENT') return { name, status: 'pass', detail: `free (${lockPath} does not exist)` }
    return {
      name,
      status: 'warn',
      detail: `cannot read ${lockPath} (${code ?? String(error)})`,
      fix: `Check the permissions of ${lockPath}: every program sharing creds.json must be able to create and delete it.`,
    }
  }
  let owner: Owner | undefined
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'object' && value !== null) owner = value as Owner
  } catch {
    owner = undefined
  }
  if (!owner || typeof owner.pid !== 'number') {
    return {
      name,
      status: 'warn',
      detail: `${lockPath} exists but was not written by this toolkit`,
      fix: `It is taken over a few seconds after a program needs the lock. If nothing else uses that name, delete ${lockPath}.`,
    }
  }
  const pid = owner.pid
  const runtime = typeof owner.runtime === 'string' ? ` (${owner.runtime})` : ''
  const sameHost = owner.host === hostname()
  const where = sameHost ? '' : ` on host ${String(owner.host)}`
  const age = now - (typeof owner.time === 'number' ? owner.time : modified)
  const who = `pid ${pid}${runtime}${where}`
  if (sameHost && !isAlive(pid)) {
    return {
      name,
      status: 'warn',
      detail: `left behind by ${who}, which is no longer running`,
      fix: `Harmless: the next refresh takes it over. You may delete ${lockPath}.`,
    }
  }
  if (age <= WAIT_LIMIT_MS) {
    return {
      name,
      status: 'warn',
      detail: `held by ${who} for ${duration(age)}: a refresh is in progress`,
      fix: 'Nothing to do unless it stays: run aac doctor again in a minute.',
    }
  }
  if (!sameHost && age > STALE_MS) {
    return {
      name,
      status: 'warn',
      detail: `held by ${who} for ${duration(age)}`,
      fix: `It is older than ${STALE_MS / 1000} s, so the next refresh takes it over. You may delete ${lockPath} if that host is not refreshing.`,
    }
  }
  return {
    name,
    status: 'fail',
    detail: `held by ${who} for ${duration(age)}`,
    fix: `${lockPath} has been held by ${who} for ${duration(age)}: a refresh takes seconds, so that program seems stuck, and other programs give up waiting for the lock after ${WAIT_LIMIT_MS / 1000} s. ${sameHost ? `Stop it (kill ${pid})` : `Stop that program on ${String(owner.host)}`}, or delete ${lockPath} if it is not refreshing.`,
    exit: EXIT.STORAGE,
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: string }).code !== 'ESRCH'
  }
}
