// One run of our Node example with a fresh token (`tsx examples/node/get_workspace.ts`: the token is judged
// fresh, one API request) against the pattern of Alteryx's own Python example (bench/fixtures/
// refresh_every_run.py: it spends the refresh token on every run, so two requests), with 150 ms injected into
// every request by the fake cloud, as a remote cloud would add. Median wall time of several runs of each, taken
// in turns so that a busy machine slows both alike. Prints the figures; asserts nothing.
//
//   npx tsx bench/example-vs-python.ts [runs]      (default 9)
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeCloud } from '@aac/fake-cloud'
import { nodeExample } from '../scripts/runtimes.ts'
import { ROOT } from '../test/helpers.ts'

const runs = Number(process.argv[2] ?? 9)
const LATENCY_MS = 150
const cloud = await startFakeCloud()
const ours = await mkdtemp(join(tmpdir(), 'aac-bench-ours-'))
const theirs = await mkdtemp(join(tmpdir(), 'aac-bench-python-'))

/** Runs a command to its end, its output discarded; resolves with the wall time, rejects on a failure. */
function time(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(performance.now() - started)
      else reject(new Error(`${command} exited ${code}: ${stderr.slice(0, 500)}`))
    })
  })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

try {
  // Ours: a token valid for the whole bench, so no run refreshes. Theirs: refreshes every run anyway.
  await cloud.writeConfig(ours, { expired: false })
  await cloud.writeConfig(theirs, { expired: false })
  const example = nodeExample(ROOT)
  const subjects: Array<{ label: string; requests: number; run: () => Promise<number> }> = [
    {
      label: example.display,
      requests: 1,
      run: () => time(example.command, example.args, { AAC_CONFIG_DIR: ours }),
    },
    {
      label: 'python3 (refresh every run)',
      requests: 2,
      run: () => time('python3', [join(ROOT, 'bench', 'fixtures', 'refresh_every_run.py'), theirs]),
    },
  ]
  const times = subjects.map((): number[] => [])
  for (let round = -1; round < runs; round++) {
    for (const [i, subject] of subjects.entries()) {
      cloud.inject({ kind: 'delay', ms: LATENCY_MS, times: subject.requests })
      const before = cloud.stats().requests
      const ms = await subject.run()
      const sent = cloud.stats().requests - before
      if (sent !== subject.requests)
        throw new Error(`${subject.label} sent ${sent} requests, not ${subject.requests}`)
      if (round >= 0) times[i]?.push(ms) // round -1 warms the disk cache
    }
  }
  console.log(`median of ${runs} runs each, ${LATENCY_MS} ms per request, Node ${process.versions.node}:`)
  for (const [i, subject] of subjects.entries()) {
    const ms = median(times[i] ?? [])
    console.log(
      `  ${subject.label.padEnd(34)} ${ms.toFixed(0).padStart(5)} ms  (${subject.requests} request${subject.requests > 1 ? 's' : ''})`,
    )
  }
  const ratio = median(times[0] ?? []) / median(times[1] ?? [])
  console.log(`ours / refresh-every-run: ${ratio.toFixed(2)}; ours also leaves the refresh token unspent`)
} finally {
  await cloud.stop()
  await rm(ours, { recursive: true, force: true })
  await rm(theirs, { recursive: true, force: true })
}
