/**
 * The contract between the page and the dev server (server/plugin.ts): shared by both sides so they cannot
 * drift. No imports: the page type-checks it with DOM types, the server with Node's.
 */

/** Every bridge endpoint lives under this path. */
export const BRIDGE_PREFIX = '/__aac'
/** Sent by the page on every bridge call; other sites cannot send it without a preflight the server refuses. */
export const BRIDGE_HEADER = 'x-aac-bridge'
/** Set by the forwarding proxy on answers of its own (a refused host), so the page can tell them from the API's. */
export const PROXY_ERROR_HEADER = 'x-aac-proxy-error'

/** An error as the page receives it: enough to rebuild the typed error, plus the line the CLI prints. */
export interface ErrorBody {
  name: string
  code: string
  message: string
  file?: string
  location?: string
  /** `formatError(error)`: the very line `tsx examples/node/get_workspace.ts` prints on stderr. */
  line: string
}
