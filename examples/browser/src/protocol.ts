/**
 * The contract between the page and the dev server (server/plugin.ts): shared by both sides so they cannot
 * drift. No imports: the page type-checks it with DOM types, the server with Node's.
 */

/** Every bridge endpoint lives under this path. */
export const BRIDGE_PREFIX = '/__aac'
/**
 * Sent by the page on every bridge call, holding this run's bridge key. Other sites cannot send it without a
 * CORS preflight the server never approves, and without the key no caller gets an answer.
 */
export const BRIDGE_HEADER = 'x-aac-bridge'
/**
 * The name of the bridge key in the page address's fragment (`http://localhost:5173/#key=…`): the dev server
 * prints that address and opens it, with a new key at each start. The HTML it serves holds no key.
 */
export const KEY_FRAGMENT = 'key'
/** Where the page keeps the key once it took it out of the address bar (localStorage: reloads, other tabs). */
export const KEY_STORAGE_ITEM = 'aac.bridgeKey'
/**
 * Sent with proxied requests while the page holds the creds.json lock (its lease id): the dev server forwards
 * a refresh of the shared pair only under a live lease.
 */
export const LOCK_HEADER = 'x-aac-lock'
/** Set by the forwarding proxy on answers of its own (a refused host), so the page can tell them from the API's. */
export const PROXY_ERROR_HEADER = 'x-aac-proxy-error'
/** Values of {@link PROXY_ERROR_HEADER} that mean the page has no (or no longer) the creds.json lock. */
export const LOCK_ERRORS: readonly string[] = ['LOCK_LOST', 'LOCK_REQUIRED']

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
