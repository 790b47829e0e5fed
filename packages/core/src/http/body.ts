/**
 * Decoding an answer's body: JSON when it is JSON, text otherwise, nothing when empty; or, when the caller asks,
 * the bytes untouched (see `responseType`).
 */

import type { ResponseType } from '../request-options.ts'

/**
 * Decodes a body: JSON when the content type says so or (for untyped and text/plain bodies) when it parses,
 * `undefined` when empty, else the text. `/v4/jobGroups/{id}/status` answers a bare JSON string.
 *
 * @example
 * parseBodyText('"Complete"', 'application/json') // 'Complete'
 * parseBodyText('', 'application/json') // undefined
 */
export function parseBodyText(text: string, contentType: string | null): unknown {
  if (text === '') return undefined
  const type = (contentType ?? '').toLowerCase()
  const saysJson = /[/+]json\b/.test(type)
  const mayBeJson = type === '' || type.startsWith('text/plain')
  if (saysJson || (mayBeJson && /^\s*[[{"]/.test(text))) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

/**
 * Reads a response body as `responseType` asks (see {@link parseBodyText} for `'auto'`). Bodiless answers give
 * `undefined` in `'auto'` mode and an empty value of the asked type otherwise, so a caller of `'arrayBuffer'`
 * always gets an ArrayBuffer.
 *
 * @example
 * const data = await readResponseBody(await fetch(url))
 * const bytes = await readResponseBody(await fetch(url), 'GET', 'arrayBuffer') // ArrayBuffer, byte for byte
 */
export async function readResponseBody(
  response: Response,
  method = 'GET',
  responseType: ResponseType = 'auto',
): Promise<unknown> {
  const bodiless =
    method.toUpperCase() === 'HEAD' ||
    response.status === 204 ||
    response.status === 205 ||
    response.status === 304
  // Text would turn bytes that are not UTF-8 into U+FFFD: a ZIP's `50 4b 03 04 ff fe` came back `… ef bf bd`.
  switch (responseType) {
    case 'auto':
      return bodiless ? undefined : parseBodyText(await response.text(), response.headers.get('content-type'))
    case 'text':
      return bodiless ? '' : response.text()
    case 'arrayBuffer':
      return bodiless ? new ArrayBuffer(0) : response.arrayBuffer()
    case 'blob':
      return bodiless ? new Blob([]) : response.blob()
    case 'stream':
      return (bodiless ? undefined : response.body) ?? emptyStream()
    default:
      throw new TypeError(
        `responseType must be 'auto', 'text', 'arrayBuffer', 'blob' or 'stream', got ${JSON.stringify(responseType)}.`,
      )
  }
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() })
}
