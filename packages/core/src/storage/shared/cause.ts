/**
 * A client library's error made safe to keep as the `cause` of ours: postgres.js puts the statement and its
 * parameters (the tokens, on a write) on its errors, and anything that prints an error with its cause (Node's
 * console.error, a logger, vitest) would print them.
 */

/**
 * The error's name, code and first line, nothing else.
 *
 * @example
 * new StorageError('STORAGE_ERROR', message, { cause: safeCause(error) })
 */
export function safeCause(error: unknown): Error {
  const original = error as { name?: unknown; code?: unknown; message?: unknown } | null
  const message = typeof original?.message === 'string' ? original.message.split('\n')[0]! : String(error)
  const safe = new Error(message.slice(0, 300))
  if (typeof original?.name === 'string') safe.name = original.name
  if (typeof original?.code === 'string' || typeof original?.code === 'number') {
    ;(safe as { code?: unknown }).code = original.code
  }
  return safe
}
