/**
 * The PostgreSQL store's table: its name as given (`aac_tokens`, `ops.aac_tokens`), checked and quoted, the SQL
 * the store runs on it, and the advisory lock key of a chain.
 */

import { StorageError } from '../../errors.ts'

/** A table name, checked and quoted for SQL. */
export interface TableName {
  /** As given and shown in messages: `aac_tokens`, `ops.aac_tokens`. */
  readonly shown: string
  /** Quoted for SQL: `"aac_tokens"`, `"ops"."aac_tokens"`. */
  readonly sql: string
  /** `schema.table` for to_regclass: quoted the same way. */
  readonly regclass: string
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/

/**
 * Checks `table` (`name` or `schema.name`, plain identifiers) and quotes it.
 *
 * @example
 * tableName('ops.aac_tokens').sql // '"ops"."aac_tokens"'
 */
export function tableName(table: string): TableName {
  const parts = table.split('.')
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new StorageError(
      'STORAGE_ERROR',
      `postgresStorage({ table }) must be a table name or schema.table of letters, digits and _ (starting with a letter or _), not "${table.slice(0, 80)}".`,
    )
  }
  const sql = parts.map((part) => `"${part}"`).join('.')
  return { shown: table, sql, regclass: sql }
}

/**
 * The table, created by the first store that finds it missing. One row per chain: the pair (creds.json's JSON),
 * pairs kept by `saveRecovery`, and the lease of the program holding the chain's lock (see lock.ts).
 */
export function createTableSql(table: TableName): string {
  return `create table if not exists ${table.sql} (
  name text primary key,
  pair text,
  recovered jsonb,
  updated_at timestamptz not null default now(),
  lease_owner text,
  lease_since timestamptz,
  lease_until timestamptz
)`
}

/** What a user without the right to create tables runs once (as an owner), for messages. */
export function setupHint(table: TableName, user: string): string {
  return `${createTableSql(table).replace(/\s+/g, ' ')}; grant select, insert, update on ${table.sql} to "${user}";`
}

/** The two int4 keys of the chain's session-level advisory lock: one for the table, one for the chain. */
export function lockKeys(table: TableName, name: string): readonly [number, number] {
  return [hash31(`aac-tokens ${table.shown}`), hash31(name)]
}

/** FNV-1a, 31 bits: a non-negative int4, so that pg_locks' oid columns compare to it as is. */
function hash31(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash & 0x7fffffff
}
