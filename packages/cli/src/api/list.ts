/** `aac api --paginate`: walks a /v4 list and hands it to the output page by page, as the pages arrive. */

import type { Client, RequestOptionsWithoutBody } from '@aac/core'
import { UsageError } from '../exit-codes.ts'
import type { CliIo, Paint } from '../io.ts'
import { type ItemOutput, itemSink } from './items.ts'

export interface ListOptions extends ItemOutput {
  /** `--concurrency`; the core's default when undefined. */
  concurrency: number | undefined
}

/**
 * Prints every item of the list at `path` (see items.ts for the formats), holding one page at a time. Progress
 * goes to stderr when it is a terminal.
 *
 * @example
 * await walkList(client, '/v4/people', { query: { limit: 500 } }, io, paint, options)
 */
export async function walkList(
  client: Client,
  path: string,
  request: RequestOptionsWithoutBody,
  io: CliIo,
  paint: Paint,
  options: ListOptions,
): Promise<void> {
  const sink = itemSink(io, paint, options)
  const progress = io.stderr.isTTY === true
  let status = ''
  let pageItems = 0
  const batch: unknown[] = []
  const flush = async () => {
    // Items and progress may share one terminal: the progress line is cleared while items are written.
    const shared = progress && io.stdout.isTTY === true
    if (shared) io.stderr.write('\r\x1b[K')
    await sink.page(batch.splice(0))
    if (shared) io.stderr.write(status)
  }
  try {
    const items = client.paginate(path, {
      ...request,
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      onPage: (page) => {
        pageItems = page.items
        status = `\r\x1b[Kfetched ${page.received}${page.count !== undefined ? ` of ${page.count}` : ''}`
        if (progress) io.stderr.write(status)
      },
    })
    for await (const item of items) {
      batch.push(item)
      if (batch.length >= pageItems) await flush()
    }
    await flush()
    await sink.end()
  } catch (error) {
    // The core checks limit and offset before the first request: a bad value came from -f/-F.
    if (error instanceof RangeError) {
      throw new UsageError(`--paginate: ${error.message.replace(/^paginate: /, '')}`)
    }
    throw error
  } finally {
    if (progress) io.stderr.write('\r\x1b[K')
  }
}
