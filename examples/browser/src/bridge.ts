// The page's side of the dev-server bridge (examples/browser/server/plugin.ts): a TokenStorage on the root
// creds.json, and a fetch that reaches Alteryx Cloud through the dev server. The core's token manager does
// all the refresh logic on top, exactly as in Node, Deno and Bun.
import {
  type AacConfig,
  AacError,
  ConfigError,
  type FetchLike,
  NetworkError,
  StorageError,
  type StoredTokens,
  TimeoutError,
  type TokenStorage,
} from '@aac/core'
import {
  BRIDGE_HEADER,
  BRIDGE_PREFIX,
  type ErrorBody,
  KEY_FRAGMENT,
  KEY_STORAGE_ITEM,
  LOCK_ERRORS,
  LOCK_HEADER,
  PROXY_ERROR_HEADER,
} from './protocol.ts'

export const BRIDGE_BASE = BRIDGE_PREFIX

let keyOfThisTab: string | undefined

/**
 * This dev-server run's key, which every bridge call carries. It arrives in the address's fragment (`#key=…`,
 * never sent to a server); the page takes it out of the address bar (a shared screen, a copied link) and keeps
 * it in localStorage, which only pages of this origin read: a reload, a second tab, standalone mode or a
 * bookmark of http://localhost:5173 then work until the dev server is started again. main.ts calls this first.
 */
export function takeBridgeKey(): string | undefined {
  if (keyOfThisTab) return keyOfThisTab
  const fromAddress = new URLSearchParams(location.hash.slice(1)).get(KEY_FRAGMENT) ?? undefined
  if (fromAddress) history.replaceState(history.state, '', `${location.pathname}${location.search}`)
  try {
    if (fromAddress) localStorage.setItem(KEY_STORAGE_ITEM, fromAddress)
    keyOfThisTab = fromAddress ?? localStorage.getItem(KEY_STORAGE_ITEM) ?? undefined
  } catch {
    keyOfThisTab = fromAddress // storage turned off: the key serves this load only
  }
  return keyOfThisTab
}

function bridgeKey(): string {
  const key = takeBridgeKey()
  if (!key) {
    throw new StorageError(
      'STORAGE_ERROR',
      "This page was opened without the dev server's key: open the address `npm run browser` printed in its terminal (it ends in #key=…); it opens that address itself unless BROWSER=none.",
    )
  }
  return key
}

export interface BridgeConfig {
  /** Present when aac_url.txt and client_id.txt are valid. */
  config: AacConfig | null
  credsPath: string | null
  /** Set when the CLI examples would fail on these files. */
  error: ErrorBody | null
}

export async function loadBridgeConfig(baseUrl = BRIDGE_BASE): Promise<BridgeConfig> {
  return (await call(baseUrl, 'GET', '/config')) as unknown as BridgeConfig
}

/** A {@link TokenStorage} on the dev server's bridge. */
export interface BridgeStorage extends TokenStorage {
  /** The lease on creds.json.lock while `withLock` runs, for the token request bridgedFetch makes then. */
  lockId(): string | undefined
}

/**
 * creds.json through the dev server, locked with the same creds.json.lock as fileStorage, so this page and
 * every script using the file take turns refreshing.
 *
 * @example
 * const storage = bridgeStorage({ location: '/home/me/aac/creds.json' })
 * const client = createClient({ config, storage, fetch: bridgedFetch({ storage }) })
 */
export function bridgeStorage(options: { location: string; baseUrl?: string }): BridgeStorage {
  const baseUrl = options.baseUrl ?? BRIDGE_BASE
  // The file lock is per dev server, not per caller: callers in this page queue here first.
  let tail: Promise<unknown> = Promise.resolve()
  let lockId: string | undefined
  // Where the dev server kept a pair it would not write to creds.json (the lease was lost), so that the
  // token manager's saveRecovery that follows points there instead of making a second copy.
  let recovered: { refreshToken: string; location: string } | undefined

  async function locked<T>(fn: () => Promise<T>): Promise<T> {
    const { lockId: id } = (await call(baseUrl, 'POST', '/lock/acquire')) as { lockId: string }
    lockId = id
    try {
      return await fn()
    } finally {
      lockId = undefined
      await call(baseUrl, 'POST', '/lock/release', { lockId: id }).catch(() => undefined)
    }
  }

  return {
    location: options.location,
    lockId: () => lockId,
    async read() {
      // With its meta: a refresh another program (or an earlier page) left in flight, the clock offset.
      const { tokens } = (await call(baseUrl, 'POST', '/storage/read')) as { tokens: StoredTokens | null }
      return tokens ? withMeta(tokens) : undefined
    },
    async write(tokens) {
      // The dev server replaces the file only while our lease still holds creds.json.lock; else it keeps the
      // pair in a recovery file and says where. The meta goes along (and replaces the stored one, or removes
      // it when there is none): the record of a refresh about to be sent must reach creds.json before the
      // refresh token leaves, where the next program sees it if this page or the dev server dies meanwhile.
      const { ok, data, error } = await send(baseUrl, 'POST', '/storage/write', {
        tokens: withMeta(tokens),
        lockId,
      })
      if (typeof data['recovered'] === 'string') {
        recovered = { refreshToken: tokens.refreshToken, location: data['recovered'] }
      }
      if (!ok) throw error
    },
    withLock<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(() => locked(fn))
      tail = result.catch(() => undefined)
      return result
    },
    async saveRecovery(tokens) {
      if (recovered?.refreshToken === tokens.refreshToken) return recovered.location
      const { location } = (await call(baseUrl, 'POST', '/storage/recover', { tokens: plain(tokens) })) as {
        location: string
      }
      return location
    },
  }
}

/**
 * A fetch for createClient and the token manager: calls to other origins go through the dev server's
 * forwarding route, because Alteryx Cloud sends no CORS headers to localhost. The dev server forwards only to
 * the hosts in aac_url.txt and trusted token endpoints, and a refresh of creds.json's pair only under the
 * lease of `storage` (pass the bridgeStorage the token manager uses).
 */
export function bridgedFetch(options: { storage?: BridgeStorage; baseUrl?: string } = {}): FetchLike {
  const baseUrl = options.baseUrl ?? BRIDGE_BASE
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href)
    if (url.origin === location.origin) return fetch(input, init)
    const headers = new Headers(init?.headers)
    headers.set(BRIDGE_HEADER, bridgeKey())
    // The token manager refreshes inside withLock: the lease it holds then goes along.
    const lockId = options.storage?.lockId()
    if (lockId !== undefined) headers.set(LOCK_HEADER, lockId)
    const target = `${baseUrl}/proxy/${encodeURIComponent(url.origin)}${url.pathname}${url.search}`
    const response = await fetch(target, { ...init, headers })
    const failure = response.headers.get(PROXY_ERROR_HEADER)
    if (failure) {
      // The dev server, not Alteryx Cloud, failed: report it as the network error it stands for.
      const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } }
      const message = body.error?.message ?? `The dev server answered ${response.status}.`
      if (failure === 'NETWORK_ERROR' || failure === 'TLS_ERROR') throw new NetworkError(failure, message)
      if (failure === 'TIMEOUT') throw new TimeoutError('TIMEOUT', message)
      if (LOCK_ERRORS.includes(failure)) throw new StorageError('STORAGE_ERROR', message)
      throw new AacError('HTTP_ERROR', message)
    }
    return response
  }
}

/** Rebuilds the typed error the dev server reported, so the page can branch on it and print it the same way. */
export function toError(body: ErrorBody): AacError {
  const code = body.code as AacError['code']
  if (body.name === 'ConfigError') {
    return new ConfigError(code as 'CONFIG_INVALID', body.file ?? 'config', body.message)
  }
  if (body.name === 'StorageError') {
    return new StorageError(code as 'STORAGE_ERROR', body.message, {
      ...(body.location !== undefined && { location: body.location }),
    })
  }
  return new AacError(code, body.message)
}

async function call(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const { ok, data, error } = await send(baseUrl, method, path, body)
  if (!ok) throw error
  return data
}

/** One bridge call; an answer other than 2xx comes back as the typed error it stands for, not thrown. */
async function send(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ ok: boolean; data: Record<string, unknown>; error: AacError | undefined }> {
  const headers = { 'content-type': 'application/json', [BRIDGE_HEADER]: bridgeKey() }
  let response: Response
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      cache: 'no-store',
    })
  } catch (error) {
    throw new StorageError(
      'STORAGE_ERROR',
      'The dev server does not answer: start it again with `npm run browser` and open the address it prints (each start has a new key).',
      { cause: error },
    )
  }
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>
  if (response.ok) return { ok: true, data, error: undefined }
  const reported = data['error'] as ErrorBody | undefined
  const error = reported
    ? toError(reported)
    : new StorageError('STORAGE_ERROR', `The dev server answered ${response.status} to ${path}.`)
  return { ok: false, data, error }
}

/** The pair alone: what a recovery file holds. */
function plain(tokens: StoredTokens): StoredTokens {
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }
}

/** The pair and its meta, and nothing else an object may carry. */
function withMeta(tokens: StoredTokens): StoredTokens {
  const meta = tokens.meta
  return { ...plain(tokens), ...(meta && typeof meta === 'object' && { meta }) }
}
