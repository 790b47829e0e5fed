// How long the installed `aac token` takes with a fresh token (no request leaves the machine: the token is read,
// judged fresh and printed) against an empty `node -e 0`: the median wall time of several runs of each, taken
// in turns so that a busy machine slows both alike, and their ratio (the goal is 1.5 at most). The CLI is
// packed by pnpm and installed with `npm install --global --prefix` into a temp folder, run from a folder
// outside the repository with its per-user config ($XDG_CONFIG_HOME/aac), as a user runs it. The repository's
// own bin (bin/aac.js, which builds on demand into a cache) is timed too. Prints the figures; asserts nothing.
//
//   npx tsx bench/cli-startup.ts [runs]      (default 21)
//
// 2026-12-02, Node 20.20 on 2 shared cores, six runs of 31: node -e 0 37-44 ms, the installed aac token 49-56
// ms, 1.26-1.32x (1.74x before that day: 67 ms against 39). What it took: config files and creds.json read with
// synchronous calls (no thread pool, no node:fs/promises), stdout written to its descriptor (no stream), plain
// `aac token` run without commander, the pair read once, node:os and node:module not loaded, and the bundle
// minified and ASCII only (V8 loads less from its code cache). What is left beyond Node's own start, about 10
// ms: reading the bundle and its code cache (1.2), deserializing it (1.4), the bundle's top level (0.7-1), and
// aac's own work (4): finding, reading and checking the three files and the store setting (2.5, much of it V8
// compiling the regular expressions of the checks), the token (0.7), the signal handlers (0.4). Nothing is left
// running at the end (no handle, no timer), and no garbage collection happens. The repo bin takes about 2x: it
// checks its sources' stamps, and on Node 20 compiles the bundle every run. On Node 22.23 and 24.22, whose own
// compile cache the installed bin turns on, the ratio was 1.21-1.22x.
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { startFakeCloud } from '@aac/fake-cloud'
import { ROOT } from '../test/helpers.ts'
import { installGlobal, packPackages } from '../test/packed.ts'

const runs = Number(process.argv[2] ?? 21)
const work = await mkdtemp(join(tmpdir(), 'aac-bench-startup-'))
const cloud = await startFakeCloud()

/** Runs a command to its end with stdout discarded (it is a token); rejects on a non-zero exit. */
function time(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - started
      if (code === 0) resolve(ms)
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`))
    })
  })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

try {
  const { cli } = await packPackages(['cli'], join(work, 'tarballs'))
  const bin = await installGlobal([cli], join(work, 'prefix'))
  const config = join(work, 'config')
  await mkdir(join(config, 'aac'), { recursive: true })
  // A fresh token, valid for the whole bench: no run refreshes.
  await cloud.writeConfig(join(config, 'aac'), { expired: false })
  const env: NodeJS.ProcessEnv = {
    PATH: [dirname(process.execPath), bin, process.env['PATH']].join(delimiter),
    HOME: work,
    XDG_CONFIG_HOME: config,
    APPDATA: config,
  }

  const subjects: Array<[string, string, string[]]> = [
    ['node -e 0', process.execPath, ['-e', '0']],
    ['aac token (installed)', join(bin, process.platform === 'win32' ? 'aac.cmd' : 'aac'), ['token']],
    ['aac token (repo bin)', process.execPath, [join(ROOT, 'packages', 'cli', 'bin', 'aac.js'), 'token']],
  ]
  const times = subjects.map((): number[] => [])
  // Warm-up: the disk cache, and the repo bin's first build.
  for (const [, command, args] of subjects) for (let i = 0; i < 3; i++) await time(command, args, env)
  for (let round = 0; round < runs; round++) {
    for (const [i, [, command, args]] of subjects.entries()) times[i]?.push(await time(command, args, env))
  }

  const base = median(times[0] ?? [])
  console.log(`median of ${runs} runs each, Node ${process.versions.node}:`)
  for (const [i, [label]] of subjects.entries()) {
    const ms = median(times[i] ?? [])
    const ratio = i === 0 ? '' : `  ${(ms / base).toFixed(2)}x node -e 0`
    console.log(`  ${label.padEnd(24)} ${ms.toFixed(0).padStart(5)} ms${ratio}`)
  }
  const installed = median(times[1] ?? []) / base
  console.log(
    `installed aac token / node -e 0: ${installed.toFixed(2)} (goal: at most 1.50, ${installed <= 1.5 ? 'met' : 'NOT met'})`,
  )
} finally {
  await cloud.stop()
  await rm(work, { recursive: true, force: true })
}
