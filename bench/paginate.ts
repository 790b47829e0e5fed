// `aac api --paginate` over 10,000 records with 100 ms of latency injected per page (100 pages of 100), against
// the fake cloud: wall time and peak memory (the aac process's maximum RSS) of the sequential walk
// (--concurrency 1), the default concurrent one (4 pages at a time), and --slurp --jq length, which has to hold
// the whole list, for contrast. Prints the figures; asserts nothing.
//
//   npx tsx bench/paginate.ts
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakeCloud } from '@aac/fake-cloud'

const RECORDS = 10_000
const PAGE = 100
const LATENCY_MS = 100
const bin = fileURLToPath(new URL('../packages/cli/bin/aac.js', import.meta.url))
// Written by the aac process as it exits, on fd 3: its own peak resident memory.
const reportPeak =
  'data:text/javascript,import{writeSync}from"node:fs";process.on("exit",()=>writeSync(3,String(process.resourceUsage().maxRSS)))'

interface Run {
  ms: number
  peakMiB: number
  lines: number
}

function runAac(args: string[], configDir: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['--import', reportPeak, bin, ...args], {
      env: { ...process.env, AAC_CONFIG_DIR: configDir, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    })
    let lines = 0
    let peak = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) lines++
    })
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk))
    child.stdio[3]?.on('data', (chunk: Buffer) => (peak += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`aac ${args.join(' ')} exited ${code}: ${stderr}`))
      else resolve({ ms: performance.now() - started, peakMiB: Number(peak) / 1024, lines })
    })
  })
}

const cloud = await startFakeCloud({ people: RECORDS })
const dir = await mkdtemp(join(tmpdir(), 'aac-bench-paginate-'))
try {
  await cloud.writeConfig(dir)
  const list = ['api', '/v4/people', '--paginate', '-f', `limit=${PAGE}`]
  const cases: Array<[string, string[]]> = [
    ['sequential (--concurrency 1)', [...list, '--concurrency', '1']],
    ['concurrent (default, 4 pages at a time)', list],
    ['concurrent, --slurp --jq length (holds the list)', [...list, '--slurp', '--jq', 'length']],
  ]
  console.log(
    `aac api --paginate: ${RECORDS} records, ${RECORDS / PAGE} pages of ${PAGE}, ${LATENCY_MS} ms injected per page`,
  )
  // What the process needs anyway (Node, the CLI, one request), to read the figures against.
  const baseline = await runAac(['api', '/v4/people', '-f', `limit=${PAGE}`, '--silent'], dir)
  console.log(
    `  ${'baseline: one page, not printed'.padEnd(50)}          peak RSS ${baseline.peakMiB.toFixed(0).padStart(4)} MiB`,
  )
  const results: Run[] = []
  for (const [name, args] of cases) {
    cloud.reset()
    cloud.inject({ kind: 'delay', ms: LATENCY_MS, path: '/v4/people', times: RECORDS / PAGE })
    const run = await runAac(args, dir)
    results.push(run)
    console.log(
      `  ${name.padEnd(50)} ${(run.ms / 1000).toFixed(2).padStart(6)} s   peak RSS ${run.peakMiB.toFixed(0).padStart(4)} MiB   ${run.lines} lines`,
    )
  }
  const [sequential, concurrent] = results
  if (sequential && concurrent) {
    console.log(`  concurrent / sequential wall time: ${(concurrent.ms / sequential.ms).toFixed(2)}`)
  }
} finally {
  await cloud.stop()
  await rm(dir, { recursive: true, force: true })
}
