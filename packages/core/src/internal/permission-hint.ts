/**
 * Deno refuses file, network and environment access the command line did not grant, with an error whose
 * message only says "run again with the --allow-read flag". The library wraps such errors (a lock file it could
 * not create, a host it could not reach), so the useful part ends up buried in a cause. These helpers find it
 * and name the exact flag to add. Plain strings only: this runs in the universal entry, without Deno's types.
 */

/** Deno 2 says `NotCapable`; Deno 1 used `PermissionDenied`, which Deno 2 keeps for the operating system's EACCES. */
const DENIAL = /Requires (\w+) access(?: to "([^"]*)")?/

export interface PermissionDenial {
  /** `read`, `write`, `net`, `env`, `sys`, `run`… */
  readonly kind: string
  /** What was refused: a path, `host:port`, a variable name; undefined for `run`. */
  readonly target: string | undefined
  /** The flag that grants it, e.g. `--allow-write=/home/me/aac`. */
  readonly flag: string
}

/**
 * True for a refusal by the runtime's sandbox (not the operating system): a caller that would read "cannot
 * access" as "not there" must rethrow it instead.
 */
export function isPermissionDenial(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  return error.name === 'NotCapable' || (error.name === 'PermissionDenied' && DENIAL.test(error.message))
}

/**
 * The sandbox refusal behind `error`, looking through `cause` chains, with the flag that grants it.
 *
 * @example
 * permissionDenial(error)?.flag // '--allow-read=/home/me/aac'
 */
export function permissionDenial(error: unknown): PermissionDenial | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (isPermissionDenial(current)) {
      const match = DENIAL.exec(current.message)
      if (!match?.[1]) return undefined
      const kind = match[1]
      const target = match[2]
      return { kind, target, flag: flagFor(kind, target) }
    }
    current = current.cause
  }
  return undefined
}

function flagFor(kind: string, target: string | undefined): string {
  if (target === undefined || target === '') return `--allow-${kind}`
  switch (kind) {
    case 'read':
    case 'write':
      return `--allow-${kind}=${folderOf(target)}`
    case 'net':
      // Any port of the host: the fake cloud picks a new one every run.
      return `--allow-net=${target.replace(/:\d+$/, '')}`
    default:
      return `--allow-${kind}=${target}`
  }
}

/**
 * The folder to grant: a file's folder (the lock and temp files have random names), or the path itself when
 * its last part has no extension and so is most likely a folder (AAC_CONFIG_DIR).
 */
function folderOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
  if (cut < 0) return '.'
  const last = path.slice(cut + 1)
  if (!last.includes('.')) return path
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut)
}
