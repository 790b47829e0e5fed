// A CommonJS user: require() of the ESM-only packages, which Node 22.12+ (and 20.19+) load synchronously.
const core = require('@aac/core')
const fs = require('@aac/core/fs')
const fake = require('@aac/fake-cloud')

console.log(
  JSON.stringify({
    createClient: typeof core.createClient,
    loadConfig: typeof fs.loadConfig,
    startFakeCloud: typeof fake.startFakeCloud,
    version: core.VERSION,
  }),
)
