// What the Redis and PostgreSQL test servers share: a free loopback port, finding a server binary (installed by
// scripts/ensure-test-tools.sh), and running a command to completion.
import { spawn } from 'node:child_process'
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
