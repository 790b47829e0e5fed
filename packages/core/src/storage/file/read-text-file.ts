import { closeSync, readSync } from 'node:fs'
import { CREDS_FILE_MAX_BYTES, FileKindError, openRegularFileSync } from './checks.ts'

/** Options of {@link readTextFile}: the largest file it reads. */
export interface ReadTextFileOptions {
  /** Refuse a bigger file with a `FileKindError` (`code` `EFBIG`) before reading it. Default 1 MiB. */
  maxBytes?: number | undefined
}

/**
 * Reads a config file as text whatever Windows saved it as: UTF-8 with or without a BOM, or UTF-16 LE/BE with
 * a BOM (what PowerShell 5's `>` and `Out-File` write). The BOM is dropped; line ends are left to the parsers,
 * which trim.
 *
 * Only a regular file (or a symbolic link to one) is opened: a FIFO, a folder or a device is refused with a
 * `FileKindError` (`code` `ENOTREG` or `EISDIR`) without being opened, so that no program hangs on a named
 * pipe; so is a file bigger than `maxBytes` (`EFBIG`). Other file-system errors are thrown as they come (`code`
 * `ENOENT`, `EACCES`, `ELOOP`…). `explainReadFailure` words any of them for a person.
 *
 * The file is read with synchronous calls: these files are small (at most `maxBytes`, usually under 2 KiB), so
 * the event loop waits microseconds, where handing each of the five calls of a read to the thread pool (and
 * loading node:fs/promises) cost `aac token` several ms of its start-up: it reads five files.
 *
 * @example
 * const url = await readTextFile('/home/me/aac/aac_url.txt', { maxBytes: 64 * 1024 })
 */
export async function readTextFile(path: string, options: ReadTextFileOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? CREDS_FILE_MAX_BYTES
  const { fd, stats } = openRegularFileSync(path, { maxBytes })
  try {
    const chunks: Uint8Array[] = []
    let length = 0
    // Until the end of the file, and at most one byte past the limit: a file that grew since the look is
    // refused all the same.
    while (length <= maxBytes) {
      const chunk = new Uint8Array(Math.min(Math.max(stats.size - length, 4096), maxBytes + 1 - length))
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null)
      if (bytesRead === 0) break
      chunks.push(chunk.subarray(0, bytesRead))
      length += bytesRead
    }
    if (length > maxBytes) throw new FileKindError(path, stats, maxBytes, length)
    const bytes = chunks.length === 1 ? chunks[0]! : concat(chunks, length)
    return decodeText(bytes)
  } finally {
    try {
      closeSync(fd)
    } catch {
      // Read whole already: a failed close loses nothing.
    }
  }
}

/** The decoding half of {@link readTextFile}: TextDecoder drops the BOM it recognizes. */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes)
  return new TextDecoder('utf-8').decode(bytes)
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return bytes
}
