// How much @aac/core adds to a browser bundle: esbuild, minified, browser platform, then gzip. Prints the figures;
// it asserts nothing (sizes are tracked by reading this output, not by a test). Measured: 11.4 kB and 16.2 kB
// min+gzip before the hardening and the renovation, 15.9 kB and 23.1 kB after them; 16.8 kB and 24.0 kB once
// responseType and concurrent pages came; 16.7 kB and 23.8 kB after trimming the core's code (2026-12-02). Of
// the first figure, the token manager with its rotation safety (in-flight records, uncertain refreshes, their
// messages) is ~5 kB, and the Node/Deno/Bun knowledge the universal entry carries for those runtimes ~0.8 kB.
//
//   npx tsx bench/bundle-size.ts
//
// Then, for the first case, where its bytes go: each area's share of the minified bundle (esbuild's metafile),
// and the same share of the min+gzip figure (an estimate: gzip does not compress every area equally). At 29f4c18,
// the 11.4 kB figure (29.3 kB minified), the same areas held: token manager 8.6 kB minified, requests 16.3 kB,
// paginate 1.5 kB, Node/Deno/Bun advice 1.7 kB; now 19.0, 18.8, 3.1 and 3.1 kB (2026-12-02). Issue 8's rotation
// safety is most of the growth: in-flight records, resending only a provably unsent refresh, uncertain and
// unusable answers, the pair's meta, and the messages that say which of these happened and what to do.
//
// Each case is measured twice: from the TypeScript source the workspace imports, and from the JavaScript that
// `pnpm pack` ships (tsc with tsconfig.build.json, built here into a temp folder). The packaging must add nothing:
// the two figures should match.
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { buildCore, CORE_DIR } from './built-core.ts'

// Its manifest's sideEffects: false lets esbuild drop unused modules, as it does for an installed package.
const built = buildCore()

const entries: Array<[from: string, path: string]> = [
  ['source', join(CORE_DIR, 'src', 'index.ts')],
  ['built package', join(built.dir, 'dist', 'index.js')],
]
/** The areas of the core, by the source paths (under packages/core/src/) that make them up; first match wins. */
const AREAS: Array<[area: string, paths: RegExp]> = [
  [
    'token manager: rotation, its safety and messages, JWT, token endpoint',
    /^(token-manager|token-endpoint|jwt|rotation\/|internal\/(shared-renewal|mutex)|storage\/(pair-codec|meta-json|shared\/))/,
  ],
  [
    'requests: pipeline, retries, timeouts, typed errors, redaction',
    /^(client|request-|retry-|errors|redact|http\/|internal\/abort)/,
  ],
  ['paginate (client.paginate)', /^paginate/],
  [
    'Node/Deno/Bun advice in messages (runtime, program, permissions)',
    /^internal\/(runtime|program|permission-hint)/,
  ],
]

const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`

/** Prints each area's share of one bundle: bytes of minified output per source file, summed by area. */
function printAreas(
  inputs: Record<string, { bytesInOutput: number }>,
  minified: number,
  gzipped: number,
): void {
  const sums = new Map<string, { bytes: number; files: string[] }>()
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const file = path.replace(/^.*packages\/core\/src\//, '')
    if (bytesInOutput === 0) continue
    const area = AREAS.find(([, paths]) => paths.test(file))?.[0] ?? 'the rest'
    const sum = sums.get(area) ?? { bytes: 0, files: [] }
    sum.bytes += bytesInOutput
    sum.files.push(file)
    sums.set(area, sum)
  }
  for (const [area, { bytes, files }] of [...sums].sort((a, b) => b[1].bytes - a[1].bytes)) {
    const share = bytes / minified
    const rest = area === 'the rest' ? ` (${files.join(', ')})` : ''
    console.log(
      `  ${(share * 100).toFixed(0).padStart(3)}%  ${kb(bytes).padStart(8)} minified  ~${kb(share * gzipped)} min+gzip  ${area}${rest}`,
    )
  }
}

const cases: Array<[name: string, source: (entry: string) => string]> = [
  [
    'createClient + memoryStorage',
    (entry) =>
      `import { createClient, memoryStorage } from ${JSON.stringify(entry)}\nexport { createClient, memoryStorage }`,
  ],
  ['everything in @aac/core', (entry) => `export * from ${JSON.stringify(entry)}`],
]

try {
  for (const [index, [name, source]] of cases.entries()) {
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
        metafile: true,
      })
      const bytes = result.outputFiles[0]?.contents ?? new Uint8Array()
      const gzipped = gzipSync(bytes).length
      console.log(`${name} (${from}): ${kb(bytes.length)} minified, ${kb(gzipped)} min+gzip`)
      const output = Object.values(result.metafile.outputs)[0]
      if (index === 0 && from === 'source' && output) printAreas(output.inputs, bytes.length, gzipped)
    }
  }
} finally {
  built.remove()
}
