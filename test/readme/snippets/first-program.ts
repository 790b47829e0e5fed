import { createClient, getCurrentWorkspace, listPeople } from '@aac/core'
import { loadConfig } from '@aac/core/fs'
import { runMain } from '@aac/core/process'

await runMain(async ({ signal, logger }) => {
  const { config, storage } = await loadConfig() // AAC_CONFIG_DIR, the nearest aac_url.txt above, ~/.config/aac
  const client = createClient({ config, storage, logger })
  const workspace = await getCurrentWorkspace(client, { signal })
  console.log(`${workspace.name}: ${workspace.workspace_member_count} members`)
  let admins = 0
  for await (const person of listPeople(client, { limit: 100, signal })) if (person.isAdmin) admins++
  console.log(`${admins} admins`)
})
