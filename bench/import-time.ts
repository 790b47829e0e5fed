// How long plain Node takes to import @aac/core from the built package (dist/, what users install), against an
// empty `node -e 0`: the median of 15 runs each. Prints the figures; asserts nothing.
//
//   npx tsx bench/import-time.ts
//
// The package is built as a pack builds it, into a temp folder (bench/built-core.ts).
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildCore } from './built-core.ts'

function median(args: string[], runs = 15): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint()
    execFileSync(process.execPath, args, { stdio: 'ignore' })
    times.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] ?? Number.NaN
}

const built = buildCore()
try {
  const entry = pathToFileURL(join(built.dir, 'dist', 'index.js')).href
  const empty = median(['-e', '0'])
  const imported = median(['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`])
  console.log(`node -e 0: ${empty.toFixed(0)} ms`)
  console.log(`import @aac/core (dist): ${imported.toFixed(0)} ms (+${(imported - empty).toFixed(0)} ms)`)
} finally {
  built.remove()
}
