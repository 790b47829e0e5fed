// Shared by the integration tests: a fake cloud plus a temporary config folder, and child-process runners.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type FakeCloud, type FakeCloudOptions, startFakeCloud } from '@aac/fake-cloud'
import { expect } from 'vitest'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface Workspace {
  cloud: FakeCloud
  dir: string
  credsPath: string
  readCreds(): Promise<string>
  /**
   * Spends the refresh token in creds.json behind the library's back, as a program that ignores the lock
   * (Alteryx's own scripts) would: the next refresh from creds.json gets invalid_grant.
   */
  spendRefreshToken(): Promise<string>
  close(): Promise<void>
}

/** Starts a fake cloud and writes its config (token expired unless `fresh`) into a new temp folder. */
export async function fakeWorkspace(
  options: FakeCloudOptions & { expired?: boolean } = {},
): Promise<Workspace> {
  const { expired = true, ...cloudOptions } = options
  const cloud = await startFakeCloud(cloudOptions)
  const dir = await mkdtemp(join(tmpdir(), 'aac-test-'))
  await cloud.writeConfig(dir, { expired })
  cloud.reset()
  const credsPath = join(dir, 'creds.json')
  return {
    cloud,
    dir,
    credsPath,
    readCreds: () => readFile(credsPath, 'utf8'),
    async spendRefreshToken() {
      const { refresh_token } = JSON.parse(await readFile(credsPath, 'utf8')) as { refresh_token: string }
      const response = await fetch(`${cloud.issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token,
          client_id: 'fake-oauth-client',
        }),
      })
      if (response.status !== 200) throw new Error(`the fake cloud refused the refresh: ${response.status}`)
      return refresh_token
    },
    async close() {
      await cloud.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command to completion, capturing its output. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, AAC_DEBUG: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })
    })
  })
}

/** Every file of a folder and its content: compared before and after a run that must change nothing. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const name of (await readdir(dir)).sort()) files[name] = await readFile(join(dir, name), 'utf8')
  return files
}

/**
 * What every run on an expired token must leave behind, however many programs ran: exactly one refresh, no
 * refresh token spent twice, `apiRequests` calls, a live refresh token in creds.json, and no lock, temp or
 * corrupt file beside it.
 */
export async function expectOneSafeRotation(ws: Workspace, apiRequests: number): Promise<void> {
  expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0, invalidGrants: 0, apiRequests })
  const saved = JSON.parse(await ws.readCreds()) as { refresh_token: string }
  expect(ws.cloud.isRefreshTokenValid(saved.refresh_token)).toBe(true)
  expect((await readdir(ws.dir)).sort()).toEqual(['aac_url.txt', 'client_id.txt', 'creds.json'])
}

/** creds.json as the file storage writes it: the pair, and the library's metadata under "aac". */
export interface CredsFile {
  access_token: string
  refresh_token: string
  aac?: {
    clock_offset_ms?: number
    refresh?: {
      at: string
      program: string
      pid?: number
      host?: string
      state: 'sent' | 'uncertain' | 'spent'
      detail?: string
      token_id: string
    }
  }
}

/** Parses creds.json; throws (with the parse error, never the content) if it does not parse. */
export function readPair(text: string): CredsFile {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new Error(`creds.json does not parse: ${(error as Error).message.slice(0, 80)}`)
  }
  const pair = parsed as CredsFile
  if (typeof pair?.access_token !== 'string' || typeof pair.refresh_token !== 'string') {
    throw new Error('creds.json parses but holds no access_token/refresh_token pair')
  }
  return pair
}

/** A program started with {@link start}: its pid, for signals, and its end. */
export interface Started {
  child: ChildProcess
  pid: number
  /** Resolves when it ends: `code` is the exit code, or 128 + n if a signal killed it (then `signal` says which). */
  done: Promise<RunResult & { signal: NodeJS.Signals | null; ms: number }>
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
}

/**
 * Starts a program directly (no shell, no npx wrapper), so that `process.kill(pid, signal)` reaches the program
 * itself. Same environment rules as {@link run}.
 */
export function start(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Started {
  const began = Date.now()
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, AAC_DEBUG: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error(`could not start ${command}`)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const done = new Promise<RunResult & { signal: NodeJS.Signals | null; ms: number }>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const fromSignal = signal ? 128 + (SIGNAL_NUMBERS[signal] ?? 0) : 1
      resolve({ code: code ?? fromSignal, signal, stdout, stderr, ms: Date.now() - began })
    })
  })
  return { child, pid: child.pid, done }
}

/** Polls `condition` every few ms until it holds; throws `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** The files of `dir` besides the three config files: lock, temp, corrupt or recovery leftovers. */
export async function leftovers(dir: string): Promise<string[]> {
  const config = new Set(['aac_url.txt', 'client_id.txt', 'creds.json'])
  return (await readdir(dir)).filter((name) => !config.has(name)).sort()
}

/**
 * Fails if `text` holds either token of `pair`, whole or a long piece of it (its last 24 characters, or any
 * 24-character run of a short token). Reports which, never the token itself.
 */
export function expectNoSecret(text: string, pair: { access_token: string; refresh_token: string }): void {
  for (const [name, token] of [
    ['access token', pair.access_token],
    ['refresh token', pair.refresh_token],
  ] as const) {
    const pieces = [token, token.slice(-24), token.length <= 64 ? token.slice(0, 24) : token.slice(-48, -24)]
    const leaked = pieces.some((piece) => piece.length >= 16 && text.includes(piece))
    expect(leaked, `the output holds the ${name} (or a long piece of it)`).toBe(false)
  }
}
