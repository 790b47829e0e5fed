// The app of app.mjs as a Deno user writes it: the package by name through `npm:` specifiers, no node_modules.
// The registry comes from NPM_CONFIG_REGISTRY (the consumer test serves the tarballs on loopback).
import { createClient, getCurrentWorkspace, VERSION } from 'npm:@aac/core'
import { loadConfig } from 'npm:@aac/core/fs'
import { runMain } from 'npm:@aac/core/process'

await runMain(async ({ signal }) => {
  const { config, storage } = await loadConfig()
  const client = createClient({ config, storage })
  const workspace = await getCurrentWorkspace(client, { signal })
  console.log(JSON.stringify({ version: VERSION, workspace: workspace.name }))
})
