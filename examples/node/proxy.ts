// HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lowercase forms, which win) for the examples. Node's built-in
// fetch ignores them before Node 24 (and there without NODE_USE_ENV_PROXY=1), so when one is set this routes
// fetch through undici's EnvHttpProxyAgent, as the global dispatcher that Node's fetch uses. The core never
// needs to know: it calls fetch. undici is loaded only then. Copy this file into a program of your own, or
// pass createClient a fetch of your choosing.
//
//   import './proxy.ts'      (first, before any request)
import process from 'node:process'

/** The first of the variables set to something other than blanks. */
const read = (...names: string[]) => names.map((name) => process.env[name]?.trim()).find((value) => value)
const httpProxy = read('http_proxy', 'HTTP_PROXY')
const httpsProxy = read('https_proxy', 'HTTPS_PROXY') ?? httpProxy
if (httpsProxy) {
  const { EnvHttpProxyAgent, setGlobalDispatcher } = await import('undici')
  const noProxy = read('no_proxy', 'NO_PROXY') ?? ''
  setGlobalDispatcher(new EnvHttpProxyAgent({ ...(httpProxy && { httpProxy }), httpsProxy, noProxy }))
}
