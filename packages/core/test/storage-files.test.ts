// What sits at creds.json's name, and what is left beside it: FIFOs, hard links, mounts, dangling links, error
// bodies, recovery and orphaned temp files. All in temp folders; the repo's own creds.json is never touched.
import { execFileSync, spawnSync } from 'node:child_process'
import type { Stats } from 'node:fs'
import {
  link,
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
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, StorageError } from '../src/errors.ts'
import { checkCredsFile, mountPoints } from '../src/storage/file/checks.ts'
import { acquireFileLock } from '../src/storage/file/lock.ts'
import { fileStorage } from '../src/storage/file.ts'
import type { StoredTokens } from '../src/storage/types.ts'
import { makeJwt } from './tokens.ts'

const posix = process.platform !== 'win32'
const hasMkfifo = posix && spawnSync('mkfifo', ['--version']).status === 0

let dir: string
let creds: string
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'aac-storage-files-')))
  creds = join(dir, 'creds.json')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path])
}

/** A pair whose access token was issued `issuedAgoS` seconds ago: later issued means newer. */
function pairIssued(issuedAgoS: number, refreshToken: string): StoredTokens {
  const now = Math.floor(Date.now() / 1000)
  return { accessToken: makeJwt({ iat: now - issuedAgoS, exp: now - issuedAgoS + 300 }), refreshToken }
}

function fileJson(pair: StoredTokens): string {
  return `${JSON.stringify({ access_token: pair.accessToken, refresh_token: pair.refreshToken })}\n`
}

async function ageFile(path: string, ageMs: number): Promise<void> {
  const then = new Date(Date.now() - ageMs)
  await utimes(path, then, then)
}

/** Rejects within `ms`, or fails the test: a FIFO opened for reading blocks forever. */
async function settlesWithin<T>(promise: Promise<T>, ms = 3_000): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms: it hangs`)), ms)
  })
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => error,
      ),
      hang,
    ])
  } finally {
    clearTimeout(timer)
  }
}

describe.runIf(hasMkfifo)('a FIFO is never opened', () => {
  it('creds.json as a FIFO: read and write refuse at once, naming it', async () => {
    mkfifo(creds)
    const storage = fileStorage({ path: creds })
    const read = await settlesWithin(storage.read())
    expect(read).toBeInstanceOf(StorageError)
    expect((read as Error).message).toContain(`${creds} is a FIFO (named pipe), not a regular file`)
    const locked = await settlesWithin(storage.withLock(() => storage.read()))
    expect((locked as Error).message).toContain('FIFO')
    const write = await settlesWithin(storage.write({ accessToken: 'a', refreshToken: 'r' }))
    expect(write).toBeInstanceOf(StorageError)
    expect((write as Error).message).toMatch(
      /Refusing to write .* is a FIFO \(named pipe\), not a regular file/,
    )
    expect((await lstat(creds)).isFIFO()).toBe(true)
    expect(await checkCredsFile(creds)).toMatchObject([{ kind: 'not-regular', blocksWrite: true }])
  })

  it('the lock file or its .break as a FIFO: refused at once, naming it, instead of hanging', async () => {
    const lockPath = join(dir, 'creds.json.lock')
    mkfifo(lockPath)
    const error = await settlesWithin(acquireFileLock(lockPath, { timeoutMs: 60_000 }))
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', location: lockPath })
    expect((error as Error).message).toContain(`${lockPath} is a FIFO (named pipe), not a lock file`)
    await rm(lockPath)
    // A stale lock to break, and a FIFO where the breaker's .break goes.
    await writeFile(lockPath, JSON.stringify({ pid: 1, host: 'elsewhere', token: 'old', time: 0 }))
    await ageFile(lockPath, 600_000)
    mkfifo(`${lockPath}.break`)
    const broken = await settlesWithin(acquireFileLock(lockPath, { timeoutMs: 60_000 }))
    expect((broken as Error).message).toContain(`${lockPath}.break is a FIFO (named pipe), not a lock file`)
  })
})

describe('a creds.json that cannot be rotated safely is refused before anything is written', () => {
  it.runIf(posix)(
    'hard-linked: write refuses, naming the file and the fix; both names unchanged',
    async () => {
      const pair = pairIssued(0, 'refresh-1')
      await writeFile(creds, fileJson(pair))
      const other = join(dir, 'backup.json')
      await link(creds, other)
      const storage = fileStorage({ path: creds })
      // Reading is harmless; the write (the one before a refresh above all) is not.
      expect(await storage.read()).toEqual(pair)
      const error = await storage.write(pairIssued(0, 'refresh-2')).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StorageError)
      const message = (error as Error).message
      expect(message).toContain(`Refusing to write the tokens to ${creds}; the file was left unchanged.`)
      expect(message).toContain(`${creds} has 2 names (hard links)`)
      expect(message).toMatch(/delete them, or make them symbolic links/)
      expect(await readFile(creds, 'utf8')).toBe(fileJson(pair))
      expect(await readFile(other, 'utf8')).toBe(fileJson(pair))
      expect((await readdir(dir)).sort()).toEqual(['backup.json', 'creds.json'])
      expect(await checkCredsFile(creds)).toEqual([
        expect.objectContaining({ kind: 'hard-linked', path: creds, blocksWrite: true }),
      ])
      // Fixed as the message says: the write goes through.
      await rm(other)
      await storage.write(pairIssued(0, 'refresh-2'))
    },
  )

  it.runIf(posix)('a folder, a symlink loop: refused with what it is', async () => {
    await mkdir(creds)
    expect(await checkCredsFile(creds)).toEqual([
      expect.objectContaining({ kind: 'not-regular', message: expect.stringContaining('is a folder') }),
    ])
    await rm(creds, { recursive: true })
    await symlink(join(dir, 'b.json'), creds)
    await symlink(creds, join(dir, 'b.json'))
    const [loop] = await checkCredsFile(creds)
    expect(loop).toMatchObject({ kind: 'symlink-loop', blocksWrite: true })
    expect(loop?.message).toMatch(/loop/)
    await expect(fileStorage({ path: creds }).write(pairIssued(0, 'r'))).rejects.toThrow(/loop/)
  })

  it.runIf(posix)(
    'a dangling symbolic link is named with its target, and does not block a write',
    async () => {
      const target = join(dir, 'home', 'creds.json')
      await symlink(target, creds)
      expect(await checkCredsFile(creds)).toEqual([
        {
          kind: 'dangling-symlink',
          path: creds,
          blocksWrite: false,
          message: expect.stringContaining(`${creds} is a symbolic link to ${target}, which does not exist`),
        },
      ])
    },
  )

  it('a file mounted on its own, told by its device number where the mount table cannot be read', async () => {
    await writeFile(creds, fileJson(pairIssued(0, 'r')))
    const real = await stat(creds)
    const folder = await stat(dir)
    // As docker run -v ~/aac/creds.json:/app/creds.json shows it: the file on the host's disk, its folder not.
    const injected = {
      stat: async (path: string): Promise<Stats> =>
        path === creds
          ? ({ ...real, dev: folder.dev + 1, isFile: () => true, nlink: 1 } as Stats)
          : stat(path),
      mountPoints: async () => undefined,
    }
    const problems = await checkCredsFile(creds, injected)
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'mount-point', path: creds, blocksWrite: true }),
    ])
    expect(problems[0]?.message).toContain('Mount the folder, not the file')
    // Same device: not a mount point. A mount table, where there is one, decides over device numbers.
    expect(await checkCredsFile(creds, { ...injected, stat: (path) => stat(path) })).toEqual([])
    expect(await checkCredsFile(creds, { ...injected, mountPoints: async () => new Set(['/']) })).toEqual([])
    expect(
      await checkCredsFile(creds, { stat: (path) => stat(path), mountPoints: async () => new Set([creds]) }),
    ).toEqual([expect.objectContaining({ kind: 'mount-point' })])
  })

  it.runIf(process.platform === 'linux')('reads the mount table, spaces and all', async () => {
    const points = await mountPoints()
    expect(points?.has('/')).toBe(true)
  })
})

describe('a creds.json holding the token endpoint’s error answer', () => {
  it('read names the lost chain and where to get a new pair, quoting no secret', async () => {
    await writeFile(
      creds,
      JSON.stringify({ error: 'invalid_grant', error_description: 'Refresh token SECRET-RT was revoked' }),
    )
    for (const storage of [fileStorage({ path: creds, region: 'eu1' })]) {
      const error = await storage.read().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigError)
      const message = (error as Error).message
      expect(message).toContain(`${creds} holds a token endpoint's error answer ("error": "invalid_grant")`)
      expect(message).toContain('https://eu1.alteryxcloud.com/')
      expect(message).not.toContain('SECRET')
    }
  })
})

describe('a new pair written over an error answer', () => {
  it('replaces it whole: no "error" key is kept beside the new pair', async () => {
    await writeFile(creds, JSON.stringify({ error: 'invalid_grant', error_description: 'revoked' }))
    const pair = pairIssued(0, 'refresh-new')
    await fileStorage({ path: creds }).write(pair)
    expect(JSON.parse(await readFile(creds, 'utf8'))).toEqual({
      access_token: pair.accessToken,
      refresh_token: 'refresh-new',
    })
  })
})

describe('write failures name their real cause', () => {
  it('a missing folder: ENOENT, the folder named', async () => {
    const path = join(dir, 'missing', 'creds.json')
    const error = await fileStorage({ path })
      .write(pairIssued(0, 'r'))
      .catch((e: unknown) => e)
    expect((error as Error).message).toContain(`Could not save the tokens to ${path} (ENOENT: the folder`)
  })
})

describe('leftovers of a failed save are found again under the lock', () => {
  it('TOKENS_NOT_SAVED: the next locked read returns the recovered pair and creds.json ends up holding it', async () => {
    const old = pairIssued(600, 'refresh-old')
    const rotated: StoredTokens = { ...pairIssued(0, 'refresh-new'), meta: { clockOffsetMs: 1200 } }
    const storage = fileStorage({ path: creds })
    await storage.write(old)
    // The rotation's save failed, so the token manager kept the new pair where saveRecovery put it.
    const recovered = await storage.saveRecovery(rotated)
    expect(recovered.startsWith(`${creds}.recovered-`)).toBe(true)

    // Outside the lock, nothing is adopted (or changed).
    const other = fileStorage({ path: creds })
    expect(await other.read()).toEqual(old)
    expect((await readdir(dir)).length).toBe(2)

    expect(await other.withLock(() => other.read())).toEqual(rotated)
    expect(JSON.parse(await readFile(creds, 'utf8'))).toEqual({
      access_token: rotated.accessToken,
      refresh_token: 'refresh-new',
      aac: { clock_offset_ms: 1200 },
    })
    expect(await readdir(dir)).toEqual(['creds.json'])
    expect(await other.read()).toEqual(rotated)
  })

  it('adopts only a newer pair (by iat, else exp), never by mtime; an older recovery file is the user’s', async () => {
    const current = pairIssued(60, 'refresh-current')
    await writeFile(creds, fileJson(current))
    const older = join(dir, 'creds.json.recovered-2025-01-01T000000.000Z')
    await writeFile(older, fileJson(pairIssued(3600, 'refresh-older')))
    const noIat = join(dir, 'creds.json.recovered-2025-01-02T000000.000Z')
    const now = Math.floor(Date.now() / 1000)
    await writeFile(
      noIat,
      fileJson({
        accessToken: makeJwt({ iat: undefined, exp: now + 100 } as unknown as { exp: number }),
        refreshToken: 'refresh-no-iat',
      }),
    )
    const garbage = join(dir, 'creds.json.recovered-2025-01-03T000000.000Z')
    await writeFile(garbage, '{"access_token": "SECRET')
    const storage = fileStorage({ path: creds })
    // The older pair's file is brand new and creds.json old: mtime says nothing about which pair is newer.
    await ageFile(creds, 3_600_000)
    expect(await storage.withLock(() => storage.read())).toEqual(current)
    expect((await readdir(dir)).sort()).toEqual([
      'creds.json',
      'creds.json.recovered-2025-01-01T000000.000Z',
      'creds.json.recovered-2025-01-02T000000.000Z',
      'creds.json.recovered-2025-01-03T000000.000Z',
    ])
    expect(await readFile(creds, 'utf8')).toBe(fileJson(current))
  })

  it('orphaned temp files: a newer complete pair is adopted; the others are removed, however young', async () => {
    const current = pairIssued(600, 'refresh-current')
    await writeFile(creds, fileJson(current))
    // Killed between its write (fsynced) and its rename:
    const killed = join(dir, '.creds.json.0123abcd.tmp')
    const newer = pairIssued(0, 'refresh-newer')
    await writeFile(killed, fileJson(newer))
    // Older pairs and a half-written file, long abandoned; a half-written one just left by a kill: under the lock
    // no cooperating program is writing, so none of them is a write in progress.
    const stale = join(dir, '.creds.json.89abcdef.tmp')
    await writeFile(stale, fileJson(pairIssued(7200, 'refresh-stale')))
    const torn = join(dir, '.creds.json.deadbeef.tmp')
    await writeFile(torn, '{"access_token": "eyJ')
    for (const file of [stale, torn]) await ageFile(file, 10 * 60_000)
    const writing = join(dir, '.creds.json.feedf00d.tmp')
    await writeFile(writing, '{"access_tok')
    // Not ours to judge: another name, a symbolic link.
    const unrelated = join(dir, '.creds.json.nothex!!.tmp')
    await writeFile(unrelated, fileJson(pairIssued(0, 'refresh-unrelated')))

    const storage = fileStorage({ path: creds })
    expect(await storage.withLock(() => storage.read())).toEqual(newer)
    expect(await fileStorage({ path: creds }).read()).toEqual(newer)
    expect((await readdir(dir)).sort()).toEqual(['.creds.json.nothex!!.tmp', 'creds.json'])
  })

  it.runIf(posix)(
    'through a symbolic link: finds the copies beside the target, and beside the link',
    async () => {
      const home = join(dir, 'home')
      await mkdir(home)
      const target = join(home, 'creds.json')
      await writeFile(target, fileJson(pairIssued(600, 'refresh-old')))
      await symlink(target, creds)
      const storage = fileStorage({ path: creds })
      const rotated = pairIssued(0, 'refresh-new')
      const saved = await storage.saveRecovery(rotated)
      expect(saved.startsWith(`${target}.recovered-`)).toBe(true)
      expect(await storage.withLock(() => storage.read())).toEqual(rotated)
      expect((await lstat(creds)).isSymbolicLink()).toBe(true)
      expect(await readdir(home)).toEqual(['creds.json'])
      // A copy an older version left beside the link.
      const besideLink = join(dir, 'creds.json.recovered-2025-01-01T000000.000Z')
      const newest = pairIssued(-10, 'refresh-newest')
      await writeFile(besideLink, fileJson(newest))
      expect(await storage.withLock(() => storage.read())).toEqual(newest)
      expect(await fileStorage({ path: target }).read()).toEqual(newest)
      expect((await readdir(dir)).sort()).toEqual(['creds.json', 'home'])
    },
  )

  it.runIf(posix)(
    'when the save still fails, returns the pair, keeps the copy, and the first good write removes it',
    async () => {
      await writeFile(creds, fileJson(pairIssued(600, 'refresh-old')))
      const storage = fileStorage({ path: creds })
      const rotated = pairIssued(0, 'refresh-new')
      const saved = await storage.saveRecovery(rotated)
      const extra = join(dir, 'extra-name.json')
      await link(creds, extra)
      expect(await storage.withLock(() => storage.read())).toEqual(rotated)
      expect(await fileStorage({ path: saved }).read()).toEqual(rotated)
      // The write before a refresh fails with the cause, so no token is spent.
      await expect(storage.withLock(() => storage.write(rotated))).rejects.toThrow(/hard links/)
      await rm(extra)
      await storage.withLock(() => storage.write({ ...rotated, meta: { clockOffsetMs: 3 } }))
      expect(await readdir(dir)).toEqual(['creds.json'])
    },
  )

  it('a pair whose age cannot be told is not replaced', async () => {
    await writeFile(creds, fileJson({ accessToken: 'not-a-jwt', refreshToken: 'refresh-1' }))
    await writeFile(`${creds}.recovered-2025-01-01T000000.000Z`, fileJson(pairIssued(0, 'refresh-2')))
    const storage = fileStorage({ path: creds })
    expect(await storage.withLock(() => storage.read())).toEqual({
      accessToken: 'not-a-jwt',
      refreshToken: 'refresh-1',
    })
  })

  it('with no creds.json at all, a recovered pair is put in place', async () => {
    const rotated = pairIssued(0, 'refresh-new')
    await writeFile(`${creds}.recovered-2025-01-01T000000.000Z`, fileJson(rotated))
    const storage = fileStorage({ path: creds })
    expect(await storage.read()).toBeUndefined()
    expect(await storage.withLock(() => storage.read())).toEqual(rotated)
    expect(await readdir(dir)).toEqual(['creds.json'])
  })
})
