// The sentences the Redis and PostgreSQL stores share (storage/shared/network-failure.ts), through each store's
// own explanation: the same failure reads the same in both, naming that store's server and client.
import { describe, expect, it } from 'vitest'
import { explainPostgresError } from '../src/storage/postgres/errors.ts'
import { explainRedisError } from '../src/storage/redis/errors.ts'

const STORES = [
  { server: 'Redis', client: 'redis', explain: (error: unknown) => explainRedisError(error) },
  { server: 'PostgreSQL', client: 'postgres', explain: (error: unknown) => explainPostgresError(error) },
]

const withCode = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code })

describe.each(STORES)('$server store', ({ server, client, explain }) => {
  it('a Deno sandbox refusal names the flag to add and the store', () => {
    const denied = Object.assign(
      new Error('Requires net access to "db.internal:5432", run again with the --allow-net flag'),
      {
        name: 'NotCapable',
      },
    )
    expect(explain(new Error('connect failed', { cause: denied }))).toBe(
      `Deno refused the ${client} client net access to db.internal:5432: run deno with --allow-net=db.internal (see docs/stores.md for every permission the ${server} store needs).`,
    )
  })

  it.each([
    [
      'ECONNREFUSED',
      `nothing accepts connections at that address (ECONNREFUSED): start the ${server} server`,
    ],
    ['ENOTFOUND', 'the host name of the URL does not resolve (ENOTFOUND): check it.'],
    ['EAI_AGAIN', 'the host name of the URL does not resolve (EAI_AGAIN): check it.'],
    [
      'ETIMEDOUT',
      'the server cannot be reached (ETIMEDOUT): check the host, the port and any firewall between.',
    ],
    ['EHOSTUNREACH', 'the server cannot be reached (EHOSTUNREACH)'],
    ['ENETUNREACH', 'the server cannot be reached (ENETUNREACH)'],
  ])('%s: %s', (code, said) => {
    expect(explain(withCode(code))).toContain(said)
  })
})
