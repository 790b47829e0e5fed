#!/usr/bin/env node
// The `aac` command. It runs the TypeScript source through tsx's loader, so there is no build step to forget:
// `pnpm aac …`, `npx aac …` and node_modules/.bin/aac work right after the install.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/main.ts')
await main()
