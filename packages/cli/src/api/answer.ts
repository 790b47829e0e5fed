/**
 * Printing one answer of `aac api`: JSON rendered, text as it came, a binary body byte for byte (never through
 * a text decoder), `--output FILE` saved as received, `--jq` applied to the JSON text as the server sent it.
 */

import { type AacResponse, parseBodyText } from '@aac/core'
import { UsageError } from '../exit-codes.ts'
import type { CliIo, Paint } from '../io.ts'
import { renderBody } from '../json.ts'
import type { JqProgram } from './jq.ts'
import { pipeBytes, saveBytes, writeOut } from './write.ts'

export interface AnswerOutput {
  jq: JqProgram | undefined
  silent: boolean
  /** `--output`: a file, or `-` for stdout; the body's bytes as received. */
  output: string | undefined
}

/** Types whose body is text (JSON, XML, CSV…): decoded and printed; anything else is bytes. */
const TEXT_TYPE =
  /^(?:text\/|application\/(?:json|xml|javascript|ecmascript|x-www-form-urlencoded|x-ndjson|yaml|x-yaml|csv|sql|graphql)\b)|[+/](?:json|xml)\b/i

/**
 * Whether a body of this content type is text. No type at all counts as text: the core has always decoded
 * such bodies (JSON when they parse), and the API sends its errors and lists with a type.
 *
 * @example
 * isTextType('application/zip') // false
 */
export function isTextType(contentType: string | null): boolean {
  if (!contentType?.trim()) return true
  return TEXT_TYPE.test(contentType.trim()) || /;\s*charset=/i.test(contentType)
}

/**
 * Prints (or saves) a successful answer fetched with `responseType: 'stream'`.
 *
 * @example
 * const response = await client.requestRaw('GET', path, { responseType: 'stream' })
 * await printAnswer(response, io, paint, { jq: undefined, silent: false, output: undefined })
 */
export async function printAnswer(
  response: AacResponse<ReadableStream<Uint8Array>>,
  io: CliIo,
  paint: Paint,
  options: AnswerOutput,
): Promise<void> {
  const body = response.data
  const type = response.headers.get('content-type')
  if (options.output === '-') return pipeBytes(body, io.stdout)
  if (options.output !== undefined) return saveBytes(body, options.output, io.cwd)
  if (options.silent) return body.cancel()
  if (!isTextType(type)) {
    if (options.jq) {
      await body.cancel()
      throw new UsageError(`--jq: the answer is ${type}, not JSON: drop --jq, or save it with --output FILE`)
    }
    if (io.stdout.isTTY) {
      await body.cancel()
      throw new UsageError(
        `the answer is binary (${type}), which a terminal cannot show: save it with --output FILE, or print it anyway with --output -`,
      )
    }
    return pipeBytes(body, io.stdout)
  }
  const text = await new Response(body).text()
  const data = parseBodyText(text, type)
  if (options.jq) {
    if (data === undefined) return
    if (typeof data === 'string' && !/[/+]json\b/i.test(type ?? '')) {
      throw new UsageError(`--jq: the answer is not JSON (${type ?? 'no content type'}): drop --jq`)
    }
    // The text as sent, not the parsed value: jq keeps numbers that JavaScript would round.
    return writeOut(io.stdout, options.jq.run(text))
  }
  await writeOut(io.stdout, renderBody(data, type, paint))
}
