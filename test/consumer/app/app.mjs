// A user's app, run from the installed tarballs by Node 20/22/24, Deno and Bun: the config from AAC_CONFIG_DIR,
// whose access token the test made expired, so the call below first refreshes the pair.
import { createClient, getCurrentWorkspace, VERSION } from '@aac/core'
import { loadConfig } from '@aac/core/fs'
import { runMain } from '@aac/core/process'

await runMain(async ({ signal }) => {
  const { config, storage } = await loadConfig()
  const client = createClient({ config, storage })
  const workspace = await getCurrentWorkspace(client, { signal })
  console.log(JSON.stringify({ version: VERSION, workspace: workspace.name }))
})
