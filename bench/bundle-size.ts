// How much @aac/core adds to a browser bundle: esbuild, minified, browser platform, then gzip. Prints the figures;
// it asserts nothing (sizes are tracked by reading this output, not by a test). Measured: 11.4 kB and 16.2 kB
// min+gzip before the hardening and the renovation, 15.9 kB and 23.1 kB after them; 16.8 kB and 24.0 kB once
// responseType and concurrent pages came; 16.7 kB and 23.8 kB after trimming the core's code (2026-12-02). Of
// the first figure, the token manager with its rotation safety (in-flight records, uncertain refreshes, their
// messages) is ~5 kB, and the Node/Deno/Bun knowledge the universal entry carries for those runtimes ~0.8 kB.
//
//   npx tsx bench/bundle-size.ts
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const core = new URL('../packages/core/src/index.ts', import.meta.url).pathname

const cases: Array<[name: string, source: string]> = [
  [
    'createClient + memoryStorage',
    `import { createClient, memoryStorage } from ${JSON.stringify(core)}\nexport { createClient, memoryStorage }`,
  ],
  ['everything in @aac/core', `export * from ${JSON.stringify(core)}`],
]

for (const [name, contents] of cases) {
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'error',
  })
  const bytes = result.outputFiles[0]?.contents ?? new Uint8Array()
  const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`
  console.log(`${name}: ${kb(bytes.length)} minified, ${kb(gzipSync(bytes).length)} min+gzip`)
}
