// The file lock's timing (from LOCK_TIMING), its age by two clocks, and what it leaves behind when a write fails.
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, realpath, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LOCK_MARGIN_MS, LOCK_TIMING, lockTiming } from '../src/lock-timing.ts'
import { acquireFileLock, inspectLock, LOCK_DEFAULTS } from '../src/storage/file/lock.ts'
import { fileStorage } from '../src/storage/file.ts'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const mountWorker = fileURLToPath(new URL('./fixtures/mount-worker.ts', import.meta.url))

let dir: string
let lockPath: string
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'aac-storage-lock-')))
  lockPath = join(dir, 'creds.json.lock')
})
afterEach(async () => {
  vi.useRealTimers()
  await rm(dir, { recursive: true, force: true })
})

/** A lock record of this live process under another token: never stale by its pid, only by its age. */
function liveRecord(time = Date.now()): string {
  return JSON.stringify({ pid: process.pid, host: hostname(), token: 'other', time, runtime: 'node' })
}

const realSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('lock timing comes from LOCK_TIMING', () => {
  it('the defaults keep the rule: wait ≥ budget + margin, stale age > budget + margin', () => {
    const { refreshBudgetMs } = LOCK_TIMING
    expect(LOCK_DEFAULTS.timeoutMs).toBe(LOCK_TIMING.waitMs)
    expect(LOCK_DEFAULTS.staleMs).toBe(LOCK_TIMING.staleMs)
    expect(LOCK_DEFAULTS.timeoutMs).toBeGreaterThanOrEqual(refreshBudgetMs + LOCK_MARGIN_MS)
    expect(LOCK_DEFAULTS.staleMs).toBeGreaterThan(refreshBudgetMs + LOCK_MARGIN_MS)
  })

  it('a waiter with timing derived from a budget outlasts a holder that uses the whole budget', async () => {
    const timing = lockTiming(300)
    const holder = await acquireFileLock(lockPath, { timeoutMs: timing.waitMs, staleMs: timing.staleMs })
    const started = Date.now()
    setTimeout(() => void holder.release(), timing.refreshBudgetMs + 100)
    const waiter = await acquireFileLock(lockPath, { timeoutMs: timing.waitMs, staleMs: timing.staleMs })
    expect(Date.now() - started).toBeGreaterThanOrEqual(timing.refreshBudgetMs)
    await waiter.release()
  })

  it('by default, a holder that keeps the lock longer than the old 30 s wait is waited for', async () => {
    // Only the clock is faked: the waiter's deadline and the lock's age move, the file system stays real.
    await writeFile(lockPath, liveRecord())
    vi.useFakeTimers({ toFake: ['Date'] })
    const storage = fileStorage({ path: join(dir, 'creds.json') })
    let settled = false
    const waiting = storage
      .withLock(async () => 'mine')
      .finally(() => {
        settled = true
      })
    await realSleep(100)
    vi.setSystemTime(Date.now() + 35_000)
    await realSleep(400)
    expect(settled).toBe(false)
    await rm(lockPath)
    expect(await waiting).toBe('mine')
  })

  it('by default, a waiter gives up after LOCK_TIMING.waitMs when live programs keep taking the lock', async () => {
    await writeFile(lockPath, liveRecord())
    vi.useFakeTimers({ toFake: ['Date'] })
    const waiting = acquireFileLock(lockPath).catch((e: unknown) => e)
    await realSleep(100)
    // Just before the deadline another live program (this test's pid) took the lock anew: it is young.
    const later = Date.now() + LOCK_TIMING.waitMs + 1_000
    vi.setSystemTime(later)
    await writeFile(lockPath, JSON.stringify({ ...JSON.parse(liveRecord(later)), token: 'next' }))
    await utimes(lockPath, later / 1000, later / 1000)
    const error = await waiting
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT' })
    expect((error as Error).message).toContain(`Timed out after ${LOCK_TIMING.waitMs / 1000} s`)
    expect((error as Error).message).toMatch(/That program is running/)
    expect(JSON.parse(await readFile(lockPath, 'utf8')).token).toBe('next')
  })
})

describe('a lock whose owner cannot be checked', () => {
  it('is waited for until it turns stale and then taken over, never given up on just before', async () => {
    // What a Deno program without --allow-sys leaves when it is killed: host unknown, so its pid says nothing.
    const record = {
      pid: 999_999,
      host: 'unknown',
      token: 'killed-deno',
      time: Date.now(),
      runtime: 'deno 2.9.6',
    }
    await writeFile(lockPath, JSON.stringify(record))
    vi.useFakeTimers({ toFake: ['Date'] })
    let settled = false
    const waiting = acquireFileLock(lockPath).finally(() => {
      settled = true
    })
    await realSleep(100)
    // Past the longest hold, not yet stale: still waiting.
    vi.setSystemTime(Date.now() + LOCK_TIMING.staleMs - 5_000)
    await realSleep(400)
    expect(settled).toBe(false)
    // Stale, and the waiter is still there to take it over.
    vi.setSystemTime(Date.now() + 6_000)
    const lock = await waiting
    expect(JSON.parse(await readFile(lockPath, 'utf8')).token).toBe(lock.token)
    await lock.release()
  })
})

describe('leftovers of the lock', () => {
  it('an owner record orphaned by a contender killed before linking it is removed once stale, a young one kept', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    const old = join(dir, '.creds.json.lock.0b1c2d3e-4f50-4162-8374-95a6b7c8d9e0.tmp')
    const young = join(dir, '.creds.json.lock.1b1c2d3e-4f50-4162-8374-95a6b7c8d9e0.tmp')
    const unrelated = join(dir, '.creds.json.lock.notes.tmp')
    for (const file of [old, young, unrelated]) await writeFile(file, '{}')
    const longAgo = new Date(Date.now() - LOCK_TIMING.staleMs - 60_000)
    await utimes(old, longAgo, longAgo)
    await utimes(unrelated, longAgo, longAgo)
    const lock = await acquireFileLock(lockPath)
    await lock.release()
    expect((await readdir(dir)).sort()).toEqual([
      '.creds.json.lock.1b1c2d3e-4f50-4162-8374-95a6b7c8d9e0.tmp',
      '.creds.json.lock.notes.tmp',
    ])
  })
})

describe('the age of a lock', () => {
  it('an owner time in the future is ignored: the file’s own mtime ages it, and it goes stale', async () => {
    await writeFile(lockPath, liveRecord(Date.now() + 3_600_000))
    const then = new Date(Date.now() - 120_000)
    await utimes(lockPath, then, then)
    const state = await inspectLock(lockPath)
    expect(state).toMatchObject({ state: 'stale', reason: 'expired' })
    expect(state.ageMs).toBeGreaterThanOrEqual(120_000)
    expect(state.futureMs).toBeGreaterThan(3_500_000)
    const lock = await acquireFileLock(lockPath, { timeoutMs: 2_000 })
    await lock.release()
  })

  it('a live lock whose owner time is in the future is still respected while its file is young', async () => {
    await writeFile(lockPath, liveRecord(Date.now() + 3_600_000))
    const error = await acquireFileLock(lockPath, { timeoutMs: 300 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT' })
    expect((error as Error).message).toMatch(/records a start 60 min in the future|records a start 3600 s in/)
  })

  it('when both clocks lie in the future, the age counts from when this process first saw the lock', async () => {
    const future = Date.now() + 3_600_000
    await writeFile(lockPath, liveRecord(future))
    await utimes(lockPath, new Date(future), new Date(future))
    vi.useFakeTimers({ toFake: ['Date'] })
    expect(await inspectLock(lockPath)).toMatchObject({ state: 'held' })
    vi.setSystemTime(Date.now() + LOCK_TIMING.staleMs + 5_000)
    const later = await inspectLock(lockPath)
    expect(later).toMatchObject({ state: 'stale', reason: 'expired' })
    expect(later.ageMs).toBeGreaterThanOrEqual(LOCK_TIMING.staleMs)
  })
})

// ---------------------------------------------------------------------------------------------------------
// Real mounts, as root in a private mount namespace: a file bind-mounted on its own, and a full disk.

const canMount = await (async () => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false
  const probe = spawn('unshare', ['-m', '--propagation', 'private', 'true'], { stdio: 'ignore' })
  return new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false))
    probe.once('exit', (code) => resolve(code === 0))
  })
})()

async function inNamespace(scenario: string): Promise<Record<string, unknown>> {
  const child = spawn(
    'unshare',
    ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', mountWorker, scenario, dir],
    { cwd: repoRoot },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  expect(code, stderr).toBe(0)
  return JSON.parse(stdout) as Record<string, unknown>
}

// They need root and unshare -m; CI provides both, so there they run (and fail if it does not).
describe.runIf(canMount || process.env['CI'] === 'true')('real mounts (root, unshare -m)', () => {
  it('a bind-mounted creds.json: found by the mount table, the write refused before anything changes', async () => {
    const result = await inNamespace('bind')
    expect(result['problems']).toEqual([expect.objectContaining({ kind: 'mount-point', blocksWrite: true })])
    expect(result['writeError']).toMatch(/is mounted on its own .*Mount the folder, not the file/)
    expect(result['unchanged']).toBe(true)
    expect(result['leftovers']).toEqual([])
  })

  it('a bind mount the mount table does not show: the rename’s EBUSY gives the same explanation', async () => {
    const result = await inNamespace('bind-no-proc')
    expect(result['problems']).toEqual([])
    expect(result['writeError']).toMatch(
      /renaming a new file over it failed with EBUSY: .*Mount the folder, not the file/,
    )
    expect(result['unchanged']).toBe(true)
    expect(result['leftovers']).toEqual([])
  })

  it('a full disk: ENOSPC named, creds.json unchanged, no temp file left by the write or by the lock', async () => {
    const result = await inNamespace('full')
    expect(result['writeError']).toMatch(/\(ENOSPC: the disk holding .* is full/)
    expect(result['lockError']).toMatch(
      /Could not create the lock file .*ENOSPC: the disk holding .* is full/,
    )
    expect(result['unchanged']).toBe(true)
    expect(result['leftovers']).toEqual(['creds.json', 'filler'])
  })
})
