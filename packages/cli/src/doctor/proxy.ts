/** Which proxy the requests go through, when HTTPS_PROXY or HTTP_PROXY is set (aac installs it: see proxy.ts). */

import { proxySettings, redactProxy } from '../proxy.ts'
import type { Check } from './check.ts'

export const proxy: Check = ({ io, offline }) => {
  const settings = proxySettings(io.env)
  if (!settings) return { steps: [] }
  // With no HTTPS_PROXY, https:// goes through HTTP_PROXY too (undici's rule, which aac follows).
  const https = settings.https ?? settings.http
  const parts = [
    https && `https:// through ${redactProxy(https.value)} (${https.name})`,
    settings.http && `http:// through ${redactProxy(settings.http.value)} (${settings.http.name})`,
    settings.noProxy && `not for ${settings.noProxy.value} (${settings.noProxy.name})`,
  ].filter((part) => part)
  const detail = `${parts.join('; ')}${offline ? '' : ': the checks below go through it'}`
  return { steps: [{ name: 'proxy', status: 'pass', detail }] }
}
