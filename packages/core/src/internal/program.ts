/**
 * Who we are, for the record a refresh leaves behind ("sent by get_workspace.ts, pid 4242"). Read off
 * `globalThis` through loose casts: the universal entry has no Node, Deno or Bun types, and in a browser none of
 * this exists.
 */

interface ProgramGlobals {
  process?: { pid?: unknown; argv?: unknown }
  Deno?: { pid?: unknown; mainModule?: unknown }
}

export interface ProgramIdentity {
  /** The script's file name (`get_workspace.ts`), else the runtime's name. */
  readonly program: string
  readonly pid: number | undefined
  /** The machine's name, where the runtime tells it without asking anyone; a shared store's records need it. */
  readonly host: string | undefined
}

/**
 * @example
 * currentProgram() // { program: 'get_workspace.ts', pid: 4242, host: 'worker-3' }
 */
export function currentProgram(globals: object = globalThis): ProgramIdentity {
  const g = globals as ProgramGlobals
  const denoPid = typeof g.Deno?.pid === 'number' ? g.Deno.pid : undefined
  const nodePid = typeof g.process?.pid === 'number' ? g.process.pid : undefined
  const argv = Array.isArray(g.process?.argv) ? (g.process.argv as unknown[]) : []
  const script =
    typeof g.Deno?.mainModule === 'string'
      ? g.Deno.mainModule
      : typeof argv[1] === 'string'
        ? argv[1]
        : undefined
  const program = script
    ? (script.split(/[/\\]/).pop() ?? script)
    : g.Deno
      ? 'deno'
      : g.process
        ? 'node'
        : 'a web page'
  return { program, pid: denoPid ?? nodePid, host: hostOf(g) }
}

/**
 * Node 20.16+, Bun: `node:os` without an import (the universal entry has none). Deno: only when --allow-sys
 * already grants it, since asking would stop the program at a prompt. Browsers: none.
 */
function hostOf(g: ProgramGlobals): string | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: read off globalThis loosely, as above; every step may be missing.
  type Loose = any
  try {
    const deno: Loose = g.Deno
    const name = deno
      ? deno.permissions?.querySync?.({ name: 'sys', kind: 'hostname' })?.state === 'granted' &&
        deno.hostname()
      : (g.process as Loose)?.getBuiltinModule?.('node:os')?.hostname()
    return typeof name === 'string' && name !== '' ? name : undefined
  } catch {
    return undefined
  }
}

/**
 * A short, one-way identifier of a refresh token, so that a record about a token can be matched to it later
 * without storing the token: the first 16 hex digits of its SHA-256 (Web Crypto, in every runtime we run in).
 */
export async function tokenId(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return [...new Uint8Array(digest).slice(0, 8)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}
