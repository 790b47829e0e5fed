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
 * Prints a successful answer read whole (`responseType: 'arrayBuffer'`, so the client's timeout covers the
 * reading), or saves one streamed (`'stream'`) to `--output`.
 *
 * @example
 * const response = await client.requestRaw<ArrayBuffer>('GET', path, { responseType: 'arrayBuffer' })
 * await printAnswer(response, io, paint, { jq: undefined, silent: false, output: undefined })
 */
export async function printAnswer(
  response: AacResponse<ArrayBuffer | ReadableStream<Uint8Array>>,
  io: CliIo,
  paint: Paint,
  options: AnswerOutput,
): Promise<void> {
  const { data } = response
  if (options.output !== undefined) {
    const stream = data instanceof ArrayBuffer ? new Response(data).body! : data
    return options.output === '-' ? pipeBytes(stream, io.stdout) : saveBytes(stream, options.output, io.cwd)
  }
  if (options.silent) return
  const bytes = new Uint8Array(data instanceof ArrayBuffer ? data : await new Response(data).arrayBuffer())
  const type = response.headers.get('content-type')
  if (!isTextType(type)) {
    if (options.jq) {
      throw new UsageError(`--jq: the answer is ${type}, not JSON: drop --jq, or save it with --output FILE`)
    }
    if (io.stdout.isTTY) {
      throw new UsageError(
        `the answer is binary (${type}), which a terminal cannot show: save it with --output FILE, or print it anyway with --output -`,
      )
    }
    return writeOut(io.stdout, bytes)
  }
  const text = new TextDecoder().decode(bytes)
  const decoded = parseBodyText(text, type)
  if (options.jq) {
    if (decoded === undefined) return
    if (typeof decoded === 'string' && !/[/+]json\b/i.test(type ?? '')) {
      throw new UsageError(`--jq: the answer is not JSON (${type ?? 'no content type'}): drop --jq`)
    }
    // The text as sent, not the parsed value: jq keeps numbers that JavaScript would round.
    return writeOut(io.stdout, options.jq.run(text))
  }
  await writeOut(io.stdout, renderBody(decoded, type, paint))
}
