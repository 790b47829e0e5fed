import { randomUUID } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { chmod, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { errorCode } from './error-code.ts'
import { resolveTarget } from './resolve-target.ts'

export interface WriteFileAtomicOptions {
  /** Permission bits of the new file. Default `0o600`: creds.json holds secrets. */
  mode?: number | undefined
}

/**
 * Replaces `path` with `data` so that every reader sees either the old file or the whole new one, never a
 * half-written file, even if this process dies mid-write (in-place writes left caches permanently unparsable
 * in MSAL and Azure CLI; see docs/locking.md).
 *
 * Temp file in the same directory (so `rename` never crosses a filesystem), opened `wx` with `mode` and then
 * chmod-ed (the umask only clears bits), written, fsync-ed, closed, renamed over the target, then the
 * directory is fsync-ed on a best-effort basis. Any error removes the temp file. A symlinked target is
 * written through: the link's destination is replaced (or created), not the link.
 *
 * @example
 * await writeFileAtomic('/home/me/aac/creds.json', JSON.stringify(pair, null, 2) + '\n')
 */
export async function writeFileAtomic(path: string, data: string, options: WriteFileAtomicOptions = {}) {
  const mode = options.mode ?? 0o600
  // Replacing a symlink with a regular file would silently break a user's dotfiles setup.
  const target = await resolveTarget(path)
  const dir = dirname(target)
  const temp = join(dir, `.${basename(target)}.${randomUUID().slice(0, 8)}.tmp`)
  let handle: FileHandle | undefined
  try {
    handle = await open(temp, 'wx', mode)
    await chmod(temp, mode)
    await handle.writeFile(data, 'utf8')
    await handle.sync()
    await handle.close()
    handle = undefined
    await retryWhileBusy(() => rename(temp, target))
  } catch (error) {
    await handle?.close().catch(() => undefined)
    await unlink(temp).catch(() => undefined)
    throw error
  }
  await syncDirectory(dir)
}

/**
 * Windows refuses to rename over or delete a file that another process has open (an antivirus scan, a reader
 * of creds.json) with EPERM, EACCES or EBUSY for a few milliseconds. Elsewhere these errors are permanent and
 * the retries only delay the same error by about a second.
 */
export async function retryWhileBusy<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      const code = errorCode(error)
      const busy = code === 'EPERM' || code === 'EACCES' || code === 'EBUSY'
      if (!busy || attempt >= 6) throw error
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt))
    }
  }
}

/** Makes the rename itself durable. Not possible on Windows and some filesystems, hence best effort. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // The file content is already synced; only the directory entry's durability is at stake.
  } finally {
    await handle?.close().catch(() => undefined)
  }
}
