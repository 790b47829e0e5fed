/**
 * Writing the three files of `aac init`: all of them or none. Each new file is written in full beside its target
 * (owner-only), then renamed over it; with --force the old file is first kept under a second name (a hard link,
 * so its bytes, mode and inode stay as they were), and if any step fails every file is put back as it was.
 * creds.json is replaced under its lock, so a refresh running meanwhile finishes first.
 */

import { randomBytes } from 'node:crypto'
import { chmod, copyFile, link, lstat, mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { acquireFileLock, CREDS_FILE, credsLockPath } from '@aac/core/fs'

export interface PlannedFile {
  name: string
  content: string
}

/** The files of `names` that exist in `dir` (a link counts, even a dangling one). */
export async function existingFiles(dir: string, names: readonly string[]): Promise<string[]> {
  const found: string[] = []
  for (const name of names) {
    if (
      await lstat(join(dir, name)).then(
        () => true,
        () => false,
      )
    )
      found.push(name)
  }
  return found
}

/** One file on its way in: where it goes, the staged new content, and the old file kept aside. */
interface Move {
  target: string
  staged: string
  kept?: { path: string; mode: number }
  done?: boolean
}

/**
 * Writes `files` into `dir` (created owner-only when missing), replacing existing ones only when `force`;
 * resolves to the paths written. On failure nothing is left changed and the error is rethrown.
 *
 * @example
 * await writeConfigFiles('/home/me/.config/aac', [{ name: 'aac_url.txt', content: 'https://api.us1.alteryxcloud.com\n' }])
 */
export async function writeConfigFiles(
  dir: string,
  files: readonly PlannedFile[],
  /** For tests: the rename that puts each file in place (to fail one). */
  put: (from: string, to: string) => Promise<void> = rename,
): Promise<string[]> {
  await makeFolder(dir)
  const creds = files.find((file) => file.name === CREDS_FILE)
  const lock = creds ? await acquireFileLock(await credsLockPath(join(dir, CREDS_FILE))) : undefined
  const moves: Move[] = []
  try {
    for (const file of files) moves.push(await stage(dir, file))
    for (const move of moves) await keepOld(move)
    for (const move of moves) {
      await put(move.staged, move.target)
      move.done = true
    }
    await syncFolder(dir)
    await Promise.all(moves.map((move) => (move.kept ? rm(move.kept.path, { force: true }) : undefined)))
    return moves.map((move) => move.target)
  } catch (error) {
    await undo(moves)
    throw error
  } finally {
    await lock?.release()
  }
}

async function makeFolder(dir: string): Promise<void> {
  const exists = await stat(dir).then(
    (stats) => stats.isDirectory(),
    () => false,
  )
  if (exists) return
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // The umask may have taken bits off, never added any; on Windows modes mean little.
  await chmod(dir, 0o700).catch(() => undefined)
}

/** The new content in a temporary file beside the target (a link's destination), owner-only, synced. */
async function stage(dir: string, file: PlannedFile): Promise<Move> {
  const path = join(dir, file.name)
  // An existing link (dotfiles) is written through: its destination is replaced, the link stays.
  const target = await realpath(path).catch(() => path)
  const staged = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.init.tmp`)
  const handle = await open(staged, 'wx', 0o600)
  try {
    await handle.chmod(0o600).catch(() => undefined)
    await handle.writeFile(file.content, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  return { target, staged }
}

/** Keeps the old file under a second name: a hard link where the file system has them, else a copy. */
async function keepOld(move: Move): Promise<void> {
  const old = await stat(move.target).catch(() => undefined)
  if (!old) return
  const path = `${move.staged}.old`
  await link(move.target, path).catch(async () => {
    await copyFile(move.target, path)
    await chmod(path, old.mode & 0o7777)
  })
  move.kept = { path, mode: old.mode & 0o7777 }
}

/** Puts every file back as it was, removes what was staged; errors here are secondary to the one that failed. */
async function undo(moves: readonly Move[]): Promise<void> {
  for (const move of moves) {
    try {
      // Not replaced yet: the target is the old file still (and the kept link another name of it).
      if (!move.done) await rm(move.kept?.path ?? move.staged, { force: true })
      else if (move.kept) await rename(move.kept.path, move.target)
      else await rm(move.target, { force: true })
    } catch {}
    await rm(move.staged, { force: true }).catch(() => undefined)
  }
}

async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    await handle.sync().finally(() => handle.close())
  } catch {
    // Windows cannot open a folder, and some file systems refuse to sync one: the renames are done anyway.
  }
}
