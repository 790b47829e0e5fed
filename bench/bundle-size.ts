// How much @aac/core adds to a browser bundle: esbuild, minified, browser platform, then gzip. Prints the figures;
// it asserts nothing (sizes are tracked by reading this output, not by a test). Measured: 11.4 kB and 16.2 kB
// min+gzip before the hardening and the renovation, 15.9 kB and 23.1 kB after them; 16.8 kB and 24.0 kB once
// responseType and concurrent pages came; 16.7 kB and 23.8 kB after trimming the core's code (2026-12-02). Of
// the first figure, the token manager with its rotation safety (in-flight records, uncertain refreshes, their
// messages) is ~5 kB, and the Node/Deno/Bun knowledge the universal entry carries for those runtimes ~0.8 kB.
//
//   npx tsx bench/bundle-size.ts
//
// Each case is measured twice: from the TypeScript source the workspace imports, and from the JavaScript that
// `pnpm pack` ships (tsc with tsconfig.build.json, built here into a temp folder). The packaging must add nothing:
// the two figures should match.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const packageDir = fileURLToPath(new URL('../packages/core/', import.meta.url))
const built = mkdtempSync(join(tmpdir(), 'aac-bundle-size-'))
execFileSync(
  join(packageDir, '..', '..', 'node_modules', '.bin', 'tsc'),
  ['-p', join(packageDir, 'tsconfig.build.json'), '--outDir', join(built, 'dist')],
  { stdio: 'inherit' },
)
// sideEffects: false in the manifest lets esbuild drop unused modules, as it does for an installed package.
cpSync(join(packageDir, 'package.json'), join(built, 'package.json'))

const entries: Array<[from: string, path: string]> = [
  ['source', join(packageDir, 'src', 'index.ts')],
  ['built package', join(built, 'dist', 'index.js')],
]
const cases: Array<[name: string, source: (entry: string) => string]> = [
  [
    'createClient + memoryStorage',
    (entry) =>
      `import { createClient, memoryStorage } from ${JSON.stringify(entry)}\nexport { createClient, memoryStorage }`,
  ],
  ['everything in @aac/core', (entry) => `export * from ${JSON.stringify(entry)}`],
]

try {
  for (const [name, source] of cases) {
    for (const [from, entry] of entries) {
      const result = await build({
        stdin: { contents: source(entry), resolveDir: process.cwd(), loader: 'ts' },
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
      console.log(`${name} (${from}): ${kb(bytes.length)} minified, ${kb(gzipSync(bytes).length)} min+gzip`)
    }
  }
} finally {
  rmSync(built, { recursive: true, force: true })
}
