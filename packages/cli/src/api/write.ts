/**
 * Writing what `aac api` prints: with back-pressure, so a slow reader of a long `--paginate` does not make the
 * output pile up in memory, and to files without ever leaving a half-written one.
 */

import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { UsageError } from '../exit-codes.ts'
import type { Output } from '../io.ts'

/** A Node stream's `once`, when the output is one (tests pass plain objects). */
type Drainable = Output & { once?: (event: 'drain', listener: () => void) => unknown }

/**
 * Writes `chunk`; when the stream says its buffer is full, waits for it to drain first.
 *
 * @example
 * await writeOut(io.stdout, `${JSON.stringify(item)}\n`)
 */
export async function writeOut(out: Output, chunk: string | Uint8Array): Promise<void> {
  if (out.write(chunk) !== false) return
  const once = (out as Drainable).once
  if (typeof once === 'function') await new Promise<void>((done) => once.call(out, 'drain', done))
}

/** Copies a body's bytes to `out` as they arrive. */
export async function pipeBytes(body: ReadableStream<Uint8Array>, out: Output): Promise<void> {
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) await writeOut(out, chunk)
}

/**
 * Streams a body into `file` (relative to `cwd`) through a temporary file beside it, renamed over it at the
 * end: a failed download leaves an existing file as it was, and never a partial one.
 *
 * @example
 * await saveBytes(response.data, 'flow.zip', io.cwd)
 */
export async function saveBytes(body: ReadableStream<Uint8Array>, file: string, cwd: string): Promise<void> {
  const target = resolve(cwd, file)
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.part`)
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(temp, 'wx')
  } catch (error) {
    await body.cancel().catch(() => undefined)
    throw new UsageError(
      `--output ${file}: cannot write there (${(error as { code?: string }).code ?? error})`,
    )
  }
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) await handle.write(chunk)
    await handle.close()
    await rename(temp, target)
  } catch (error) {
    await handle.close().catch(() => undefined)
    await rm(temp, { force: true })
    throw error
  }
}
