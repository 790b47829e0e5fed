#!/usr/bin/env node
// The `aac` command as packed and published (publishConfig.bin): the JavaScript that prepack built into dist/,
// so an installed CLI starts with plain Node and needs no tsx. The workspace runs bin/aac.js, on the source.
const { main } = await import('../dist/main.js')
await main()
