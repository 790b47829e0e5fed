#!/usr/bin/env node
// The `aac-fake-cloud` command as packed and published (publishConfig.bin): the JavaScript that prepack built
// into dist/. In the workspace, run the source: `npm run fake-cloud -- --help`.
await import('../dist/cli.js')
