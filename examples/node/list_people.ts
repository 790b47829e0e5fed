// Lists every person in the workspace: /v4 lists come in pages (limit/offset), and client.paginate walks them.
//
//   tsx examples/node/list_people.ts
//
// Reads aac_url.txt, client_id.txt and creds.json like get_workspace.ts. Set AAC_DEBUG=1 for token events.
import { createClient, formatError } from '@aac/core'
import { loadConfig } from '@aac/core/fs'

const debug = Boolean(process.env.AAC_DEBUG)

try {
  const { config, storage } = await loadConfig()
  const client = createClient({
    config,
    storage,
    ...(debug && { logger: (message: string) => console.error(`[aac] ${message}`) }),
  })
  let count = 0
  for await (const person of client.paginate<{ id: number; name: string; email: string }>('/v4/people', {
    limit: 100,
  })) {
    console.log(`${person.id}\t${person.name}\t${person.email}`)
    count++
  }
  console.error(`${count} people`)
} catch (error) {
  console.error(formatError(error, { stack: debug }))
  process.exitCode = 1
}
