// Lists every person in the workspace: /v4 lists come in pages (limit/offset), and listPeople walks them.
//
//   tsx examples/node/list_people.ts
//
// Reads aac_url.txt, client_id.txt and creds.json like get_workspace.ts. Set AAC_DEBUG=1 for token events.
import { createClient, listPeople } from '@aac/core'
import { loadConfig } from '@aac/core/fs'
import './proxy.ts' // HTTPS_PROXY and NO_PROXY, which Node's fetch ignores before Node 24
import { runMain } from '@aac/core/process'

await runMain(async ({ signal, logger }) => {
  const { config, storage } = await loadConfig()
  const client = createClient({ config, storage, logger })
  let count = 0
  for await (const person of listPeople(client, { limit: 100, signal })) {
    console.log(`${person.id}\t${person.name}\t${person.email}`)
    count++
  }
  console.error(`${count} people`)
})
