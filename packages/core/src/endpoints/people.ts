/**
 * People: `GET /v4/people/current` and the `/v4/people` list, on the direct host
 * (`https://<region>.alteryxcloud.com`).
 */

import type { Client } from '../client.ts'
import { type PaginateOptions, paginate } from '../paginate.ts'
import type { RequestOptionsWithoutBody } from '../request-options.ts'
import { getObject, jsonObject } from './answer.ts'

const PEOPLE = '/v4/people'
const CURRENT_PERSON = '/v4/people/current'

/**
 * A person as `/v4/people` and `/v4/people/current` answer one, camelCase throughout. Every field is optional:
 * the API may leave any of them out (and a `fields` query does).
 *
 * @example
 * const me = await getCurrentPerson(client)
 * console.log(`${me.name} <${me.email}>${me.isAdmin ? ' (admin)' : ''}`)
 */
export interface Person {
  /** The person's id, as `/v4/people/{id}` takes it. */
  id?: number
  /** The sign-in email address. */
  email?: string
  /** The display name. */
  name?: string
  /** `active` for a person who can sign in. */
  state?: string
  /** True for a workspace admin. */
  isAdmin?: boolean
  /** True when the account is disabled. */
  isDisabled?: boolean
  /** The single sign-on identity, or null without SSO. */
  ssoPrincipal?: string | null
  /** The Hadoop principal, or null when none is set. */
  hadoopPrincipal?: string | null
  /** ISO date of the last sign-in. */
  lastLoginTime?: string | null
  /** ISO date. */
  createdAt?: string
  /** ISO date of the last change. */
  updatedAt?: string
}

/**
 * The person the access token belongs to: `GET /v4/people/current`. `options` are those of `client.get`
 * (`signal`, `timeoutMs`, `headers`, `query`, `retry`).
 *
 * @example
 * const me = await getCurrentPerson(client, { signal })
 * console.log(`signed in as ${me.email}`)
 */
export async function getCurrentPerson(
  client: Pick<Client, 'get'>,
  options: RequestOptionsWithoutBody = {},
): Promise<Person> {
  return getObject<Person>(client, CURRENT_PERSON, options)
}

/**
 * Every person of the workspace, fetched page by page from `GET /v4/people` with {@link paginate}: `options`
 * are its own (`limit` per page, default 100; `offset`; `onPage`; `query` such as `sort` or `filter`) and those
 * of `client.get` (`signal`…).
 *
 * @example
 * for await (const person of listPeople(client, { limit: 500, signal })) {
 *   console.log(`${person.id}\t${person.email}`)
 * }
 * let admins = 0
 * for await (const person of listPeople(client, { query: { fields: 'id;isAdmin' } })) if (person.isAdmin) admins++
 */
export async function* listPeople(
  client: Pick<Client, 'get'>,
  options: PaginateOptions = {},
): AsyncGenerator<Person, void, undefined> {
  for await (const item of paginate(client, PEOPLE, options)) {
    yield jsonObject<Person>(item, `An item of GET ${PEOPLE}`)
  }
}
