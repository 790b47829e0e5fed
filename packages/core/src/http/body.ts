/**
 * Decoding an answer's body: JSON when it is JSON, text otherwise, nothing when empty.
 */

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
 * Reads and decodes a response body (see {@link parseBodyText}); bodiless answers give `undefined`.
 *
 * @example
 * const data = await readResponseBody(await fetch(url))
 */
export async function readResponseBody(response: Response, method = 'GET'): Promise<unknown> {
  if (method.toUpperCase() === 'HEAD' || response.status === 204 || response.status === 205) return undefined
  if (response.status === 304) return undefined
  return parseBodyText(await response.text(), response.headers.get('content-type'))
}
