/**
 * What kind of file a path is, before anything opens it or replaces it. The user's files are plain files, but a
 * folder, a FIFO, a hard link, a symbolic link to nowhere or a file mounted on its own (Docker's
 * `-v ~/creds.json:/app/creds.json`) end up at their names too, and each needs its own refusal:
 * - opening a FIFO blocks until someone writes to it: every aac program, `aac doctor` included, hung forever;
 * - a hard-linked creds.json splits on the first atomic rotation (the other name keeps the old pair, whose refresh
 *   token that rotation spends), and the next program reading it sends a dead token;
 * - a file mounted on its own cannot be replaced by rename (EBUSY): the refresh token would be spent and the new
 *   pair lost. Found before the write that precedes every refresh, it stops the refresh in time.
 */

import { closeSync, constants, fstatSync, openSync, type Stats, statSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { lstat, open, readFile, readlink, stat } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { errorCode } from './error-code.ts'
import { resolveTarget } from './resolve-target.ts'
import { mayUse } from './runtime-permission.ts'

/** aac_url.txt and client_id.txt hold one line: anything bigger is not the file the user meant. */
export const CONFIG_FILE_MAX_BYTES = 64 * 1024
/** creds.json holds two tokens of a few KiB and a little metadata. */
export const CREDS_FILE_MAX_BYTES = 1024 * 1024

/**
 * A path that is not a regular file (`ENOTREG`, or `EISDIR` for a folder), or one too big to be the file meant
 * (`EFBIG`). Thrown by `openRegularFile` and `readTextFile` before any byte is read.
 */
export class FileKindError extends Error {
  override readonly name = 'FileKindError'
  /** `ENOTREG`: not a regular file; `EISDIR`: a folder; `EFBIG`: too big. */
  readonly code: 'ENOTREG' | 'EISDIR' | 'EFBIG'
  /** The path that was refused. */
  readonly path: string
  /** `a folder`, `a FIFO (named pipe)`, `a socket`…; `a regular file` for EFBIG. */
  readonly kind: string
  /** For EFBIG: the file's size and the limit it exceeds, in bytes. */
  readonly size: number | undefined
  /** For EFBIG: the largest size accepted, in bytes. */
  readonly limit: number | undefined

  /** `limit`: the file is a regular one but too big; `size` its size when it differs from `stats.size`. */
  constructor(path: string, stats: Stats, limit?: number, size: number = stats.size) {
    const kind = kindOf(stats)
    const tooBig = limit !== undefined
    super(
      tooBig
        ? `${path} is ${formatSize(size)}, more than the ${formatSize(limit)} it may be`
        : `${path} is ${kind}, not a regular file`,
    )
    this.code = tooBig ? 'EFBIG' : stats.isDirectory() ? 'EISDIR' : 'ENOTREG'
    this.path = path
    this.kind = kind
    this.size = tooBig ? size : undefined
    this.limit = limit
  }
}

/** `a folder`, `a FIFO (named pipe)`… in words for a message. */
export function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a regular file'
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFIFO()) return 'a FIFO (named pipe)'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSymbolicLink()) return 'a symbolic link'
  return 'not a regular file'
}

/** `812 bytes`, `64 KiB`, `50.0 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  if (bytes < 1024 * 1024)
    return `${Number.isInteger(bytes / 1024) ? bytes / 1024 : (bytes / 1024).toFixed(1)} KiB`
  const mib = bytes / (1024 * 1024)
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`
}

/**
 * Reading never blocks on a FIFO even if one replaces the file between our look and our open: a FIFO opened
 * for reading with O_NONBLOCK opens at once, and the look after opening refuses it. (No O_NONBLOCK on Windows,
 * which has no FIFOs in the file system.)
 */
const READ_FLAGS = constants.O_NONBLOCK === undefined ? 'r' : constants.O_RDONLY | constants.O_NONBLOCK

/**
 * Opens `path` for reading only if it is a regular file (or a symbolic link to one): looks first, never opens
 * anything else (a FIFO would block the open, a device may act on it), and looks again through the open handle.
 * File-system errors are thrown as they come (`ENOENT`, `ELOOP`, `EACCES`…); a wrong kind or a size above
 * `maxBytes` is a {@link FileKindError}. The caller closes the handle.
 *
 * @example
 * const { handle, stats } = await openRegularFile('/home/me/aac/creds.json', { maxBytes: CREDS_FILE_MAX_BYTES })
 */
export async function openRegularFile(
  path: string,
  options: { maxBytes?: number | undefined } = {},
): Promise<{ handle: FileHandle; stats: Stats }> {
  const { maxBytes } = options
  assertRegular(path, await stat(path), maxBytes)
  const handle = await open(path, READ_FLAGS)
  try {
    return { handle, stats: assertRegular(path, await handle.stat(), maxBytes) }
  } catch (error) {
    await handle.close().catch(() => undefined)
    throw error
  }
}

/**
 * {@link openRegularFile} with synchronous calls, the same looks in the same order: the file descriptor, which
 * the caller closes (`closeSync`). For files read whole at once (readTextFile): see there why.
 *
 * @example
 * const { fd, stats } = openRegularFileSync('/home/me/aac/creds.json', { maxBytes: CREDS_FILE_MAX_BYTES })
 */
export function openRegularFileSync(
  path: string,
  options: { maxBytes?: number | undefined } = {},
): { fd: number; stats: Stats } {
  const { maxBytes } = options
  assertRegular(path, statSync(path), maxBytes)
  const fd = openSync(path, READ_FLAGS)
  try {
    return { fd, stats: assertRegular(path, fstatSync(fd), maxBytes) }
  } catch (error) {
    try {
      closeSync(fd)
    } catch {
      // The look's error is the one to report.
    }
    throw error
  }
}

/** `stats` if they are a regular file's of at most `maxBytes`, else the FileKindError saying what they are. */
function assertRegular(path: string, stats: Stats, maxBytes: number | undefined): Stats {
  if (!stats.isFile()) throw new FileKindError(path, stats)
  if (maxBytes !== undefined && stats.size > maxBytes) throw new FileKindError(path, stats, maxBytes)
  return stats
}

/**
 * Where the symbolic link at `path` points, when it is a link whose target does not exist (or cannot be
 * reached); undefined otherwise. For "not found" messages, which would otherwise name only the link.
 */
export async function danglingLinkTarget(path: string): Promise<string | undefined> {
  try {
    if (!(await lstat(path)).isSymbolicLink()) return undefined
    await stat(path)
    return undefined
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') return undefined
  }
  try {
    return resolve(dirname(path), await readlink(path))
  } catch {
    return undefined
  }
}

/**
 * What went wrong reading `path`, and what to do, for a person: the real error code and what it means here. For
 * every error but "not found", which each caller words itself (a missing file is often just not made yet).
 *
 * @example
 * explainReadFailure('/home/me/aac/client_id.txt', error)
 * // '/home/me/aac/client_id.txt is a folder, not a file: …'
 */
export function explainReadFailure(path: string, error: unknown): string {
  const code = errorCode(error)
  if (error instanceof FileKindError) {
    if (error.code === 'EFBIG') {
      return (
        `${path} is ${formatSize(error.size ?? 0)}, far more than the ${formatSize(error.limit ?? 0)} this file ` +
        'can hold: it is not the file you meant to put there (a log, a download, a disk image?). ' +
        `Put the right file at ${path}; nothing was read from it.`
      )
    }
    if (error.code === 'EISDIR') return isAFolder(path)
    return (
      `${path} is ${error.kind}, not a regular file: aac reads only regular files (or symbolic links to one), ` +
      `so that it never waits forever on a pipe or acts on a device. Remove it (rm ${path}) and put the file ` +
      'itself there.'
    )
  }
  switch (code) {
    case 'EISDIR':
      return isAFolder(path)
    case 'ELOOP':
      return (
        `${path} is a symbolic link that leads round in a loop (ELOOP: it points, through other links, back at ` +
        `itself). Point it at the real file (ls -l ${path} shows where it points; ln -sf /path/to/the/file ` +
        `${path}), or replace it with the file itself.`
      )
    case 'EACCES':
    case 'EPERM':
      return (
        `${path} cannot be read (${code}): this user may not read it or a folder above it. Check its ` +
        `permissions and owner (ls -l ${path}).`
      )
    case 'ENOTDIR':
      return `${path} cannot be read (ENOTDIR): a part of that path is a file, not a folder.`
    case 'ENAMETOOLONG':
      return `${path} cannot be read (ENAMETOOLONG): the path is too long for this system.`
    case 'EIO':
      return `${path} cannot be read (EIO): the disk or network share holding it reported an input/output error.`
    default:
      return `${path} cannot be read (${code ?? (error instanceof Error ? error.name : String(error))}).`
  }
}

function isAFolder(path: string): string {
  return (
    `${path} is a folder, not a file (EISDIR). Remove the folder and put the file there. (A container ` +
    'runtime makes an empty folder when told to mount a file that does not exist: create the file first, or ' +
    'better, mount the folder that holds it.)'
  )
}

// ---------------------------------------------------------------------------------------------------------
// creds.json before a write

/** What {@link checkCredsFile} can find wrong with where creds.json lives (a link, a hard link, a mount…). */
export type CredsFileProblemKind =
  | 'dangling-symlink'
  | 'symlink-loop'
  | 'not-regular'
  | 'hard-linked'
  | 'mount-point'

/** One finding of {@link checkCredsFile}: its kind, the path it is about, and whether it blocks writes. */
export interface CredsFileProblem {
  /** What was found. */
  readonly kind: CredsFileProblemKind
  /** The path the problem is about: creds.json as given, or the file a link leads to. */
  readonly path: string
  /**
   * True when writing creds.json must be refused, and so any refresh (the token manager writes a record of the
   * refresh before it sends the refresh token). A dangling link does not block: the write creates its target.
   */
  readonly blocksWrite: boolean
  /** What is wrong and how to fix it, naming the files. */
  readonly message: string
}

/** For tests: the looks `checkCredsFile` takes, replaceable. */
export interface CheckCredsFileOptions {
  /** Replaces `stat` (follows links). */
  stat?: ((path: string) => Promise<Stats>) | undefined
  /** Replaces `lstat` (does not follow links). */
  lstat?: ((path: string) => Promise<Stats>) | undefined
  /**
   * The mount points of this system (absolute paths), or undefined where they cannot be listed (then a file
   * whose device differs from its folder's counts as mounted on its own). Default: `/proc/self/mountinfo`.
   */
  mountPoints?: (() => Promise<ReadonlySet<string> | undefined>) | undefined
}

/**
 * The reasons the creds.json at `path` cannot safely be rotated (or read), each with a message naming the file
 * and the fix: a symbolic link to nowhere (or in a loop), something other than a regular file (FIFO, folder,
 * device), a file with several names (hard links), a file mounted on its own (a bind mount of the single file).
 * Empty when there is none, or when the file does not exist (a write creates it). `fileStorage().write` refuses
 * to write when a problem has `blocksWrite`; `aac doctor` lists them all. Never opens the file.
 *
 * @example
 * for (const problem of await checkCredsFile('/app/creds.json')) console.error(problem.message)
 */
export async function checkCredsFile(
  path: string,
  options: CheckCredsFileOptions = {},
): Promise<CredsFileProblem[]> {
  const statOf = options.stat ?? ((p: string) => stat(p))
  const lstatOf = options.lstat ?? ((p: string) => lstat(p))
  const listMounts = options.mountPoints ?? mountPoints
  const given = resolve(path)
  let own: Stats
  try {
    own = await lstatOf(given)
  } catch {
    // Missing: a write creates it. Unreachable (EACCES on a folder…): the operation itself says so, with its code.
    return []
  }
  let stats: Stats
  try {
    stats = await statOf(given)
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ELOOP') {
      return [
        { kind: 'symlink-loop', path: given, blocksWrite: true, message: explainReadFailure(given, error) },
      ]
    }
    if (code === 'ENOENT' && own.isSymbolicLink()) {
      const target = (await danglingLinkTarget(given)) ?? (await resolveTarget(given))
      return [
        {
          kind: 'dangling-symlink',
          path: given,
          blocksWrite: false,
          message:
            `${given} is a symbolic link to ${target}, which does not exist. If that is where your pair ` +
            `belongs, put your creds.json there; if the link is wrong, point it at your creds.json ` +
            `(ln -sf /path/to/creds.json ${given}).`,
        },
      ]
    }
    return []
  }
  const real = await resolveTarget(given)
  const via = real === given ? '' : ` (the file ${given} leads to)`
  if (!stats.isFile()) {
    const message = stats.isDirectory()
      ? isAFolder(real)
      : `${real}${via} is ${kindOf(stats)}, not a regular file: aac never opens it (reading a FIFO waits ` +
        `forever) and will not replace it. Remove it (rm ${real}) and put your creds.json there as a regular file.`
    return [{ kind: 'not-regular', path: real, blocksWrite: true, message }]
  }
  const problems: CredsFileProblem[] = []
  if (stats.nlink > 1) {
    problems.push({
      kind: 'hard-linked',
      path: real,
      blocksWrite: true,
      message:
        `${real}${via} has ${stats.nlink} names (hard links), so aac will not write it: a refresh replaces the ` +
        'file under one name only, the other names would keep the old pair, whose refresh token that refresh ' +
        'spends, and the next program reading one of them would send a dead token (which can make the server ' +
        `revoke the whole token family). Keep one name: find the others (find / -xdev -samefile ${real}; ` +
        `Windows: fsutil hardlink list ${real}) and delete them, or make them symbolic links to ${real} ` +
        `(ln -sf ${real} <other name>).`,
    })
  }
  if (await isMountPoint(real, stats, statOf, listMounts)) {
    problems.push({
      kind: 'mount-point',
      path: real,
      blocksWrite: true,
      message: bindMountMessage(real, via),
    })
  }
  return problems
}

/**
 * Why a file mounted on its own cannot be written, and the fix. `code` is the error a rename got (EBUSY), when
 * that is how it was found.
 */
export function bindMountMessage(real: string, via = '', code?: string): string {
  const found = code ? `renaming a new file over it failed with ${code}: ` : ''
  return (
    `${real}${via} is mounted on its own (a bind mount of the single file, as docker run ` +
    `-v ~/aac/${basename(real)}:${real} makes): ${found}aac saves a new pair by writing a new file beside it ` +
    'and renaming it into place, which a mount point refuses (EBUSY), and writing it in place could leave it ' +
    'half-written. So aac will not refresh with it: the refresh token would be spent and the new pair lost. ' +
    `Mount the folder, not the file (docker run -v ~/aac:${dirname(real)}/aac … and AAC_CONFIG_DIR=` +
    `${dirname(real)}/aac, or point AAC_CONFIG_DIR at the mounted folder).`
  )
}

async function isMountPoint(
  real: string,
  stats: Stats,
  statOf: (path: string) => Promise<Stats>,
  listMounts: () => Promise<ReadonlySet<string> | undefined>,
): Promise<boolean> {
  // The mount table is the authority where there is one: a bind mount from the same file system keeps the
  // device number, and overlay file systems may give a file another device number than its folder.
  const mounts = await listMounts().catch(() => undefined)
  if (mounts) return mounts.has(real)
  try {
    return (await statOf(dirname(real))).dev !== stats.dev
  } catch {
    return false
  }
}

/**
 * The mount points listed in `/proc/self/mountinfo` (Linux), undefined elsewhere. Field 5 of each line, with
 * the kernel's octal escapes (`\040` for a space) decoded.
 */
export async function mountPoints(): Promise<ReadonlySet<string> | undefined> {
  const table = '/proc/self/mountinfo'
  if (!mayUse({ name: 'read', path: table })) return undefined
  let text: string
  try {
    text = await readFile(table, 'utf8')
  } catch {
    return undefined
  }
  const points = new Set<string>()
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4]
    if (field)
      points.add(
        field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
      )
  }
  return points
}

/**
 * A failed write in `dir`, by its real cause: `ENOSPC: the disk holding /home/me/aac is full. Free some space
 * there and try again`. Never just "storage error": the code, what it means there, and what to do.
 */
export function explainWriteError(error: unknown, dir: string): string {
  const code = errorCode(error) ?? (error instanceof Error ? error.name : String(error))
  switch (code) {
    case 'ENOSPC':
      return `ENOSPC: the disk holding ${dir} is full. Free some space there and try again`
    case 'EDQUOT':
      return `EDQUOT: your disk quota on the file system holding ${dir} is used up. Free some space and try again`
    case 'EROFS':
      return (
        `EROFS: ${dir} is on a read-only file system (a read-only mount such as docker -v …:ro, a read-only ` +
        'share, or a disk the system remounted read-only after errors). Make it writable, or keep creds.json ' +
        'in a writable folder and set AAC_CONFIG_DIR to it'
      )
    case 'EACCES':
    case 'EPERM':
      return (
        `${code}: this user may not create files in ${dir}. aac writes a new file in that folder and renames ` +
        'it into place, so it needs write permission on the folder, not only on the file ' +
        `(ls -ld ${dir}; chmod u+w ${dir}, or run as its owner)`
      )
    case 'EBUSY':
      return `EBUSY: the file or its folder is busy (in use by another program, or a mount point)`
    case 'ENOENT':
      return `ENOENT: the folder ${dir} does not exist`
    case 'ENOTDIR':
      return `ENOTDIR: a part of the path ${dir} is a file, not a folder`
    case 'EIO':
      return `EIO: the disk or network share holding ${dir} reported an input/output error`
    case 'EMFILE':
    case 'ENFILE':
      return `${code}: too many files are open in this program or on this system`
    case 'EFBIG':
      return 'EFBIG: the file size limit of this process (ulimit -f) or of the file system was reached'
    default:
      return `${code}: check that ${dir} exists, that you may write to it, and that the disk is not full`
  }
}
