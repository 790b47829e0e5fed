/**
 * What the Redis and PostgreSQL stores say alike: a Deno sandbox refusal of their client, and a failure of the
 * socket itself, which both clients report with Node's own code. Each store's errors.ts explains the rest (its
 * server's replies, its client's own errors).
 */

import { permissionDenial } from '../../internal/permission-hint.ts'

/** The store: the word a message names the server and the client by. */
export interface ServerKind {
  /** `Redis`, `PostgreSQL`: "start the Redis server", "the Redis store". */
  readonly server: string
  /** `redis`, `postgres`: "Deno refused the redis client…". */
  readonly client: string
}

/**
 * The sentence for a Deno permission the client was refused, naming the flag to add; undefined for any other
 * error.
 *
 * @example
 * const denied = explainDenial(error, { server: 'Redis', client: 'redis' })
 */
export function explainDenial(error: unknown, { server, client }: ServerKind): string | undefined {
  const denial = permissionDenial(error)
  if (!denial) return undefined
  return `Deno refused the ${client} client ${denial.kind} access${denial.target ? ` to ${denial.target}` : ''}: run deno with ${denial.flag} (see docs/stores.md for every permission the ${server} store needs).`
}

/**
 * The sentence for a connection that could not be made (refused, a name that does not resolve, no route or
 * no answer); undefined for any other code.
 *
 * @example
 * explainSocketCode('ECONNREFUSED', { server: 'Redis', client: 'redis' })
 * // 'nothing accepts connections at that address (ECONNREFUSED): start the Redis server, …'
 */
export function explainSocketCode(code: unknown, { server }: ServerKind): string | undefined {
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing accepts connections at that address (ECONNREFUSED): start the ${server} server, or fix the host and port of the URL.`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name of the URL does not resolve (${code}): check it.`
    case 'ETIMEDOUT':
    // postgres.js's own code for its connect timeout.
    case 'CONNECT_TIMEOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the server cannot be reached (${code}): check the host, the port and any firewall between.`
  }
  return undefined
}
