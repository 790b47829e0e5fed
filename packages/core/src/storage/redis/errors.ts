/**
 * What a Redis failure means for the user, in words that name the store and the fix. node-redis's errors carry a
 * `code` for socket failures (ECONNREFUSED…), a class name for its own (SocketClosedUnexpectedlyError…) and the
 * server's reply for refusals (`WRONGPASS …`, `NOPERM …`); none of them quotes the URL or a token.
 */

import { StorageError } from '../../errors.ts'
import { safeCause } from '../shared/cause.ts'
import { explainDenial, explainSocketCode, type ServerKind } from '../shared/network-failure.ts'

const REDIS: ServerKind = { server: 'Redis', client: 'redis' }

/**
 * The StorageError for a failed `action` ("Could not read the tokens from") on the store at `location`.
 *
 * @example
 * throw redisFailure('Could not read the tokens from', error, storage.location)
 */
export function redisFailure(action: string, error: unknown, location: string): StorageError {
  return new StorageError('STORAGE_ERROR', `${action} ${location}: ${explainRedisError(error)}`, {
    cause: safeCause((error as { socketError?: unknown } | null)?.socketError ?? error),
    location,
  })
}

/** Why, and what to do, for a node-redis failure. */
export function explainRedisError(failure: unknown): string {
  // A connection given up on comes wrapped: the socket's own error says why.
  const error = (failure as { socketError?: unknown } | null)?.socketError ?? failure
  const code = (error as { code?: unknown } | null)?.code
  const name = error instanceof Error ? error.name : ''
  const reply = error instanceof Error ? error.message.split('\n')[0]! : String(error)
  const word = /^[A-Z]+/.exec(reply)?.[0]
  const denied = explainDenial(error, REDIS)
  if (denied) return denied
  if (word === 'WRONGPASS' || word === 'NOAUTH' || /invalid password/i.test(reply)) {
    return `the server refused the user name or password of the URL (${word ?? 'AUTH'}). Fix them in the URL (or AAC_STORE).`
  }
  if (word === 'NOPERM') {
    return `the Redis user may not run a command the store needs (${reply.slice(0, 120)}). Allow it GET, SET, DEL, PEXPIRE, HGETALL, HSET, HDEL and EVAL on the store's keys.`
  }
  if (word === 'READONLY')
    return 'the server is a read-only replica (READONLY): point the URL at the primary.'
  if (word === 'LOADING')
    return 'the server is still loading its data after a restart (LOADING): try again in a moment.'
  if (word === 'MISCONF' || word === 'OOM') {
    return `the server refuses writes (${word}: ${word === 'OOM' ? 'out of memory' : 'it cannot save to disk'}). Fix the server, then try again.`
  }
  const socket = explainSocketCode(code, REDIS)
  if (socket) return socket
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return `the connection was cut (${code}): the server restarted or the network failed. Try again.`
  }
  if (name === 'ConnectionTimeoutError') {
    return 'no connection within the connect timeout: check the host, the port and any firewall between.'
  }
  if (
    name === 'SocketClosedUnexpectedlyError' ||
    name === 'ClientClosedError' ||
    name === 'ClientOfflineError'
  ) {
    return 'the connection to the server was lost (it restarted or stopped, or the network failed) and could not be made again in time. Try again once the server is back.'
  }
  if (/certificate|self[- ]signed|SSL|TLS/i.test(reply)) {
    return `the TLS connection failed (${reply.slice(0, 120)}). Check the rediss:// URL and the server's certificate.`
  }
  return `${name && name !== 'Error' ? `${name}: ` : ''}${typeof code === 'string' ? `${code} ` : ''}${reply.slice(0, 160)}`
}
