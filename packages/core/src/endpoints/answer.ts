/**
 * The one check every typed endpoint makes of an answer: that it is a JSON object. Its fields are then trusted
 * to be of their documented types or absent, as the API sends them; nothing is renamed or filled in. Not
 * exported from the package.
 */

import type { Client } from '../client.ts'
import { AacError } from '../errors.ts'
import type { RequestOptionsWithoutBody } from '../request-options.ts'

/** What to do about an answer that is not an object: a text answer comes from a host that is not the API. */
const CHECK_API_URL =
  'check that aac_url.txt holds the API URL of your region, like https://api.us1.alteryxcloud.com'

/**
 * `value` as `T` if it is a JSON object; else an `UNEXPECTED_RESPONSE` AacError saying `what` it was (`The
 * answer of GET /v4/people/current`) and, after a colon, `hint`.
 */
export function jsonObject<T extends object>(value: unknown, what: string, hint?: string): T {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as T
  const got = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`
  throw new AacError(
    'UNEXPECTED_RESPONSE',
    `${what} is ${got}, not the JSON object Alteryx Cloud sends${hint ? `: ${hint}` : ''}.`,
  )
}

/**
 * `GET path` whose answer must be one JSON object (`/iam/v1/workspaces/current`, `/v4/people/current`…): the
 * object as `T`, or an `UNEXPECTED_RESPONSE` naming the request and pointing at aac_url.txt.
 */
export async function getObject<T extends object>(
  client: Pick<Client, 'get'>,
  path: string,
  options: RequestOptionsWithoutBody,
): Promise<T> {
  return jsonObject<T>(await client.get(path, options), `The answer of GET ${path}`, CHECK_API_URL)
}
