// Prints the current Alteryx Cloud workspace from Bun, sharing aac_url.txt, client_id.txt and creds.json (and
// the lock on it) with the Node and Deno examples. From the repo root, or any folder below the three files:
//
//   npx bun run examples/bun/get_workspace.ts
//
// Reads the files from AAC_CONFIG_DIR, or from the nearest folder above the working directory that holds
// them. Set AAC_DEBUG=1 for token events and stack traces.
import { createClient, formatError } from '@aac/core'
import { loadConfig } from '@aac/core/fs'

const debug = Boolean(Bun.env.AAC_DEBUG)

try {
  const { config, storage } = await loadConfig()
  const client = createClient({
    config,
    storage,
    ...(debug && { logger: (message: string) => console.error(`[aac] ${message}`) }),
  })
  const workspace = await client.get('/iam/v1/workspaces/current')
  console.log(JSON.stringify(workspace, null, 2))
} catch (error) {
  console.error(formatError(error, { stack: debug }))
  process.exitCode = 1
}
