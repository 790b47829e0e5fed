/**
 * The Vite plugin behind the browser example: JSON endpoints under `/__aac/` that let the page share the root
 * creds.json with the Node, Deno and Bun examples, under the same lock. With `AAC_STORE=keychain` (or store.txt)
 * the pair is the keychain entry's instead, under the keychain store's lock file (`bridgeStorage`, settings.ts).
 *
 *   GET  /__aac/config          apiUrl, directUrl, projectId, region, or the error the CLI would print
 *   POST /__aac/storage/read    the pair in creds.json, with its meta (a refresh left in flight, the clock offset)
 *   POST /__aac/storage/write   {tokens, lockId}: atomic write, only under a live lease (else a recovery file);
 *                               `tokens.meta` is checked (see meta.ts) and replaces the stored meta, or removes it
 *   POST /__aac/storage/recover {tokens}: the recovery file beside creds.json
 *   POST /__aac/lock/acquire    → {lockId}: creds.json.lock, as fileStorage takes it
 *   POST /__aac/lock/release    {lockId}
 *   ANY  /__aac/proxy/<origin>/<path>   forwarded to the configured hosts only (see forward.ts)
 *
 * Tokens cross only loopback, and only to this origin's pages: every call must come from a loopback address
 * with a loopback Host header (no DNS rebinding), carry no foreign Origin, and carry `x-aac-bridge` holding
 * this run's key. The key travels only in the page's address (`#key=…`, page-address.ts), which the dev server
 * prints and opens; the HTML it serves holds none. Other sites cannot send that header without a CORS
 * preflight this server never approves, and local callers without the address (another user, a program that
 * fetches the page) do not have the key.
 * Nothing here logs a token.
 *
 * Stopping never loses a pair (see shutdown.ts): the server's close waits for the token requests in flight
 * (at most `stopWaitMs`) and saves what they bring, as when a page goes away mid-refresh; SIGINT and SIGHUP
 * close it as Vite's SIGTERM does, then exit 130 or 129 (143 for SIGTERM).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import process from 'node:process'
import { AacError, formatError, isAacError, StorageError, type StoredTokens } from '@aac/core'
import { isLoopbackHost } from '@aac/core/diagnostics'
import { LOCK_DEFAULTS } from '@aac/core/fs'
import { debugRequested } from '@aac/core/process'
import { refusedWrite, writablePair } from '@aac/core/storage/pair-codec'
import type { Logger, Plugin } from 'vite'
import { BRIDGE_HEADER, BRIDGE_PREFIX, LOCK_HEADER } from '../src/protocol.ts'
import { type Allowed, classify, forward, proxyError, proxyTarget, readBody, refuse } from './forward.ts'
import { createLeases, type LeaseOptions } from './leases.ts'
import { pairMetaOf } from './meta.ts'
import { pageAddress, pageOpener } from './page-address.ts'
import {
  type BridgeStorage,
  bridgeStorage,
  errorBody,
  readSettings,
  type SettingsSource,
} from './settings.ts'
import { createInFlight, stopOnSignals } from './shutdown.ts'

export interface AacBridgeOptions extends LeaseOptions {
  /** The folder with aac_url.txt, client_id.txt and creds.json. Default: AAC_CONFIG_DIR, else the nearest
   * folder above the Vite root that holds aac_url.txt (the repo root). */
  configDir?: string
  /** Where AAC_CONFIG_DIR is read (at each request), and BROWSER and BROWSER_ARGS (default: process.env). */
  env?: Record<string, string | undefined>
  /** Token hosts to trust besides https `*.alteryxcloud.com`, as the token manager's option of that name. */
  trustedTokenHosts?: readonly string[]
  /**
   * Longest time the dev server's close waits for a token request already sent to be answered and saved
   * (default: as long as a program waits for the creds.json lock, the refresh budget plus a margin).
   */
  stopWaitMs?: number
  /**
   * Handle SIGINT and SIGHUP as Vite handles SIGTERM: close the server (which waits), then exit 128 + n; a
   * second signal exits at once (default true; never in middleware mode, where the host program owns them).
   */
  handleSignals?: boolean
}

/** What the plugin offers the program that starts Vite in-process (`plugin.api`). */
export interface AacBridgeApi {
  /** `origin` (as `server.resolvedUrls.local[0]`) with this run's key: the address to open the page at. */
  pageAddress(origin: string): string
}

const KEY_SLOT = Symbol.for('aac-bridge.key')

/**
 * The key of this dev-server process: a new one each time `npm run browser` starts, so pages of an earlier run
 * and callers never given the address get no answer. Kept across restarts inside Vite (`r`, an edited config),
 * which rebuild this plugin: the open page reloads itself then, and must still hold a valid key.
 */
function processKey(): string {
  const slot = globalThis as { [KEY_SLOT]?: string }
  slot[KEY_SLOT] ??= randomBytes(32).toString('base64url')
  return slot[KEY_SLOT]
}

/** A pair the page was handed by a token endpoint and has not saved yet, with where it belongs. */
interface Unsaved {
  tokens: StoredTokens
  storage: BridgeStorage
}

export function aacBridge(options: AacBridgeOptions = {}): Plugin {
  const stopWaitMs = options.stopWaitMs ?? LOCK_DEFAULTS.timeoutMs
  // Pairs delivered to the page under its lease and not written yet, by lease: if the page never writes (it
  // stopped, or its write never arrived), the lease's end saves them under the lock it still holds.
  const delivered = new Map<string, Unsaved>()
  const leases = createLeases({ ...options, beforeEnd: (id, lockHeld) => saveDelivered(id, lockHeld) })
  const inFlight = createInFlight()
  const key = processKey()
  const debug = debugRequested()
  let root = process.cwd()
  let logger: Logger | undefined
  let stopping: Promise<void> | undefined
  let removeSignalListeners = () => {}
  const source = (): SettingsSource => ({
    configDir: options.configDir,
    searchFrom: root,
    env: options.env ?? process.env,
  })

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    if (path.startsWith('/proxy/')) return proxy(req, res, method, path.slice('/proxy'.length))
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
    if (input === 'too-large') {
      return json(res, 413, { error: errorBody(bridgeError('The bridge request is too large.')) })
    }
    const storage = await bridgeStorage(source())
    switch (path) {
      case '/storage/read': {
        const tokens = await storage.read()
        return json(res, 200, { tokens: tokens ? wire(tokens) : null })
      }
      case '/storage/write': {
        const tokens = tokensOf(input)
        const lockId = typeof input['lockId'] === 'string' ? input['lockId'] : undefined
        // Only the holder of the lock may replace creds.json: a write without it could undo the rotation of a
        // program that holds it now, leaving creds.json with a spent refresh token. The pair is kept anyway,
        // since a rotated pair is the only copy there is.
        if (!tokens) return json(res, 400, { error: errorBody(emptyTokens(storage)) })
        // The page has decided what becomes of a pair it was handed: it saves it, or (state 'spent') it found
        // the answer unusable. A record left 'uncertain' means it never read the answer: keep it for later.
        const pending = lockId === undefined ? undefined : delivered.get(lockId)
        if (
          lockId !== undefined &&
          pending &&
          (pending.tokens.refreshToken === tokens.refreshToken || tokens.meta?.refresh?.state === 'spent')
        ) {
          delivered.delete(lockId)
        }
        if (lockId === undefined || !(await leases.stillHeld(lockId))) {
          const recovered = await storage.saveRecovery(tokens)
          const why =
            lockId === undefined
              ? 'creds.json is written only by the holder of its lock, and this write held none'
              : `the page lost its lock on ${storage.lockPath} before saving (it held it past its lease, or another program took it over)`
          const error = new StorageError(
            'STORAGE_ERROR',
            `Not written: ${why}. The pair was saved to ${recovered} instead.`,
            { location: recovered },
          )
          return json(res, 409, { error: errorBody(error), recovered })
        }
        await storage.write(tokens)
        return json(res, 200, {})
      }
      case '/storage/recover': {
        const tokens = tokensOf(input)
        if (!tokens) return json(res, 400, { error: errorBody(emptyTokens(storage)) })
        const location = await storage.saveRecovery(tokens)
        for (const [id, pending] of delivered) {
          if (pending.tokens.refreshToken === tokens.refreshToken) delivered.delete(id)
        }
        return json(res, 200, { location })
      }
      case '/lock/acquire': {
        // A page that goes away while waiting must not get (and then hold) the lock.
        const gone = new AbortController()
        res.on('close', () => gone.abort())
        const lockId = await leases.acquire(await storage.resolveLockPath(), gone.signal)
        if (res.destroyed || stopping) return leases.release(lockId)
        return json(res, 200, { lockId })
      }
      case '/lock/release':
        if (typeof input['lockId'] === 'string') await leases.release(input['lockId'])
        return json(res, 200, {})
      default:
        return json(res, 404, notFound(method, path))
    }
  }

  async function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    rest: string,
  ): Promise<void> {
    const settings = await readSettings(source())
    const allowed: Allowed = {
      config: settings.config,
      issuer: settings.issuer,
      trustedTokenHosts: options.trustedTokenHosts ?? [],
    }
    const target = proxyTarget(rest)
    const destination = target && classify(target, method, allowed)
    if (!target || !destination) return refuse(res, target, method, allowed)
    if (destination === 'api') return forward(req, res, target)

    // A refresh. The refresh token of creds.json is spent only under its lock: by the page that holds a live
    // lease (its id in x-aac-lock), never by one whose lease ended (another program may be rotating now).
    // Without x-aac-lock it is a standalone page spending its own pair, which must not be creds.json's.
    const body = await readBody(req)
    if (body === 'too-large') return proxyError(res, 413, 'HTTP_ERROR', 'The token request is too large.')
    const storage = await bridgeStorage(source())
    const lockId = typeof req.headers[LOCK_HEADER] === 'string' ? req.headers[LOCK_HEADER] : undefined
    if (lockId !== undefined) {
      if (!(await leases.stillHeld(lockId))) {
        return proxyError(
          res,
          409,
          'LOCK_LOST',
          `The page's lock on ${storage.lockPath} ended before its refresh (it held it past its lease, or another program took it over); the refresh token was not sent. Reload the page.`,
        )
      }
    } else if (spends(body, await storage.read().catch(() => undefined))) {
      return proxyError(
        res,
        409,
        'LOCK_REQUIRED',
        `The refresh token of ${storage.location} is spent only under its lock (${storage.lockPath}); this request held none, so it was not sent.`,
      )
    }
    // Nothing is sent for a page that is gone, or by a dev server that is stopping: the token is still good.
    if (res.destroyed) return
    if (stopping) {
      return proxyError(res, 503, 'HTTP_ERROR', 'The dev server is stopping; the refresh token was not sent.')
    }
    const unpin = lockId === undefined ? () => {} : leases.pin(lockId)
    try {
      await inFlight.track(
        forward(req, res, target, {
          body,
          onOrphanedTokens: (tokens) => keepOrphaned(tokens, lockId, storage),
          onDeliveredTokens: (tokens) => {
            if (lockId !== undefined) delivered.set(lockId, { tokens, storage })
          },
        }),
        'token',
      )
    } finally {
      unpin()
    }
  }

  /**
   * The page went away while its refresh was in flight (or the dev server is stopping, which cut it off), and
   * the answer holds the new pair (the old refresh token is spent now). Under the page's lease it goes to
   * creds.json, as the page would have done; else to a recovery file beside creds.json. Either way the
   * terminal says where.
   */
  async function keepOrphaned(tokens: StoredTokens, lockId: string | undefined, storage: BridgeStorage) {
    const lost = stopping
      ? 'The dev server stopped during a token refresh'
      : 'The page went away during a token refresh'
    const held = async () => lockId !== undefined && (await leases.stillHeld(lockId))
    if (await keep(tokens, lockId, storage, lost, held)) await leases.release(lockId as string)
  }

  /** A lease ends with a pair its page was handed and never saved: save it while the lock is still ours. */
  async function saveDelivered(id: string, lockHeld: () => Promise<boolean>): Promise<void> {
    const pending = delivered.get(id)
    if (!pending) return
    delivered.delete(id)
    const lost = stopping
      ? 'The dev server stopped before the page saved the pair of its token refresh'
      : 'The page did not save the pair of its token refresh before its lock ended'
    await keep(pending.tokens, id, pending.storage, lost, lockHeld)
  }

  /**
   * Saves a pair the page cannot: to creds.json while the page's lock is ours (true), else to a recovery file
   * beside it (false). The terminal says which, and where.
   */
  async function keep(
    tokens: StoredTokens,
    lockId: string | undefined,
    storage: BridgeStorage,
    lost: string,
    lockHeld: () => Promise<boolean>,
  ): Promise<boolean> {
    if (await lockHeld().catch(() => false)) {
      try {
        await storage.write(tokens)
        logger?.warn(`[aac] ${lost}; the dev server saved the new pair to ${storage.location}.`)
        return true
      } catch (error) {
        logger?.warn(`[aac] ${lost}, and ${storage.location} could not be written: ${formatError(error)}`)
      }
    }
    try {
      const where = await storage.saveRecovery(tokens)
      const what =
        lockId === undefined
          ? 'paste it into the page (standalone mode)'
          : `copy it into ${storage.location} if no program has rotated since`
      logger?.warn(`[aac] ${lost}; the new pair is in ${where}: ${what}, then delete that file.`)
    } catch (error) {
      logger?.error(`[aac] ${lost}, and its new pair could not be saved: ${formatError(error)}`)
    }
    return false
  }

  /**
   * The server is closing (or restarting): no new token request is sent; the ones in flight are waited for,
   * and what they bring is saved, for at most `stopWaitMs`; then the page's leases end (saving any pair it was
   * handed and had not saved) and the locks are released. Runs once; both ways a close is seen wait for it.
   */
  function shutdown(): Promise<void> {
    stopping ??= (async () => {
      if (inFlight.tokenRequests() > 0) {
        logger?.warn(
          `[aac] Stopping: finishing a token refresh already sent, so that its new pair is saved (at most ${duration(stopWaitMs)}; stop again to quit now)…`,
        )
      }
      if (!(await inFlight.settle(stopWaitMs))) {
        logger?.error(
          `[aac] Stopped waiting for a token refresh after ${duration(stopWaitMs)}: if the token service answers it now, its new pair is lost. The page recorded the refresh before sending it (in creds.json, or in the browser in standalone mode), so the next program to find that pair dead says why.`,
        )
      }
      await leases.releaseAll()
      removeSignalListeners()
    })()
    return stopping
  }

  return {
    name: 'aac-bridge',
    configResolved(config) {
      root = config.root
      logger = config.logger
    },
    /** For the tests and the demo, which start the server in-process: the page's address with this run's key. */
    api: { pageAddress: (origin: string) => pageAddress(origin, key) } satisfies AacBridgeApi,
    // Awaited by Vite's server.close() and restart, after the server is torn down. The httpServer's 'close'
    // (below) starts the same wait earlier, and covers a Vite without this hook.
    closeServer: () => shutdown(),
    configureServer(server) {
      // Vite cuts the page's connections, then closes: from here no token request is sent, and the close is
      // over (see closeServer) only when those in flight are answered and their pairs saved.
      server.httpServer?.on('close', () => void shutdown())
      // The page's address carries the key: Vite's own lines ("Local: http://localhost:5173/") and its opening
      // of that bare address are replaced, at start and by the `u` and `o` shortcuts.
      const opener = pageOpener({
        env: options.env ?? process.env,
        info: (m) => server.config.logger.info(m),
        warn: (m) => server.config.logger.warn(m),
      })
      // At once, not after an await: on a signal, the process exits right after the close.
      server.httpServer?.on('close', () => opener.remove())
      const address = () => {
        const origin = server.resolvedUrls?.local[0]
        return origin ? pageAddress(origin, key) : undefined
      }
      server.printUrls = () => {
        const page = address()
        if (!page) return
        server.config.logger.info(`  ➜  Page:    ${page}`)
        server.config.logger.info(
          "              (after the # is this run's key: only whoever has this address can use the page's token bridge)",
        )
      }
      server.openBrowser = () => {
        const page = address()
        if (page) void opener.open(page)
      }
      if (server.httpServer && options.handleSignals !== false) {
        removeSignalListeners = stopOnSignals({ close: () => server.close(), graceMs: stopWaitMs })
      }
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? ''
        if (url !== BRIDGE_PREFIX && !url.startsWith(`${BRIDGE_PREFIX}/`)) return next()
        const refusal = guard(req, key)
        if (refusal) return json(res, 403, { error: errorBody(bridgeError(refusal)) })
        const path = url.slice(BRIDGE_PREFIX.length)
        inFlight.track(handle(req, res, path)).catch((error: unknown) => {
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
function guard(req: IncomingMessage, key: string): string | undefined {
  // A socket address is an IP: `::ffff:127.0.0.1` is how an IPv4 peer shows on a dual-stack socket.
  const address = req.socket.remoteAddress?.replace(/^::ffff:/, '')
  if (!address || !isLoopbackHost(address)) {
    return 'The token bridge answers loopback clients only: open the page on http://localhost.'
  }
  // The Host header names the site the browser thinks it talks to: a loopback name, or a rebound DNS name.
  const host = hostOf(req.headers.host)
  if (!host || !isLoopbackHost(host)) {
    return 'The token bridge answers only pages opened as http://localhost:<port> or http://127.0.0.1:<port>.'
  }
  const origin = req.headers.origin
  if (origin !== undefined && origin !== `http://${req.headers.host}`) {
    return `The token bridge refuses requests from other origins (${origin}).`
  }
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin') {
    return 'The token bridge refuses requests from other sites.'
  }
  if (!sameSecret(req.headers[BRIDGE_HEADER], key)) {
    return `Requests to the token bridge must carry ${BRIDGE_HEADER} with the key of this dev-server run: open the address \`npm run browser\` printed when it started (it ends in #key=…; each start has a new key).`
  }
  return undefined
}

/** Constant-time: hashing first gives both sides the same length, as timingSafeEqual requires. */
function sameSecret(given: string | string[] | undefined, key: string): boolean {
  if (typeof given !== 'string') return false
  const digest = (text: string) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(key))
}

/** True if this form-encoded token request would spend the refresh token stored in creds.json. */
function spends(body: Buffer, stored: StoredTokens | undefined): boolean {
  if (!stored) return false
  const spent = new URLSearchParams(body.toString('utf8')).get('refresh_token')
  return spent !== null && sameSecret(spent, stored.refreshToken)
}

function bridgeError(message: string): AacError {
  return new AacError('HTTP_ERROR', message)
}

/** The store's own refusal (the pair codec's), before anything is written. */
function emptyTokens(storage: BridgeStorage): StorageError {
  return refusedWrite(storage.location)
}

function notFound(method: string, path: string) {
  return { error: errorBody(bridgeError(`No bridge endpoint ${method} ${BRIDGE_PREFIX}${path}.`)) }
}

/**
 * The pair the page sent (StoredTokens as JSON), if a store may write it (the pair codec's rule), with its meta
 * when that is well-formed and token-free (see meta.ts): a malformed meta is dropped, never a reason to lose the
 * pair.
 */
function tokensOf(input: Record<string, unknown>): StoredTokens | undefined {
  const pair = writablePair(input['tokens'], 'wire')
  if (!pair) return undefined
  const { accessToken, refreshToken } = pair
  const meta = pairMetaOf(pair.meta, [accessToken, refreshToken])
  return { accessToken, refreshToken, ...(meta && { meta }) }
}

/** The pair as the page receives it: the store's fields, and nothing else it may hold. */
function wire(tokens: StoredTokens): StoredTokens {
  const { accessToken, refreshToken, meta } = tokens
  return { accessToken, refreshToken, ...(meta && { meta }) }
}

/** Two tokens and a little meta: anything much larger is not a bridge call. */
const MAX_JSON_BYTES = 256 * 1024

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | 'too-large'> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_JSON_BYTES) return 'too-large'
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  const value: unknown = JSON.parse(text)
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`
}

function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined
  try {
    return new URL(`http://${header}`).hostname
  } catch {
    return undefined
  }
}
