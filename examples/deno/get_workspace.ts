// Prints the current Alteryx Cloud workspace from Deno, sharing aac_url.txt, client_id.txt and creds.json (and
// the lock on it) with the Node and Bun examples. From the repo root, which holds the three files:
//
//   npx deno run --no-prompt --allow-read=. --allow-write=. --allow-env=AAC_CONFIG_DIR,AAC_DEBUG \
//     --allow-net=api.us1.alteryxcloud.com,us1.alteryxcloud.com,pingauth.alteryxcloud.com \
//     examples/deno/get_workspace.ts
//
// (the same as `npx deno task --config examples/deno/deno.json get-workspace`). Read and write: the folder of
// the three files (AAC_CONFIG_DIR, if set), for creds.json and its lock; net: your region's API, direct and
// token hosts (us1 above). A missing permission is reported with the exact flag to add. Optional:
// --allow-sys=hostname --allow-run let a crashed program's lock be taken over at once, not after 60 s.
// Set AAC_DEBUG=1 for token events and stack traces. Ctrl-C, SIGTERM or SIGHUP while a token refresh is
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
