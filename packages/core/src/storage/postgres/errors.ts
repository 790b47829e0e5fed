/**
 * What a PostgreSQL failure means for the user, in words that name the store and the fix. postgres.js errors
 * carry the server's SQLSTATE as `code` (28P01, 42501…) or its own code for the connection (ECONNREFUSED,
 * CONNECTION_CLOSED…). Only the server's one-line message is quoted, never its `detail`, which can quote values.
 */

import { StorageError } from '../../errors.ts'
import { safeCause } from '../shared/cause.ts'
import { explainDenial, explainSocketCode, type ServerKind } from '../shared/network-failure.ts'

const POSTGRES: ServerKind = { server: 'PostgreSQL', client: 'postgres' }

/** Connection failures: the operation may succeed on a new connection once the server is back. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
])

/**
 * True for a failure of the connection rather than of the statement.
 *
 * @example
 * if (isConnectionFailure(error)) await retryLater()
 */
export function isConnectionFailure(error: unknown): boolean {
  return CONNECTION_CODES.has(String((error as { code?: unknown } | null)?.code))
}

/**
 * The StorageError for a failed `action` ("Could not read the tokens from") on the store at `location`.
 * `setup`: the SQL that creates the table and grants the user, for a permission error.
 *
 * @example
 * throw postgresFailure('Could not read the tokens from', error, storage.location, hint)
 */
export function postgresFailure(
  action: string,
  error: unknown,
  location: string,
  setup?: string,
): StorageError {
  return new StorageError('STORAGE_ERROR', `${action} ${location}: ${explainPostgresError(error, setup)}`, {
    cause: safeCause(error),
    location,
  })
}

/** Why, and what to do, for a postgres.js failure. */
export function explainPostgresError(error: unknown, setup?: string): string {
  const code = String((error as { code?: unknown } | null)?.code ?? '')
  const said =
    error instanceof Error ? error.message.split('\n')[0]!.slice(0, 160) : String(error).slice(0, 160)
  const general = explainDenial(error, POSTGRES) ?? explainSocketCode(code, POSTGRES)
  if (general) return general
  switch (code) {
    case '28P01':
    case '28000':
    case 'SASL_SIGNATURE_MISMATCH':
      return `the server refused the user name or password of the URL (${code}: ${said}). Fix them in the URL (or AAC_STORE).`
    case '3D000':
      return `the database of the URL does not exist (${said}): create it, or fix the URL.`
    case '42501':
      return `the user of the URL lacks a permission the store needs (${said}). Have the table's owner run once: ${setup ?? 'grant select, insert, update on the table to that user'}`
    case '42P01':
      return `the table does not exist (${said}): it is created when missing, so it was dropped meanwhile; run again, or create it: ${setup ?? ''}`.trimEnd()
    case '57P01':
    case '57P02':
    case '57P03':
    case 'CONNECTION_CLOSED':
    case 'CONNECTION_ENDED':
    case 'CONNECTION_DESTROYED':
    case 'ECONNRESET':
    case 'EPIPE':
      return `the connection to the server was lost (${code}: the server restarted or stopped, or the network failed). Try again once the server is back.`
    case '25006':
      return 'the server is a read-only replica (25006): point the URL at the primary.'
    case '53300':
      return 'the server has no connection left (53300 too many connections): raise max_connections or close idle clients.'
  }
  if (/certificate|self[- ]signed|SSL|TLS/i.test(said)) {
    return `the TLS connection failed (${said}). Check the URL's sslmode and the server's certificate.`
  }
  return `${code ? `${code}: ` : ''}${said}`
}
