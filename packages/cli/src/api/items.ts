/**
 * How `aac api --paginate` prints a list while it is walked, page by page, so memory stays flat however long
 * the list:
 * - by default one item per line (JSON Lines: compact in a pipe, indented and coloured on a terminal);
 * - `--jq EXPR`: EXPR runs on each item (not on each page, as `gh api --paginate --jq` does: aac's pages are
 *   an artefact of limit/offset), its results printed as jq prints them;
 * - `--slurp`: one JSON array of every item, streamed as it grows (the same text the whole array would give);
 *   with `--jq`, EXPR runs once on that array, which then has to be held in memory.
 */

import type { CliIo, Paint } from '../io.ts'
import { renderJson, renderJsonAt } from '../json.ts'
import type { JqProgram } from './jq.ts'
import { writeOut } from './write.ts'

/** Receives the items page by page, then the end of the list. */
export interface ItemSink {
  page(items: readonly unknown[]): Promise<void>
  end(): Promise<void>
}

export interface ItemOutput {
  jq: JqProgram | undefined
  slurp: boolean
  silent: boolean
}

/**
 * The sink for the options given.
 *
 * @example
 * const sink = itemSink(io, paint, { jq: undefined, slurp: false, silent: false })
 * await sink.page(items)
 * await sink.end()
 */
export function itemSink(io: CliIo, paint: Paint, options: ItemOutput): ItemSink {
  const out = io.stdout
  const { jq } = options
  if (options.silent) return { page: async () => undefined, end: async () => undefined }
  if (options.slurp && jq) {
    const all: unknown[] = []
    return {
      page: async (items) => {
        for (const item of items) all.push(item)
      },
      end: () => writeOut(out, jq.run(JSON.stringify(all))),
    }
  }
  if (options.slurp) {
    let first = true
    return {
      page: async (items) => {
        if (items.length === 0) return
        const text = items.map((item) => `  ${renderJsonAt(item, '  ', paint)}`).join(',\n')
        await writeOut(out, `${first ? '[\n' : ',\n'}${text}`)
        first = false
      },
      end: () => writeOut(out, first ? '[]\n' : '\n]\n'),
    }
  }
  if (jq) {
    return {
      page: async (items) => {
        if (items.length > 0) await writeOut(out, jq.runEach(JSON.stringify(items)))
      },
      end: async () => undefined,
    }
  }
  const pretty = out.isTTY === true
  return {
    page: async (items) => {
      if (items.length === 0) return
      const lines = items.map((item) => (pretty ? renderJson(item, paint) : JSON.stringify(item)))
      await writeOut(out, `${lines.join('\n')}\n`)
    },
    end: async () => undefined,
  }
}
