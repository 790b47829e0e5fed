/**
 * Deno runs `node:` code under its sandbox: a look the command line did not grant either throws (`--no-prompt`)
 * or stops the program to ask the user (a terminal). The safety checks that are only extras (the mount table,
 * this user's id) must do neither: they ask first, and go without when not granted.
 */

type Descriptor = { name: 'read'; path: string } | { name: 'sys'; kind: 'uid' | 'hostname' }

interface DenoPermissions {
  querySync?(descriptor: Descriptor): { state: string }
}

/**
 * True when using `descriptor` neither throws nor prompts: always outside Deno; in Deno, only when already
 * granted.
 *
 * @example
 * if (mayUse({ name: 'read', path: '/proc/self/mountinfo' })) await readFile('/proc/self/mountinfo', 'utf8')
 */
export function mayUse(descriptor: Descriptor): boolean {
  const deno = (globalThis as { Deno?: { permissions?: DenoPermissions } }).Deno
  if (!deno) return true
  const permissions = deno.permissions
  if (!permissions?.querySync) return false
  try {
    return permissions.querySync(descriptor).state === 'granted'
  } catch {
    return false
  }
}

/** This process's user id, when the runtime has one and may tell it (undefined on Windows, or Deno without it). */
export function currentUid(): number | undefined {
  if (!mayUse({ name: 'sys', kind: 'uid' })) return undefined
  try {
    return process.getuid?.()
  } catch {
    return undefined
  }
}
