// How each runtime's example is started, shared by the demo and the integration tests so they cannot drift.
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'

export interface ExampleRun {
  /** What the demo calls it. */
  title: string
  command: string
  args: string[]
  /** The command as a user would type it. */
  display: string
  /** Extra environment (beyond AAC_CONFIG_DIR). */
  env?: Record<string, string>
  /** Programs it needs besides the repo's install; the demo says so when one is missing. */
  requires?: string[]
  /** Show at most this many lines of its output. */
  maxLines?: number
}

export type RuntimeName = 'node' | 'deno' | 'bun'

export function nodeExample(root: string, script = 'get_workspace.ts'): ExampleRun {
  const file = join(root, 'examples', 'node', script)
  return {
    title: 'Node',
    command: process.execPath,
    args: ['--import', 'tsx', file],
    display: `tsx examples/node/${script}`,
  }
}

export interface DenoExampleOptions {
  /** The folder holding the three files: the only one Deno may read and write. */
  configDir: string
  /** Hosts Deno may connect to. Default: the fake cloud's loopback address (any port). */
  net?: readonly string[]
  /** Leave these permissions out, to see what a user who forgot them sees. */
  omit?: ReadonlyArray<'read' | 'write' | 'env' | 'net'>
}

/**
 * The Deno example with the narrowest permissions that work. `display` names the folder `$AAC_CONFIG_DIR`,
 * which the demo and the tests set to `configDir`.
 */
export function denoExample(root: string, options: DenoExampleOptions): ExampleRun {
  const { configDir, net = ['127.0.0.1'], omit = [] } = options
  const flags = (dir: string) =>
    [
      ['read', `--allow-read=${dir}`],
      ['write', `--allow-write=${dir}`],
      ['env', '--allow-env=AAC_CONFIG_DIR,AAC_DEBUG'],
      ['net', `--allow-net=${net.join(',')}`],
    ]
      .filter(([kind]) => !omit.includes(kind as 'read'))
      .map(([, flag]) => flag as string)
  const script = 'examples/deno/get_workspace.ts'
  return {
    title: 'Deno',
    command: runtimeBinary(root, 'deno'),
    // --no-prompt: a missing permission is an error our message explains, never a prompt that hangs a script.
    args: ['run', '--no-prompt', ...flags(configDir), join(root, script)],
    display: ['npx deno run --no-prompt', ...flags('$AAC_CONFIG_DIR'), script].join(' '),
  }
}

export function bunExample(root: string): ExampleRun {
  const script = 'examples/bun/get_workspace.ts'
  return {
    title: 'Bun',
    command: runtimeBinary(root, 'bun'),
    args: ['run', join(root, script)],
    display: `npx bun run ${script}`,
  }
}

/** The example of `runtime`, as the demo and the cross-runtime tests start it. */
export function exampleFor(root: string, runtime: RuntimeName, configDir: string): ExampleRun {
  if (runtime === 'deno') return denoExample(root, { configDir })
  if (runtime === 'bun') return bunExample(root)
  return nodeExample(root)
}

/**
 * The examples the demo runs, in order. `configDir` is the folder Deno may touch; by default the temp folder,
 * where the demo keeps its files.
 */
export function demoRuns(root: string, configDir: string = tmpdir()): ExampleRun[] {
  return [
    ...(['node', 'deno', 'bun'] as const).map((runtime) => exampleFor(root, runtime, configDir)),
    {
      title: 'Shell (curl + jq + aac token)',
      command: 'bash',
      args: [join(root, 'examples/shell/get_workspace.sh')],
      display: 'examples/shell/get_workspace.sh',
      requires: ['curl', 'jq'],
      maxLines: 6,
    },
    {
      title: 'Python (urllib + aac token)',
      command: 'python3',
      args: [join(root, 'examples/shell/get_workspace.py')],
      display: 'python3 examples/shell/get_workspace.py',
      requires: ['python3'],
      maxLines: 6,
    },
    { ...nodeExample(root, 'list_people.ts'), title: 'Node: every person, page by page', maxLines: 6 },
    {
      ...nodeExample(root, 'run_job.ts'),
      title: 'Node: run a job and wait for it',
      display: 'tsx examples/node/run_job.ts 1',
      args: [...nodeExample(root, 'run_job.ts').args, '1'],
      env: { AAC_POLL_INTERVAL_MS: '200' },
    },
  ]
}

/**
 * The Deno or Bun executable the repo's install brought (root devDependencies). The real binary where the
 * package keeps it: `node_modules/.bin/deno` is a Node script that starts it, which costs a Node process per
 * run and leaves Deno running if only the wrapper is killed. Missing is an error, never a silent skip.
 */
export function runtimeBinary(root: string, runtime: 'deno' | 'bun'): string {
  const windows = process.platform === 'win32'
  const candidates =
    runtime === 'deno'
      ? [join(root, 'node_modules', 'deno', windows ? 'deno.exe' : 'deno')]
      : [join(root, 'node_modules', 'bun', 'bin', 'bun.exe')]
  candidates.push(join(root, 'node_modules', '.bin', windows ? `${runtime}.cmd` : runtime))
  const found = candidates.find((path) => existsSync(path))
  if (!found) {
    throw new Error(
      `${runtime} is not installed in ${join(root, 'node_modules')}: run \`npm run setup\` (it comes with the ` +
        `repo's devDependencies; pnpm must be allowed to run its install script, see pnpm-workspace.yaml).`,
    )
  }
  return found
}
