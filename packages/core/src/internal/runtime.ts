/**
 * Which JavaScript runtime we run in, for the User-Agent and for runtime-specific advice (where to put a
 * corporate CA certificate). The globals are read off `globalThis` through loose casts: the universal entry is
 * compiled without Node, Deno or Bun types, and any of these may be absent or shimmed.
 */

export type RuntimeName = 'node' | 'deno' | 'bun' | 'workerd' | 'browser' | 'unknown'

export interface RuntimeInfo {
  readonly name: RuntimeName
  /** `20.11.1`, `2.1.4`… when the runtime says; undefined in browsers. */
  readonly version: string | undefined
}

interface RuntimeGlobals {
  Deno?: { version?: { deno?: unknown } }
  Bun?: { version?: unknown }
  process?: { versions?: { node?: unknown } }
  document?: unknown
  navigator?: { userAgent?: unknown }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Names the runtime. Deno and Bun come first because both also expose a Node-like `process`.
 *
 * @example
 * detectRuntime() // { name: 'node', version: '20.11.1' }
 */
export function detectRuntime(globals: object = globalThis): RuntimeInfo {
  const g = globals as RuntimeGlobals
  if (g.Deno && typeof g.Deno === 'object') return { name: 'deno', version: str(g.Deno.version?.deno) }
  if (g.Bun && typeof g.Bun === 'object') return { name: 'bun', version: str(g.Bun.version) }
  const node = str(g.process?.versions?.node)
  if (node) return { name: 'node', version: node }
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return { name: 'workerd', version: undefined }
  if (g.document !== undefined || g.navigator !== undefined) return { name: 'browser', version: undefined }
  return { name: 'unknown', version: undefined }
}

/**
 * True in a page or web worker (also a test DOM such as jsdom), where the browser owns the User-Agent: setting
 * one is ignored at best and, being no CORS-safelisted header, adds a preflight to every request.
 *
 * @example
 * const headers = isBrowserLike() ? {} : { 'user-agent': 'my-app/1.0' }
 */
export function isBrowserLike(globals: object = globalThis): boolean {
  const g = globals as RuntimeGlobals
  return g.document !== undefined || detectRuntime(globals).name === 'browser'
}

/**
 * `node/20.11.1`, `deno/2.1.4`, `browser`: the runtime as the User-Agent names it.
 *
 * @example
 * runtimeLabel({ name: 'bun', version: '1.1.38' }) // 'bun/1.1.38'
 */
export function runtimeLabel(runtime: RuntimeInfo = detectRuntime()): string {
  return runtime.version ? `${runtime.name}/${runtime.version}` : runtime.name
}

/**
 * What to do about an untrusted certificate (usually a corporate TLS-inspecting proxy) in this runtime.
 *
 * @example
 * tlsHint({ name: 'deno', version: '2.1.4' }) // 'Deno: run with --cert /path/to/corporate-ca.pem, …'
 */
export function tlsHint(runtime: RuntimeInfo = detectRuntime()): string {
  switch (runtime.name) {
    case 'node':
      return 'Node: point NODE_EXTRA_CA_CERTS at your corporate CA certificate before starting (NODE_EXTRA_CA_CERTS=/path/to/corporate-ca.pem node app.js).'
    case 'bun':
      return 'Bun: point NODE_EXTRA_CA_CERTS at your corporate CA certificate before starting (NODE_EXTRA_CA_CERTS=/path/to/corporate-ca.pem bun app.ts).'
    case 'deno':
      return 'Deno: run with --cert /path/to/corporate-ca.pem, or set DENO_CERT=/path/to/corporate-ca.pem (DENO_TLS_CA_STORE=system uses the operating system trust store).'
    case 'browser':
      return 'Browser: the browser checks certificates against the operating system or browser trust store; install the corporate CA certificate there (ask your IT team).'
    default:
      return 'Add your corporate CA certificate to the trust store this runtime uses (Node and Bun: NODE_EXTRA_CA_CERTS=/path/to/corporate-ca.pem; Deno: --cert or DENO_CERT).'
  }
}

/**
 * How to get past a proxy in this runtime, for a request that could not reach its host.
 *
 * @example
 * proxyHint({ name: 'deno', version: '2.1.4' }) // 'behind a proxy, set HTTPS_PROXY'
 */
export function proxyHint(runtime: RuntimeInfo = detectRuntime()): string {
  switch (runtime.name) {
    case 'node':
      return "behind a proxy, set HTTPS_PROXY (and NO_PROXY): the aac command and the Node examples read them; Node's own fetch ignores them before Node 24 (NODE_USE_ENV_PROXY=1), so a program of your own sets undici's EnvHttpProxyAgent as the global dispatcher, as examples/node/proxy.ts does"
    case 'deno':
    case 'bun':
      return 'behind a proxy, set HTTPS_PROXY'
    case 'browser':
      return 'check the browser console for CORS or proxy errors'
    default:
      return 'behind a proxy, make sure this runtime’s fetch uses it'
  }
}
