/**
 * The Vite plugin behind the browser example: JSON endpoints under `/__aac/` that let the page share the root
 * creds.json with the Node, Deno and Bun examples, under the same lock.
 *
 *   GET  /__aac/config          apiUrl, directUrl, projectId, region, or the error the CLI would print
 *   POST /__aac/storage/read    the pair in creds.json
 *   POST /__aac/storage/write   {tokens, lockId?}: atomic write (refused if the lease was lost)
 *   POST /__aac/storage/recover {tokens}: the recovery file beside creds.json
 *   POST /__aac/lock/acquire    → {lockId}: creds.json.lock, as fileStorage takes it
 *   POST /__aac/lock/release    {lockId}
 *   ANY  /__aac/proxy/<origin>/<path>   forwarded to the configured hosts only (see forward.ts)
 *
 * Tokens cross only loopback, and only to this origin's pages: every call must come from a loopback address
 * with a loopback Host header (no DNS rebinding) and carry `x-aac-bridge`, a header other sites cannot send
 * without a CORS preflight this server never approves. Nothing here logs a token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import process from 'node:process'
import { AacError, formatError, isAacError, StorageError } from '@aac/core'
import { fileStorage } from '@aac/core/fs'
import type { Plugin } from 'vite'
import { BRIDGE_HEADER, BRIDGE_PREFIX } from '../src/protocol.ts'
import { type Allowed, forward, isAllowed, proxyTarget, refuse } from './forward.ts'
import { createLeases, type LeaseOptions } from './leases.ts'
import { credsPath, errorBody, readSettings, type SettingsSource } from './settings.ts'

export interface AacBridgeOptions extends LeaseOptions {
  /** The folder with aac_url.txt, client_id.txt and creds.json. Default: AAC_CONFIG_DIR, else the nearest
   * folder above the Vite root that holds aac_url.txt (the repo root). */
  configDir?: string
  /** Where AAC_CONFIG_DIR is read, at each request (default: process.env). */
  env?: Record<string, string | undefined>
  /** Token hosts to trust besides https `*.alteryxcloud.com`, as the token manager's option of that name. */
  trustedTokenHosts?: readonly string[]
}

export function aacBridge(options: AacBridgeOptions = {}): Plugin {
  const leases = createLeases(options)
  const debug = Boolean(process.env['AAC_DEBUG'])
  let root = process.cwd()
  const source = (): SettingsSource => ({
    configDir: options.configDir,
    searchFrom: root,
    env: options.env ?? process.env,
  })

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    if (path.startsWith('/proxy/')) {
      const settings = await readSettings(source())
      const allowed: Allowed = {
        config: settings.config,
        issuer: settings.issuer,
        trustedTokenHosts: options.trustedTokenHosts ?? [],
      }
      const target = proxyTarget(path.slice('/proxy'.length))
      if (!target || !isAllowed(target, method, allowed)) return refuse(res, target, method, allowed)
      return forward(req, res, target)
    }
    if (path === '/config' && method === 'GET') {
      const settings = await readSettings(source())
      return json(res, 200, {
        config: settings.config ?? null,
        credsPath: settings.credsPath ?? null,
        error: settings.error ?? null,
      })
    }
    if (method !== 'POST') return json(res, 404, notFound(method, path))
    const input = await readJson(req)
    const storage = fileStorage({ path: await credsPath(source()) })
    switch (path) {
      case '/storage/read': {
        const tokens = await storage.read()
        return json(res, 200, { tokens: tokens ?? null })
      }
      case '/storage/write': {
        const lockId = typeof input['lockId'] === 'string' ? input['lockId'] : undefined
        if (lockId !== undefined && !(await leases.stillHeld(lockId))) {
          // Another program took the lock over (the page stalled past its lease): writing now could undo its
          // rotation. The page then keeps the pair in a recovery file instead.
          return json(res, 409, {
            error: errorBody(
              new StorageError(
                'STORAGE_ERROR',
                `The page lost its lock on ${storage.lockPath} before saving (it held it longer than the lease); creds.json was not written.`,
                { location: storage.location },
              ),
            ),
          })
        }
        await storage.write(tokensOf(input))
        return json(res, 200, {})
      }
      case '/storage/recover':
        return json(res, 200, { location: await storage.saveRecovery(tokensOf(input)) })
      case '/lock/acquire': {
        // A page that goes away while waiting must not get (and then hold) the lock.
        const gone = new AbortController()
        res.on('close', () => gone.abort())
        const lockId = await leases.acquire(storage.lockPath, gone.signal)
        if (res.destroyed) return leases.release(lockId)
        return json(res, 200, { lockId })
      }
      case '/lock/release':
        if (typeof input['lockId'] === 'string') await leases.release(input['lockId'])
        return json(res, 200, {})
      default:
        return json(res, 404, notFound(method, path))
    }
  }

  return {
    name: 'aac-bridge',
    configResolved(config) {
      root = config.root
    },
    configureServer(server) {
      server.httpServer?.on('close', () => void leases.releaseAll())
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? ''
        if (url !== BRIDGE_PREFIX && !url.startsWith(`${BRIDGE_PREFIX}/`)) return next()
        const refusal = guard(req)
        if (refusal) return json(res, 403, { error: errorBody(bridgeError(refusal)) })
        const path = url.slice(BRIDGE_PREFIX.length)
        handle(req, res, path).catch((error: unknown) => {
          if (!isAacError(error)) {
            server.config.logger.error(`[aac] ${formatError(error, { stack: debug })}`)
          }
          if (!res.headersSent) json(res, 500, { error: errorBody(error) })
          else res.destroy()
        })
      })
    },
  }
}

/** Why a request may not use the bridge, or undefined if it may. */
function guard(req: IncomingMessage): string | undefined {
  if (!isLoopbackAddress(req.socket.remoteAddress)) {
    return 'The token bridge answers loopback clients only: open the page on http://localhost.'
  }
  const host = hostOf(req.headers.host)
  if (!host || !isLoopbackName(host)) {
    return 'The token bridge answers only pages opened as http://localhost:<port> or http://127.0.0.1:<port>.'
  }
  if (req.headers[BRIDGE_HEADER] !== '1')
    return `Requests to the token bridge must carry ${BRIDGE_HEADER}: 1.`
  const origin = req.headers.origin
  if (origin !== undefined && origin !== `http://${req.headers.host}`) {
    return `The token bridge refuses requests from other origins (${origin}).`
  }
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin') {
    return 'The token bridge refuses requests from other sites.'
  }
  return undefined
}

function bridgeError(message: string): AacError {
  return new AacError('HTTP_ERROR', message)
}

function notFound(method: string, path: string) {
  return { error: errorBody(bridgeError(`No bridge endpoint ${method} ${BRIDGE_PREFIX}${path}.`)) }
}

function tokensOf(input: Record<string, unknown>) {
  const tokens = input['tokens'] as Record<string, unknown> | undefined
  // fileStorage refuses empty or non-string tokens itself, with a message naming creds.json.
  return {
    accessToken: tokens?.['accessToken'] as string,
    refreshToken: tokens?.['refreshToken'] as string,
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  const value: unknown = JSON.parse(text)
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined
  try {
    return new URL(`http://${header}`).hostname
  } catch {
    return undefined
  }
}

function isLoopbackName(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false
  const plain = address.replace(/^::ffff:/, '')
  return plain === '::1' || /^127\./.test(plain)
}
