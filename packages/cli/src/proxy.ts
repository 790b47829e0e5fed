/**
 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lowercase forms, which win, as curl reads them) for every
 * request of aac. Node's built-in fetch ignores them before Node 24 (and there, without NODE_USE_ENV_PROXY=1):
 * when one is set, the process entry installs undici's EnvHttpProxyAgent as the global dispatcher, which
 * Node's fetch uses. The core stays fetch-only; undici is loaded only then (its own chunk, proxy/agent.ts).
 */

/** The variables, in the order they are read: lowercase first, as curl and undici do. */
const HTTP_PROXY = ['http_proxy', 'HTTP_PROXY'] as const
const HTTPS_PROXY = ['https_proxy', 'HTTPS_PROXY'] as const
const NO_PROXY = ['no_proxy', 'NO_PROXY'] as const

type Env = Record<string, string | undefined>

/** The first non-blank value of the variables, and its name. */
function read(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim()
    if (value) return { name, value }
  }
  return undefined
}

/** The proxy settings found in `env`. */
export interface ProxySettings {
  /** For http:// URLs (and for https:// ones when no HTTPS_PROXY is set, as undici does). */
  http?: { name: string; value: string }
  https?: { name: string; value: string }
  noProxy?: { name: string; value: string }
}

/**
 * The proxy variables set in `env`, or undefined when there is no proxy to use.
 *
 * @example
 * proxySettings({ HTTPS_PROXY: 'http://proxy:3128' }) // { https: { name: 'HTTPS_PROXY', value: 'http://proxy:3128' } }
 */
export function proxySettings(env: Env): ProxySettings | undefined {
  const http = read(env, HTTP_PROXY)
  const https = read(env, HTTPS_PROXY)
  if (!http && !https) return undefined
  const noProxy = read(env, NO_PROXY)
  return { ...(http && { http }), ...(https && { https }), ...(noProxy && { noProxy }) }
}

/**
 * A proxy URL fit to print: its user name and password replaced, its path dropped.
 *
 * @example
 * redactProxy('http://me:secret@proxy:3128/') // 'http://***@proxy:3128'
 */
export function redactProxy(value: string): string {
  try {
    const url = new URL(value)
    const auth = url.username || url.password ? '***@' : ''
    return `${url.protocol}//${auth}${url.host}`
  } catch {
    return '(not a URL)'
  }
}

/**
 * Routes Node's fetch through the proxies `env` names, when it names any (else nothing is loaded). Call it once,
 * in the process entry, before the first request.
 *
 * @example
 * await useProxyFromEnv(process.env)
 */
export async function useProxyFromEnv(env: Env): Promise<void> {
  const settings = proxySettings(env)
  if (!settings) return
  const { installProxyAgent } = await import('./proxy/agent.ts')
  installProxyAgent({
    httpProxy: settings.http?.value,
    // undici sends https:// through HTTP_PROXY when no HTTPS_PROXY is set.
    httpsProxy: settings.https?.value ?? settings.http?.value,
    noProxy: settings.noProxy?.value ?? '',
  })
}
