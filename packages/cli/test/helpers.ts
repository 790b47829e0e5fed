// Running `aac` in tests: as a child process (the real bin, through tsx) or in-process through run().
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type FakeCloud, type FakeCloudOptions, startFakeCloud } from '@aac/fake-cloud'
import { afterAll, beforeAll } from 'vitest'
import type { CliIo } from '../src/io.ts'
import { run } from '../src/main.ts'

export const repoRoot = resolve(import.meta.dirname, '../../..')
export const bin = join(repoRoot, 'packages', 'cli', 'bin', 'aac.js')

export interface Result {
  code: number
  stdout: string
  stderr: string
}

/**
 * Starts one fake cloud for the file and hands out temp config folders; everything is removed afterwards.
 * Call at the top level of a test file.
 */
export function useCloud(options?: FakeCloudOptions) {
  let cloud: FakeCloud | undefined
  const dirs: string[] = []
  beforeAll(async () => {
    cloud = await startFakeCloud(options)
  })
  afterAll(async () => {
    await cloud?.stop()
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
  })
  return {
    get cloud(): FakeCloud {
      if (!cloud) throw new Error('the fake cloud is not started yet')
      return cloud
    },
    /** An empty temp folder. */
    async tempDir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'aac-cli-'))
      dirs.push(dir)
      return dir
    },
    /** A temp folder holding the three files for a new token family. */
    async configDir(opts: { expired?: boolean } = {}): Promise<string> {
      const dir = await this.tempDir()
      await this.cloud.writeConfig(dir, opts)
      return dir
    },
  }
}

/** The test runner's environment minus anything that would change colour or config discovery. */
function baseEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    FORCE_COLOR: undefined,
    NO_COLOR: undefined,
  }
  for (const key of Object.keys(env)) if (key.startsWith('AAC_')) delete env[key]
  Object.assign(env, extra)
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
}

/** Runs a program with the test runner's environment (minus AAC_*, colour) plus `env`; stdio piped. */
export function execute(
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      // Never the repo: its own aac_url.txt must not be found by accident.
      cwd: options.cwd ?? tmpdir(),
      env: baseEnv(options.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** Runs the real `aac` bin as a child process, stdout and stderr piped (so never a terminal). */
export function aac(
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): Promise<Result> {
  return execute(process.execPath, [bin, ...args], options)
}

/** Runs `aac` in this process with captured streams; `tty` makes them look like a terminal. */
export async function aacInProcess(
  args: string[],
  options: { env?: Record<string, string | undefined>; tty?: boolean; cwd?: string } = {},
): Promise<Result> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty ?? false },
    stdin: (async function* () {})(),
    env: options.env ?? {},
    cwd: options.cwd ?? tmpdir(),
  }
  const code = await run(args, io)
  return { code, stdout, stderr }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
export const ANSI = /\u001b\[/

/** The text without its colour escapes. */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
  return text.replace(/\u001b\[[\d;]*m/g, '')
}
