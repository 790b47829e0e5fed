// Prints the current Alteryx Cloud workspace, like Alteryx's own get_workspace example, but refreshing the
// single-use refresh token safely: under a lock shared with every other program using this creds.json.
//
//   tsx examples/node/get_workspace.ts
//
// Reads aac_url.txt, client_id.txt and creds.json from AAC_CONFIG_DIR, else from the nearest folder above the
// working directory that holds them, else from the per-user folder that `aac init` writes. Set AAC_DEBUG=1 for token events and stack traces. Ctrl-C, SIGTERM or
// SIGHUP while a token refresh is answered: the new pair is saved first, then it exits (130, 143, 129).
import { createClient, getCurrentWorkspace } from '@aac/core'
import { loadConfig } from '@aac/core/fs'
import './proxy.ts' // HTTPS_PROXY and NO_PROXY, which Node's fetch ignores before Node 24
import { runMain } from '@aac/core/process'

await runMain(async ({ signal, logger }) => {
  const { config, storage } = await loadConfig()
  const client = createClient({ config, storage, logger })
  const workspace = await getCurrentWorkspace(client, { signal })
  console.log(JSON.stringify(workspace, null, 2))
})
