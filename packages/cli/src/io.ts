/**
 * What a command may touch of the outside world, passed in so that tests run the CLI in-process with fake
 * streams and environment, and `main.ts` wires the real ones.
 */

import { writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import process from 'node:process'
import type * as util from 'node:util'
import { debugRequested } from '@aac/core/process'

/** The part of a writable stream the CLI uses. */
export interface Output {
  /** Text, or bytes (`aac api` prints a binary answer as it came). */
  write(text: string | Uint8Array): unknown
  /** True on a terminal: pretty colours and progress lines. */
  isTTY?: boolean | undefined
}

export interface CliIo {
  stdout: Output
  stderr: Output
  /** For `aac api --input -`. */
  stdin: AsyncIterable<Uint8Array | string>
  env: Record<string, string | undefined>
  cwd: string
  /** `aac --config-dir DIR`: the config folder, before AAC_CONFIG_DIR and the search (see session.ts). */
  configDir?: string | undefined
  /**
   * Questions on a terminal (`aac init`): resolves to undefined when stdin or stderr is not one, so that the
   * command reads its answers from options, stdin or the environment instead.
   */
  terminal?: (() => Promise<Prompter | undefined>) | undefined
  /**
   * Aborted on Ctrl-C: requests stop, a wait for the creds.json lock stops (the refresh is then never sent),
   * and a token request already sent finishes and its pair is saved first; a second Ctrl-C quits at once.
   */
  signal?: AbortSignal | undefined
}

/** Asks on the terminal; a hidden answer is not echoed (tokens). */
export interface Prompter {
  ask(question: string, options?: { hidden?: boolean }): Promise<string>
  /** Text between the questions (help, a problem with an answer), where the questions go. */
  write(text: string): void
  close(): void
}

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'blue' | 'cyan' | 'magenta' | 'gray'
export type Paint = (style: Style | Style[], text: string) => string

/**
 * Colour on a terminal only. FORCE_COLOR (anything but 0/false) forces it on, NO_COLOR (non-empty) turns it
 * off, and TERM=dumb means the terminal cannot show it.
 */
export function wantsColour(stream: Output, env: Record<string, string | undefined>): boolean {
  const force = env['FORCE_COLOR']
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false'
  if (env['NO_COLOR']) return false
  return stream.isTTY === true && env['TERM'] !== 'dumb'
}

/** Node's styleText (20.12+), loaded only when colour is wanted: most runs print to a pipe. */
function styleTextFunction(): typeof util.styleText | undefined {
  const loaded = createRequire(import.meta.url)('node:util') as { styleText?: typeof util.styleText }
  return loaded.styleText
}

/** A painter for one stream: styleText when colour is wanted (and Node has it), the plain text otherwise. */
export function painter(stream: Output, env: Record<string, string | undefined>): Paint {
  const styleText = wantsColour(stream, env) ? styleTextFunction() : undefined
  if (typeof styleText !== 'function') return (_style, text) => text
  // We decided already; styleText's own check looks at process.stdout, which may not be this stream.
  return (style, text) => styleText(style, text, { validateStream: false })
}

/** Whether to print debug lines and stack traces: AAC_DEBUG read as every example reads it (`0`, `no`, `off` = off). */
export function debugEnabled(env: Record<string, string | undefined>): boolean {
  return debugRequested(env)
}

/**
 * process.stdout or process.stderr, opened at the first write: a run that never writes to one (stderr, mostly)
 * does not pay for opening it (a pipe loads Node's net module). isTTY asks the file descriptor, not the stream.
 *
 * @example
 * const stderr = lazyOutput(2, () => process.stderr)
 */
export function lazyOutput(
  fd: 1 | 2,
  open: () => NodeJS.WriteStream,
): Output & { once(event: string, listener: () => void): unknown } {
  return {
    write: (text) => open().write(text),
    // The stream's own back-pressure (`aac api --paginate` waits for 'drain').
    once: (event, listener) => open().once(event, listener),
    get isTTY() {
      // Loaded when asked: node:tty loads node:net, a few ms that most runs never need.
      return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd)
    },
  }
}

/**
 * process.stdout written straight to its file descriptor (writeSync) until something needs the stream itself:
 * opening the stream costs a run about 2 ms (3 on a pipe, which loads Node's net module), more than `aac token`
 * spends on anything else. Node writes stdout synchronously anyway on POSIX (files, pipes, terminals), so the
 * order and the back-pressure are the same: a full pipe blocks the write until the reader catches up. A
 * descriptor that is non-blocking (EAGAIN) hands the rest to the stream, and so does `once` (a stream's
 * 'drain'); from then on every write goes through the stream, after what was already written. Any other error
 * goes to `onError` (EPIPE: the reader went away). On Windows every write goes through the stream: a console
 * wants UTF-16 (Node's stream converts), and pipes there are asynchronous.
 *
 * @example
 * const stdout = directOutput(1, () => process.stdout, (error) => { throw error })
 */
export function directOutput(
  fd: number,
  open: () => NodeJS.WriteStream,
  onError: (error: NodeJS.ErrnoException) => void,
): Output & { once(event: string, listener: () => void): unknown } {
  let stream = process.platform === 'win32' ? open() : undefined
  const opened = () => {
    stream ??= open()
    return stream
  }
  return {
    write(chunk) {
      if (stream) return stream.write(chunk)
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      let offset = 0
      try {
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset)
        return true
      } catch (error) {
        const failure = error as NodeJS.ErrnoException
        if (failure.code === 'EAGAIN') return opened().write(bytes.subarray(offset))
        onError(failure)
        return true
      }
    },
    once: (event, listener) => opened().once(event, listener),
    get isTTY() {
      return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd)
    },
  }
}
