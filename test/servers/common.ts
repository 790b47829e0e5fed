// What the Redis and PostgreSQL test servers share: a free loopback port, finding a server binary (installed by
// scripts/ensure-test-tools.sh), running a command to completion, and starting and stopping the server's process.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { createServer } from 'node:net'

/** The variables that hand the servers' URLs to programs a test starts (Deno and Bun runners, workers). */
export const SERVER_ENV = { redis: 'AAC_TEST_REDIS_URL', postgres: 'AAC_TEST_POSTGRES_URL' } as const

/** A TCP port free on 127.0.0.1 right now (the kernel's pick), for a server started just after. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (typeof address === 'object' && address) resolve(address.port)
        else reject(new Error('no port was assigned'))
      })
    })
  })
}

/** The error for a server binary that is not installed: the tests fail, never skip. */
export function missingServer(what: string, debianPackage: string): Error {
  return new Error(
    `${what} is not installed, and the shared-store tests need a real one: run \`bash scripts/ensure-test-tools.sh\` (as root it installs Debian's ${debianPackage}), or \`sudo apt-get install -y ${debianPackage}\`.`,
  )
}

/** Runs a command to completion; rejects with its output when it fails. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...(options.cwd !== undefined && { cwd: options.cwd }),
      ...(options.uid !== undefined && { uid: options.uid }),
      ...(options.gid !== undefined && { gid: options.gid }),
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(output)
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))
    })
  })
}

/**
 * Polls `check` until it resolves true (a rejection counts as not yet); throws naming `what` after `timeoutMs`,
 * or at once with what `gaveUp` returns (the server exited).
 */
export async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  gaveUp: () => string | undefined = () => undefined,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    const failed = gaveUp()
    if (failed !== undefined) throw new Error(`${what} did not start: ${failed}`)
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A server's process, started and stopped as often as a test needs (its data stays where its options say). */
export interface ServerProcess {
  /** Starts it and waits until `ready` says it serves; if it exits or never does, kills it and throws with its output. */
  start(): Promise<void>
  /** Stops it with its stop signal (the server's clean shutdown) and waits for it to exit. */
  stop(): Promise<void>
}

/**
 * @example
 * const server = serverProcess({ command: 'redis-server', args, what: 'redis-server', ready, stopSignal: 'SIGTERM' })
 * await server.start()
 */
export function serverProcess(options: {
  command: string
  args: readonly string[]
  spawnOptions?: SpawnOptions
  /** What the server is, for the error when it does not start: `redis-server on port 6390`. */
  what: string
  /** Resolves true once the server serves. */
  ready: () => Promise<boolean>
  stopSignal: NodeJS.Signals
}): ServerProcess {
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let log = ''
  return {
    async start() {
      const started = spawn(options.command, options.args, {
        ...options.spawnOptions,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child = started
      started.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()))
      started.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()))
      exited = new Promise((resolve) => started.once('exit', () => resolve()))
      await waitFor(options.ready, options.what, () =>
        started.exitCode === null ? undefined : `it exited ${started.exitCode}`,
      ).catch((error) => {
        started.kill('SIGKILL')
        throw new Error(`${(error as Error).message}\n${log}`)
      })
    },
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill(options.stopSignal)
        await exited
      }
      child = undefined
    },
  }
}
