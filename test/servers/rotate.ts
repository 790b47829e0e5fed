// A program that gets the current workspace through a Redis or PostgreSQL store built with test settings (a
// short lease, a short reconnect wait), for the fault tests: runs under Node (tsx), Deno and Bun alike.
//
//   rotate.ts <config dir> <redis|postgres> <url> <chain> <leaseMs> <reconnectMs>

import { loadConfig } from '../../packages/core/src/fs.ts'
import { createClient, getCurrentWorkspace } from '../../packages/core/src/index.ts'
import { runMain } from '../../packages/core/src/process.ts'
import { postgresStorage } from '../../packages/core/src/storage/postgres.ts'
import { redisStorage } from '../../packages/core/src/storage/redis.ts'

const [dir, kind, url, name, lease, reconnect] = process.argv.slice(2)

await runMain(async ({ signal, logger }) => {
  // The config files only: the store is the one built here (env {}: no AAC_STORE, no permission needed).
  const { config } = await loadConfig({ dir: dir!, env: {} })
  const options = { url: url!, name, leaseMs: Number(lease), reconnectMs: Number(reconnect) }
  const storage = kind === 'redis' ? redisStorage(options) : postgresStorage(options)
  const client = createClient({ config, storage, logger })
  const workspace = await getCurrentWorkspace(client, { signal })
  console.log(JSON.stringify(workspace, null, 2))
})
