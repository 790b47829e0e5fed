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
import { BRIDGE_HEADER, BRIDGE_PREFIX, type ErrorBody, PROXY_ERROR_HEADER } from './protocol.ts'

export const BRIDGE_BASE = BRIDGE_PREFIX
const BRIDGE_HEADERS = { 'content-type': 'application/json', [BRIDGE_HEADER]: '1' }

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

/**
 * creds.json through the dev server, locked with the same creds.json.lock as fileStorage, so this page and
 * every script using the file take turns refreshing.
 *
 * @example
 * const storage = bridgeStorage({ location: '/home/me/aac/creds.json' })
 * const client = createClient({ config, storage, fetch: bridgedFetch() })
 */
export function bridgeStorage(options: { location: string; baseUrl?: string }): TokenStorage {
  const baseUrl = options.baseUrl ?? BRIDGE_BASE
  // The file lock is per dev server, not per caller: callers in this page queue here first.
  let tail: Promise<unknown> = Promise.resolve()
  let lockId: string | undefined

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
    async read() {
      const { tokens } = (await call(baseUrl, 'POST', '/storage/read')) as { tokens: StoredTokens | null }
      return tokens ?? undefined
    },
    async write(tokens) {
      // Inside withLock the dev server checks the lock is still ours before replacing the file.
      await call(baseUrl, 'POST', '/storage/write', { tokens: plain(tokens), lockId })
    },
    withLock<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(() => locked(fn))
      tail = result.catch(() => undefined)
      return result
    },
    async saveRecovery(tokens) {
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
 * the hosts in aac_url.txt and trusted token endpoints.
 */
export function bridgedFetch(baseUrl = BRIDGE_BASE): FetchLike {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href)
    if (url.origin === location.origin) return fetch(input, init)
    const headers = new Headers(init?.headers)
    headers.set(BRIDGE_HEADER, '1')
    const target = `${baseUrl}/proxy/${encodeURIComponent(url.origin)}${url.pathname}${url.search}`
    const response = await fetch(target, { ...init, headers })
    const failure = response.headers.get(PROXY_ERROR_HEADER)
    if (failure) {
      // The dev server, not Alteryx Cloud, failed: report it as the network error it stands for.
      const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } }
      const message = body.error?.message ?? `The dev server answered ${response.status}.`
      if (failure === 'NETWORK_ERROR' || failure === 'TLS_ERROR') throw new NetworkError(failure, message)
      if (failure === 'TIMEOUT') throw new TimeoutError('TIMEOUT', message)
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
  let response: Response
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: BRIDGE_HEADERS,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      cache: 'no-store',
    })
  } catch (error) {
    throw new StorageError(
      'STORAGE_ERROR',
      'The dev server does not answer: start it again with `npm run browser`, then reload this page.',
      { cause: error },
    )
  }
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>
  if (!response.ok) {
    const error = data['error'] as ErrorBody | undefined
    throw error
      ? toError(error)
      : new StorageError('STORAGE_ERROR', `The dev server answered ${response.status} to ${path}.`)
  }
  return data
}

function plain(tokens: StoredTokens): StoredTokens {
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }
}
