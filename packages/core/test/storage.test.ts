import { type ChildProcess, spawn } from 'node:child_process'
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, StorageError } from '../src/errors.ts'
import { acquireFileLock, inspectLock, removeAbandonedBreak } from '../src/storage/file/lock.ts'
import { inspect } from '../src/storage/file/lock-inspect.ts'
import { credsLockPath, fileStorage } from '../src/storage/file.ts'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const worker = fileURLToPath(new URL('./fixtures/lock-worker.ts', import.meta.url))
const posix = process.platform !== 'win32'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'aac-storage-'))
}

let dir: string
let creds: string
beforeEach(async () => {
  dir = await tempDir()
  creds = join(dir, 'creds.json')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const pair = { accessToken: 'access-1', refreshToken: 'refresh-1' }

describe('fileStorage', () => {
  it('writes the plain JSON that Alteryx examples read', async () => {
    await fileStorage({ path: creds }).write(pair)
    expect(await readFile(creds, 'utf8')).toBe(
      '{\n  "access_token": "access-1",\n  "refresh_token": "refresh-1"\n}\n',
    )
  })

  it.runIf(posix)('leaves creds.json readable by its owner only (0600)', async () => {
    await writeFile(creds, '{"access_token": "a", "refresh_token": "r"}', { mode: 0o644 })
    await fileStorage({ path: creds }).write(pair)
    expect((await stat(creds)).mode & 0o777).toBe(0o600)
  })

  it('keeps other top-level keys of an existing file', async () => {
    await writeFile(creds, JSON.stringify({ note: 'mine', access_token: 'old', refresh_token: 'old', n: 1 }))
    await fileStorage({ path: creds }).write(pair)
    expect(JSON.parse(await readFile(creds, 'utf8'))).toEqual({
      note: 'mine',
      access_token: 'access-1',
      refresh_token: 'refresh-1',
      n: 1,
    })
  })

  it('a pair written back as it was read leaves the file byte-identical, formatting and extra keys included', async () => {
    // Hand-written: one line, odd spacing, a key of the user's own. The token manager records a refresh before
    // sending it and, when the request provably never left, puts the pair back as it read it.
    const original = '{ "note":"mine",  "access_token": "access-0", "refresh_token": "refresh-0" }'
    await writeFile(creds, original)
    const storage = fileStorage({ path: creds })
    const asRead = await storage.read()
    const tokenId = '0123456789abcdef'
    await storage.write({
      ...asRead!,
      meta: { refresh: { state: 'sent', at: new Date().toISOString(), program: 'test', tokenId } },
    })
    expect(await readFile(creds, 'utf8')).not.toBe(original)
    await storage.write(asRead!)
    expect(await readFile(creds, 'utf8')).toBe(original)
  })

  it('keeps the pair\'s meta under one "aac" key, replaced wholesale, other keys kept', async () => {
    await writeFile(creds, JSON.stringify({ note: 'mine', access_token: 'old', refresh_token: 'old' }))
    const storage = fileStorage({ path: creds })
    const refresh = {
      at: '2025-01-31T12:00:00.000Z',
      program: 'aac token',
      pid: 1,
      host: 'box',
      state: 'sent',
      tokenId: 'abcd1234',
    } as const
    await storage.write({ ...pair, meta: { clockOffsetMs: -600_000, refresh } })
    expect(JSON.parse(await readFile(creds, 'utf8'))).toEqual({
      note: 'mine',
      access_token: 'access-1',
      refresh_token: 'refresh-1',
      aac: {
        clock_offset_ms: -600_000,
        refresh: {
          at: refresh.at,
          program: 'aac token',
          pid: 1,
          host: 'box',
          state: 'sent',
          token_id: 'abcd1234',
        },
      },
    })
    // Wholesale: a new meta does not inherit the old record.
    await storage.write({ ...pair, meta: { clockOffsetMs: 20 } })
    expect(JSON.parse(await readFile(creds, 'utf8')).aac).toEqual({ clock_offset_ms: 20 })
    await storage.write(pair)
    expect(JSON.parse(await readFile(creds, 'utf8'))).toEqual({
      note: 'mine',
      access_token: 'access-1',
      refresh_token: 'refresh-1',
    })
  })

  it('ignores a malformed "aac" value: the pair still reads, the bad parts are left out', async () => {
    const cases: Array<[unknown, unknown]> = [
      ['garbage', undefined],
      [[1, 2], undefined],
      [{ clock_offset_ms: 'soon' }, undefined],
      [
        { clock_offset_ms: 7, refresh: { at: 'x', program: 'p', state: 'exploded', token_id: 't' } },
        { clockOffsetMs: 7 },
      ],
      [
        { refresh: { at: 'x', program: 'p', state: 'sent', token_id: 't', pid: 'one' } },
        { refresh: { at: 'x', program: 'p', state: 'sent', tokenId: 't' } },
      ],
    ]
    for (const [aac, meta] of cases) {
      await writeFile(creds, JSON.stringify({ access_token: 'a', refresh_token: 'r', aac }))
      const read = await fileStorage({ path: creds }).read()
      expect(read).toEqual({ accessToken: 'a', refreshToken: 'r', ...(meta ? { meta } : {}) })
      if (!meta) expect(read && 'meta' in read).toBe(false)
    }
  })

  it('reads files with a BOM, CRLF line ends and surrounding whitespace', async () => {
    await writeFile(creds, '\uFEFF\r\n  {\r\n  "access_token": "a",\r\n  "refresh_token": "r"\r\n}\r\n\r\n')
    expect(await fileStorage({ path: creds }).read()).toEqual({ accessToken: 'a', refreshToken: 'r' })
  })

  it('reads UTF-16 files (Windows PowerShell 5 redirection)', async () => {
    const text = '\uFEFF{"access_token": "a", "refresh_token": "r"}\r\n'
    await writeFile(creds, Buffer.from(text, 'utf16le'))
    expect(await fileStorage({ path: creds }).read()).toEqual({ accessToken: 'a', refreshToken: 'r' })
  })

  it('reads a file that an in-place writer completes during the retries', async () => {
    await writeFile(creds, '{"access_tok')
    setTimeout(() => void writeFile(creds, '{"access_token": "a", "refresh_token": "r"}'), 20)
    expect(await fileStorage({ path: creds }).read()).toEqual({ accessToken: 'a', refreshToken: 'r' })
  })

  it('reports a missing or empty field without moving the file, as loadConfig does', async () => {
    const content = '{"access_token": "", "note": "SECRET-VALUE"}'
    await writeFile(creds, content)
    const error = await fileStorage({ path: creds })
      .read()
      .catch((e: unknown) => e)
    // The user's file to fix, the same error as through loadConfig (see storage-codec.test.ts): exit 3, not 6.
    expect(error).toBeInstanceOf(ConfigError)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', file: creds })
    expect((error as Error).message).toContain('empty "access_token"')
    expect((error as Error).message).toContain('no "refresh_token"')
    expect((error as Error).message).not.toContain('SECRET')
    expect(await readFile(creds, 'utf8')).toBe(content)
  })

  it('reports the shipped placeholders as a ConfigError', async () => {
    await writeFile(
      creds,
      '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}',
    )
    const error = await fileStorage({ path: creds })
      .read()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', file: creds })
    expect((error as Error).message).toContain('OAuth 2.0 API Tokens')
  })

  it('outside the lock, throws on an unparsable file and leaves it in place', async () => {
    const garbage = '{"access_token": "SECRET-A"}{"refresh_token": "SECRET-R"}'
    await writeFile(creds, garbage)
    const error = await fileStorage({ path: creds })
      .read()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'StorageError', code: 'STORAGE_ERROR', location: creds })
    expect((error as Error).message).toContain(creds)
    expect((error as Error).message).not.toContain('SECRET')
    expect(await readFile(creds, 'utf8')).toBe(garbage)
  })

  it('under the lock, moves an unparsable file aside byte-identical and never deletes it', async () => {
    const garbage = Buffer.from('{"access_token": "SECRET-A"}\n{"refresh_token": "SECRET-R", \x00\xff')
    await writeFile(creds, garbage)
    const storage = fileStorage({ path: creds })
    const error = await storage.withLock(() => storage.read()).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'StorageError', code: 'STORAGE_ERROR', location: creds })
    const files = await readdir(dir)
    const aside = files.find((f) => f.startsWith('creds.json.corrupt-'))
    expect(aside).toMatch(/^creds\.json\.corrupt-\d{4}-\d\d-\d\dT\d{6}\.\d{3}Z$/)
    expect(files).not.toContain('creds.json')
    expect(await readFile(join(dir, aside!))).toEqual(garbage)
    const message = (error as Error).message
    expect(message).toContain(creds)
    expect(message).toContain(join(dir, aside!))
    expect(message).not.toContain('SECRET')
    // The user (or a new pair) can now be put in place as usual.
    await storage.write(pair)
    expect(await storage.read()).toEqual(pair)
  })

  it('leaves no temp files behind', async () => {
    const storage = fileStorage({ path: creds })
    for (let i = 0; i < 20; i++)
      await storage.withLock(() => storage.write({ ...pair, accessToken: `a${i}` }))
    expect(await readdir(dir)).toEqual(['creds.json'])
  })

  it('refuses to write an empty token and leaves the file unchanged', async () => {
    const storage = fileStorage({ path: creds })
    await storage.write(pair)
    const before = await readFile(creds, 'utf8')
    await expect(storage.write({ accessToken: '', refreshToken: 'r' })).rejects.toMatchObject({
      code: 'STORAGE_ERROR',
    })
    expect(await readFile(creds, 'utf8')).toBe(before)
    expect(await readdir(dir)).toEqual(['creds.json'])
  })

  it('reports a folder it cannot write to as a StorageError naming the file', async () => {
    const storage = fileStorage({ path: join(dir, 'missing', 'creds.json') })
    const error = await storage.write(pair).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'StorageError', code: 'STORAGE_ERROR' })
    expect((error as Error).message).toContain(join(dir, 'missing', 'creds.json'))
  })

  it.runIf(posix)('writes through a symlinked creds.json, keeping the link', async () => {
    const real = join(dir, 'real.json')
    await writeFile(real, '{}')
    await symlink(real, creds)
    await fileStorage({ path: creds }).write(pair)
    expect((await stat(real)).isFile()).toBe(true)
    expect(JSON.parse(await readFile(real, 'utf8'))).toEqual({
      access_token: 'access-1',
      refresh_token: 'refresh-1',
    })
    expect((await readdir(dir)).sort()).toEqual(['creds.json', 'real.json'])
  })

  it.runIf(posix)('writes through a dangling symlink: creates its target, keeps the link', async () => {
    const real = join(dir, 'real.json')
    await symlink(real, creds)
    await fileStorage({ path: creds }).write(pair)
    expect((await lstat(creds)).isSymbolicLink()).toBe(true)
    expect(await fileStorage({ path: real }).read()).toEqual(pair)
  })

  it.runIf(posix)(
    'under the lock, moves a corrupt symlinked file aside beside its target, keeping the link',
    async () => {
      const home = join(dir, 'home')
      await mkdir(home)
      const real = join(home, 'creds.json')
      await writeFile(real, '{"access_token": "SECRET-A",')
      await symlink(real, creds)
      const storage = fileStorage({ path: creds })
      const error = await storage.withLock(() => storage.read()).catch((e: unknown) => e)
      const aside = (await readdir(home)).find((f) => f.startsWith('creds.json.corrupt-'))
      expect(aside).toBeDefined()
      expect(error).toMatchObject({ name: 'StorageError', code: 'STORAGE_ERROR', location: creds })
      expect((error as Error).message).toContain(creds)
      expect((error as Error).message).toContain(join(home, aside!))
      expect((await lstat(creds)).isSymbolicLink()).toBe(true)
      // Every program sees the file gone, through the link or not; the next write through the link recreates it.
      expect(await fileStorage({ path: real }).read()).toBeUndefined()
      await storage.write(pair)
      expect(await fileStorage({ path: real }).read()).toEqual(pair)
    },
  )

  it('saves a recovery pair beside creds.json, owner-only, in the creds.json format', async () => {
    const storage = fileStorage({ path: creds })
    const saved = await storage.saveRecovery(pair)
    expect(saved.startsWith(`${creds}.recovered-`)).toBe(true)
    expect(await fileStorage({ path: saved }).read()).toEqual(pair)
    if (posix) expect((await stat(saved)).mode & 0o777).toBe(0o600)
    // A second recovery in the same millisecond must not replace the first.
    const again = await storage.saveRecovery({ accessToken: 'x', refreshToken: 'y' })
    expect(again).not.toBe(saved)
    expect(await fileStorage({ path: saved }).read()).toEqual(pair)
  })

  it('falls back to the temp folder when the recovery file cannot go beside creds.json', async () => {
    const storage = fileStorage({ path: join(dir, 'missing', 'creds.json') })
    const saved = await storage.saveRecovery(pair)
    try {
      expect(saved.startsWith(tmpdir())).toBe(true)
      expect(await fileStorage({ path: saved }).read()).toEqual(pair)
    } finally {
      await rm(saved, { force: true })
    }
  })
})

describe.runIf(posix)('fileStorage through a symbolic link', () => {
  /** `repo/creds.json → home/creds.json`, as `ln -s ~/.aac/creds.json repo/creds.json` makes. */
  async function linked(): Promise<{ link: string; target: string; home: string }> {
    const home = join(dir, 'home')
    const repo = join(dir, 'repo')
    await mkdir(home)
    await mkdir(repo)
    const target = join(home, 'creds.json')
    await writeFile(target, JSON.stringify({ access_token: 'a', refresh_token: 'r' }))
    const link = join(repo, 'creds.json')
    await symlink(target, link)
    return { link, target, home: await realpath(home) }
  }

  it('locks beside the target, so the link and the target exclude each other', async () => {
    const { link, target, home } = await linked()
    const viaLink = fileStorage({ path: link })
    const direct = fileStorage({ path: target, lockTimeoutMs: 300 })
    expect(await viaLink.resolveLockPath()).toBe(join(home, 'creds.json.lock'))
    expect(await direct.resolveLockPath()).toBe(join(home, 'creds.json.lock'))
    let release!: () => void
    const holding = new Promise<void>((resolve) => {
      release = resolve
    })
    let entered!: () => void
    const inside = new Promise<void>((resolve) => {
      entered = resolve
    })
    const held = viaLink.withLock(async () => {
      entered()
      await holding
    })
    await inside
    let ran = false
    const error = await direct
      .withLock(async () => {
        ran = true
      })
      .catch((e: unknown) => e)
    expect(ran).toBe(false)
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', location: join(home, 'creds.json.lock') })
    release()
    await held
    // And the other way round, once free.
    expect(await direct.withLock(async () => 'direct')).toBe('direct')
  })

  it('agrees on the lock before creds.json exists, through a linked folder or a dangling link', async () => {
    const home = join(dir, 'home')
    await mkdir(home)
    const expected = join(await realpath(home), 'creds.json.lock')
    await symlink(home, join(dir, 'linked-home'))
    expect(await credsLockPath(join(dir, 'linked-home', 'creds.json'))).toBe(expected)
    await symlink(join(home, 'creds.json'), join(dir, 'dangling.json'))
    expect(await credsLockPath(join(dir, 'dangling.json'))).toBe(expected)
    expect(await credsLockPath(join(home, 'creds.json'))).toBe(expected)
  })

  it('keeps an explicit lockPath as given', async () => {
    const { link } = await linked()
    const lockPath = join(dir, 'my.lock')
    const storage = fileStorage({ path: link, lockPath })
    expect(storage.lockPath).toBe(lockPath)
    expect(await storage.resolveLockPath()).toBe(lockPath)
  })
})

/** A lock record as another process would have written it. */
function record(fields: { pid?: number; host?: string; token?: string; time?: number } = {}): string {
  return JSON.stringify({ pid: process.pid, host: hostname(), token: 'other', time: Date.now(), ...fields })
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid!
}

async function ageFile(path: string, ageMs: number): Promise<void> {
  const then = new Date(Date.now() - ageMs)
  await utimes(path, then, then)
}

describe('acquireFileLock', () => {
  it('publishes an owner record and removes it on release', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    const lock = await acquireFileLock(lockPath)
    const owner = JSON.parse(await readFile(lockPath, 'utf8'))
    expect(owner).toMatchObject({ pid: process.pid, host: hostname(), token: lock.token })
    expect(typeof owner.time).toBe('number')
    expect(await lock.stillHeld()).toBe(true)
    await lock.release()
    expect(await lock.stillHeld()).toBe(false)
    expect(await readdir(dir)).toEqual([])
    await lock.release()
  })

  it('times out, instead of spinning, when a dangling symbolic link sits at the lock path', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    await symlink(join(dir, 'nowhere'), lockPath)
    const error = await acquireFileLock(lockPath, { timeoutMs: 300 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', location: lockPath })
    expect((error as Error).message).toMatch(/dangling symbolic link.*delete .*creds\.json\.lock/)
  })

  it('times out on a lock held by a live process, naming the lock file and the holder', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    await writeFile(lockPath, record({ pid: process.pid }))
    const error = await acquireFileLock(lockPath, { timeoutMs: 300 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', location: lockPath })
    const message = (error as Error).message
    expect(message).toContain(lockPath)
    expect(message).toContain(`process ${process.pid}`)
    expect(message).toContain(`If no aac program is running, delete ${lockPath}`)
    // The live holder's lock is untouched.
    expect(JSON.parse(await readFile(lockPath, 'utf8')).token).toBe('other')
  })

  it('takes over a lock whose owner on this host is dead', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    await writeFile(lockPath, record({ pid: await deadPid() }))
    const lock = await acquireFileLock(lockPath, { timeoutMs: 2_000 })
    expect(JSON.parse(await readFile(lockPath, 'utf8')).token).toBe(lock.token)
    await lock.release()
  })

  it('takes over a lock older than staleMs even if its owner looks alive', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    await writeFile(lockPath, record({ time: Date.now() - 10_000 }))
    await ageFile(lockPath, 10_000)
    const lock = await acquireFileLock(lockPath, { timeoutMs: 2_000, staleMs: 5_000 })
    await lock.release()
  })

  it('respects a fresh lock from another host, whose pid it cannot check', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    await writeFile(lockPath, record({ pid: await deadPid(), host: 'elsewhere.example' }))
    const error = await acquireFileLock(lockPath, { timeoutMs: 300 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT' })
    expect((error as Error).message).toContain('host elsewhere.example')
  })

  it('takes over garbage only once it is older than a short grace', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    await writeFile(lockPath, 'not a lock record')
    await expect(acquireFileLock(lockPath, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'LOCK_TIMEOUT',
    })
    await ageFile(lockPath, 10_000)
    const lock = await acquireFileLock(lockPath, { timeoutMs: 2_000 })
    await lock.release()
  })

  it('removes a .break file abandoned by a crashed breaker', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    await writeFile(lockPath, record({ pid: await deadPid() }))
    await writeFile(`${lockPath}.break`, record({ pid: await deadPid(), time: Date.now() - 60_000 }))
    await ageFile(`${lockPath}.break`, 60_000)
    const lock = await acquireFileLock(lockPath, { timeoutMs: 3_000 })
    await lock.release()
    expect(await readdir(dir)).toEqual([])
  })

  it('removes an abandoned .break only if it is still the very file judged abandoned', async () => {
    const breakPath = join(dir, 'creds.json.lock.break')
    await writeFile(breakPath, record({ pid: await deadPid(), token: 'old', time: Date.now() - 60_000 }))
    await ageFile(breakPath, 60_000)
    const judged = await inspect(breakPath)
    if (judged.kind !== 'held') throw new Error('the .break file should be there')
    // Between the judging and the removal, another contender removed it and a live breaker made a fresh one.
    const fresh = record({ token: 'fresh' })
    await rm(breakPath)
    await writeFile(breakPath, fresh)
    expect(await removeAbandonedBreak(breakPath, judged)).toBe(false)
    expect(await readFile(breakPath, 'utf8')).toBe(fresh)
    // The fresh one is not abandoned under its own judging either; the old one, still there, goes.
    const again = await inspect(breakPath)
    if (again.kind !== 'held') throw new Error('the .break file should be there')
    expect(await removeAbandonedBreak(breakPath, again)).toBe(false)
    await writeFile(breakPath, record({ pid: await deadPid(), token: 'old', time: Date.now() - 60_000 }))
    await ageFile(breakPath, 60_000)
    const old = await inspect(breakPath)
    if (old.kind !== 'held') throw new Error('the .break file should be there')
    expect(await removeAbandonedBreak(breakPath, old)).toBe(true)
    expect(await readdir(dir)).toEqual([])
  })

  it('does not release a lock that someone else now holds', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    const lock = await acquireFileLock(lockPath)
    // As if another program had judged our lock stale and taken it over.
    const theirs = record({ token: 'theirs' })
    await writeFile(lockPath, theirs)
    expect(await lock.stillHeld()).toBe(false)
    await lock.release()
    expect(await readFile(lockPath, 'utf8')).toBe(theirs)
  })

  it('stops waiting when the signal aborts', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    await writeFile(lockPath, record())
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    await expect(
      acquireFileLock(lockPath, { timeoutMs: 10_000, signal: controller.signal }),
    ).rejects.toMatchObject({
      // ABORTED has its own class: nothing was too slow.
      name: 'AbortedError',
      code: 'ABORTED',
    })
    await expect(acquireFileLock(lockPath, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    })
    const reason = new Error('shutting down')
    await expect(acquireFileLock(lockPath, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
  })

  it('also stops a caller queued behind another in this process', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    const first = await acquireFileLock(lockPath)
    const controller = new AbortController()
    const queued = acquireFileLock(lockPath, { signal: controller.signal })
    const next = acquireFileLock(lockPath, { timeoutMs: 5_000 })
    controller.abort()
    await expect(queued).rejects.toMatchObject({ code: 'ABORTED' })
    await first.release()
    // The aborted caller left the queue without jamming it.
    await (await next).release()
  })

  it('serializes many callers in this process and names this program when they wait too long', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    let inside = 0
    let overlaps = 0
    await Promise.all(
      Array.from({ length: 300 }, async () => {
        const lock = await acquireFileLock(lockPath)
        if (++inside > 1) overlaps++
        await Promise.resolve()
        inside--
        await lock.release()
      }),
    )
    expect(overlaps).toBe(0)
    const outer = await acquireFileLock(lockPath)
    const error = await acquireFileLock(lockPath, { timeoutMs: 100 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', location: lockPath })
    expect((error as Error).message).toContain('this same program')
    await outer.release()
    expect(await readdir(dir)).toEqual([])
  })

  it('names the other program, not this one, when a queued caller times out behind it', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    await writeFile(lockPath, record({ pid: process.ppid }))
    const errors = await Promise.all(
      [0, 1, 2].map(() => acquireFileLock(lockPath, { timeoutMs: 300 }).catch((e: unknown) => e)),
    )
    for (const error of errors) {
      expect(error).toMatchObject({ code: 'LOCK_TIMEOUT' })
      expect((error as Error).message).toContain(`process ${process.ppid}`)
    }
  })
})

describe('inspectLock', () => {
  it('judges a lock as acquireFileLock does, without touching it', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    expect(await inspectLock(lockPath)).toEqual({ state: 'free', ageMs: 0 })

    const lock = await acquireFileLock(lockPath)
    expect(await inspectLock(lockPath)).toMatchObject({
      state: 'held',
      local: true,
      owner: { pid: process.pid, token: lock.token },
    })
    await lock.release()

    const dead = record({ pid: await deadPid() })
    await writeFile(lockPath, dead)
    expect(await inspectLock(lockPath)).toMatchObject({ state: 'stale', reason: 'owner dead', local: true })

    // A live owner on this host past staleMs: acquireFileLock takes it over, so it is stale, not held.
    await writeFile(lockPath, record({ time: Date.now() - 90_000 }))
    await ageFile(lockPath, 90_000)
    const expired = await inspectLock(lockPath)
    expect(expired).toMatchObject({ state: 'stale', reason: 'expired', local: true })
    expect(expired.ageMs).toBeGreaterThanOrEqual(90_000)
    expect(await inspectLock(lockPath, { staleMs: 120_000 })).toMatchObject({ state: 'held' })

    await writeFile(lockPath, record({ host: 'elsewhere.example', pid: await deadPid() }))
    expect(await inspectLock(lockPath)).toMatchObject({ state: 'held', local: false })

    await writeFile(lockPath, 'not a lock record')
    expect(await inspectLock(lockPath)).toMatchObject({ state: 'held' })
    await ageFile(lockPath, 10_000)
    expect(await inspectLock(lockPath)).toMatchObject({ state: 'stale', reason: 'unparsable' })

    // Looking never changed anything.
    expect(await readFile(lockPath, 'utf8')).toBe('not a lock record')
  })
})

// ---------------------------------------------------------------------------------------------------------
// Across processes: real children running the library through tsx.

interface Child {
  process: ChildProcess
  stdout: string
  stderr: string
  exited: Promise<number | null>
}

function startWorker(...args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', worker, ...args], { cwd: repoRoot })
  const child: Child = {
    process: proc,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))),
  }
  proc.stdout!.on('data', (chunk: Buffer) => {
    child.stdout += chunk.toString()
  })
  proc.stderr!.on('data', (chunk: Buffer) => {
    child.stderr += chunk.toString()
  })
  return child
}

async function waitForOutput(child: Child, line: string): Promise<void> {
  while (!child.stdout.split('\n').includes(line)) {
    if (child.process.exitCode !== null) {
      throw new Error(`worker exited ${child.process.exitCode} before "${line}": ${child.stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function expectClean(children: Child[]): Promise<void> {
  const codes = await Promise.all(children.map((c) => c.exited))
  for (const [i, code] of codes.entries()) {
    expect(children[i]!.stderr, `worker ${i} stderr`).not.toContain('OVERLAP')
    expect(code, `worker ${i} exit code; stderr: ${children[i]!.stderr}`).toBe(0)
  }
}

async function killHolder(lockPath: string): Promise<void> {
  const holder = startWorker('hold', lockPath)
  await waitForOutput(holder, 'locked')
  holder.process.kill('SIGKILL')
  // Until it is reaped, a killed process still answers kill(pid, 0).
  await holder.exited
}

describe('across processes', () => {
  const spawned: Child[] = []
  afterEach(() => {
    for (const child of spawned.splice(0)) if (child.process.exitCode === null) child.process.kill('SIGKILL')
  })

  it('6 processes x 30 locked read-increment-write cycles count exactly', { timeout: 120_000 }, async () => {
    await fileStorage({ path: creds }).write({ accessToken: 'count-0', refreshToken: 'r' })
    const go = join(dir, 'go')
    const children = Array.from({ length: 6 }, () => startWorker('count', creds, '30', go))
    spawned.push(...children)
    for (const child of children) await waitForOutput(child, 'ready')
    await writeFile(go, '')
    await expectClean(children)
    expect((await fileStorage({ path: creds }).read())?.accessToken).toBe('count-180')
  })

  it('a lock held by a live process times out; once that process is killed, the lock is taken over', {
    timeout: 60_000,
  }, async () => {
    const lockPath = `${creds}.lock`
    const holder = startWorker('hold', lockPath)
    spawned.push(holder)
    await waitForOutput(holder, 'locked')
    const error = await acquireFileLock(lockPath, { timeoutMs: 500 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', location: lockPath })
    expect((error as Error).message).toContain(`process ${holder.process.pid}`)
    holder.process.kill('SIGKILL')
    await holder.exited
    const lock = await acquireFileLock(lockPath, { timeoutMs: 2_000 })
    expect(await lock.stillHeld()).toBe(true)
    await lock.release()
  })

  it('contenders racing for a dead holder’s lock never hold it two at a time', {
    timeout: 180_000,
  }, async () => {
    const rounds = 3
    const contenders = 5
    const cycles = 3
    await fileStorage({ path: creds }).write({ accessToken: 'count-0', refreshToken: 'r' })
    for (let round = 0; round < rounds; round++) {
      await killHolder(`${creds}.lock`)
      const go = join(dir, `go-${round}`)
      const children = Array.from({ length: contenders }, () =>
        startWorker('count', creds, String(cycles), go),
      )
      spawned.push(...children)
      for (const child of children) await waitForOutput(child, 'ready')
      await writeFile(go, '')
      await expectClean(children)
    }
    const expected = rounds * contenders * cycles
    expect((await fileStorage({ path: creds }).read())?.accessToken).toBe(`count-${expected}`)
    expect((await readdir(dir)).filter((f) => !f.startsWith('go-')).sort()).toEqual(['creds.json'])
  })
})
