// How long plain Node takes to import @aac/core from the built package (dist/, what users install), against an
// empty `node -e 0`: the median of 15 runs each. Prints the figures; asserts nothing.
//
//   npx tsx bench/import-time.ts      (builds packages/core/dist first)
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const core = fileURLToPath(new URL('../packages/core/', import.meta.url))
execFileSync('npm', ['run', 'build', '--silent'], { cwd: core, stdio: 'inherit' })
const entry = new URL('../packages/core/dist/index.js', import.meta.url).href

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

const empty = median(['-e', '0'])
const imported = median(['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`])
console.log(`node -e 0: ${empty.toFixed(0)} ms`)
console.log(`import @aac/core (dist): ${imported.toFixed(0)} ms (+${(imported - empty).toFixed(0)} ms)`)
