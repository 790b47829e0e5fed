// Prints the current Alteryx Cloud workspace from Bun, sharing aac_url.txt, client_id.txt and creds.json (and
// the lock on it) with the Node and Deno examples. From the repo root, or any folder below the three files:
//
//   npx bun run examples/bun/get_workspace.ts
//
// Reads the files from AAC_CONFIG_DIR, or from the nearest folder above the working directory that holds
// them. Set AAC_DEBUG=1 for token events and stack traces. Ctrl-C, SIGTERM or SIGHUP while a token refresh is
// answered: the new pair is saved first, then it exits (130, 143, 129).
import { createClient, getCurrentWorkspace } from '@aac/core'
import { loadConfig } from '@aac/core/fs'
import { runMain } from '@aac/core/process'

await runMain(async ({ signal, logger }) => {
  const { config, storage } = await loadConfig()
  const client = createClient({ config, storage, logger })
  const workspace = await getCurrentWorkspace(client, { signal })
  console.log(JSON.stringify(workspace, null, 2))
})
