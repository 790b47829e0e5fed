/** The `code` of a Node-style system error (`ENOENT`, `EEXIST`…), if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
