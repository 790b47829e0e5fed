/**
 * undici's EnvHttpProxyAgent as the global dispatcher, which Node's built-in fetch (20, 22, 24) uses for every
 * request: through the proxy, or straight to hosts NO_PROXY names. Bundled on its own (dist/proxy-agent.cjs)
 * and loaded only when a proxy variable is set (see ../proxy.ts).
 */
import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici'

/**
 * @example
 * installProxyAgent({ httpProxy: 'http://proxy:3128', httpsProxy: 'http://proxy:3128', noProxy: 'localhost' })
 */
export function installProxyAgent(options: {
  httpProxy?: string | undefined
  httpsProxy?: string | undefined
  noProxy: string
}): void {
  setGlobalDispatcher(
    new EnvHttpProxyAgent({
      ...(options.httpProxy !== undefined && { httpProxy: options.httpProxy }),
      ...(options.httpsProxy !== undefined && { httpsProxy: options.httpsProxy }),
      noProxy: options.noProxy,
    }),
  )
}
