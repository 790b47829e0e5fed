// Running `aac` in-process with bytes kept as bytes, stdin, and a hook on each write (for streaming checks).
import { tmpdir } from 'node:os'
import type { CliIo } from '../src/io.ts'
import { run } from '../src/main.ts'

export interface RawResult {
  code: number
  /** stdout decoded as UTF-8 (for JSON and text answers). */
  stdout: string
  /** stdout exactly as written. */
  bytes: Buffer
  stderr: string
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  stdin?: string
  tty?: boolean
  cwd?: string
  /** Called on every stdout write, before it is kept. */
  onWrite?: (chunk: string | Uint8Array) => void
}

export async function runAac(args: string[], options: RunOptions = {}): Promise<RawResult> {
  const chunks: Buffer[] = []
  let stderr = ''
  const stdin = options.stdin
  const io: CliIo = {
    stdout: {
      write: (chunk: string | Uint8Array) => {
        options.onWrite?.(chunk)
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk))
      },
      isTTY: options.tty ?? false,
    },
    stderr: { write: (text: string | Uint8Array) => (stderr += String(text)), isTTY: options.tty ?? false },
    stdin: (async function* () {
      if (stdin !== undefined) yield Buffer.from(stdin)
    })(),
    env: options.env ?? {},
    cwd: options.cwd ?? tmpdir(),
  }
  const code = await run(args, io)
  const bytes = Buffer.concat(chunks)
  return { code, stdout: bytes.toString('utf8'), bytes, stderr }
}
