/**
 * `@aac/core/process`: how a script that refreshes tokens ends when it is told to stop. Node, Deno and Bun all
 * run it (through `node:process`).
 *
 * A refresh token is spent the moment its request reaches the server; the new pair exists only in the answer.
 * `timeout`, systemd, `docker stop` (SIGTERM), a closed terminal (SIGHUP) or Ctrl-C (SIGINT) that kills the
 * process in between loses the pair for good. So on the first of these signals: stop waiting (every request
 * given the signal rejects), let a token request already sent finish and be saved, for a bounded time, then
 * exit with the conventional code (128 + the signal's number: 130, 143, 129). A second signal quits at once.
 *
 * @example
 * import { runMain } from '@aac/core/process'
 *
 * await runMain(async ({ signal, logger }) => {
 *   const { config, storage } = await loadConfig()
 *   const client = createClient({ config, storage, logger })
 *   console.log(await client.get('/iam/v1/workspaces/current', { signal }))
 * })
 */

import process from 'node:process'
import { setTimeout as later } from 'node:timers'
import { formatError } from './format-error.ts'
import { LOCK_MARGIN_MS, LOCK_TIMING } from './lock-timing.ts'
import type { Logger } from './types.ts'

/** The signals that stop a script, with the numbers their exit codes are made of. */
const STOP_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const
/** The name of a signal that stops a script: `SIGINT`, `SIGTERM` or `SIGHUP`. */
export type StopSignal = keyof typeof STOP_SIGNALS

/** A second signal this soon after the first is the same one delivered twice (npm run with `exec`). */
const REPEAT_WINDOW_MS = 500

/** Options of {@link stopOnSignals} and {@link runMain}: how long to wait for a sent refresh, and test hooks. */
export interface StopOnSignalsOptions {
  /**
   * Longest wait, after the first signal, for a token request already sent to be answered and saved
   * (the refresh budget plus its margin, the longest a holder keeps the lock).
   * @default 50000
   */
  graceMs?: number | undefined
  /** Where the "finishing the refresh" notice goes (default: stderr). */
  write?: ((text: string) => void) | undefined
  /** How to leave (default `process.exit`); for tests. */
  exit?: ((code: number) => void) | undefined
}

/** What {@link stopOnSignals} returns: the signal to pass to requests, and what was received. */
export interface StopOnSignals {
  /** Aborts on the first SIGINT, SIGTERM or SIGHUP. Pass it to every request. */
  readonly signal: AbortSignal
  /** The signal received, if any. */
  received(): StopSignal | undefined
  /** 128 + the received signal's number, or undefined while none was received. */
  exitCode(): number | undefined
  /** Stops listening: a later signal gets the runtime's default (immediate) handling. */
  dispose(): void
}

/**
 * Listens for SIGINT, SIGTERM and SIGHUP. The first aborts `signal` and arms an exit after `graceMs` in case
 * something hangs (the timer does not keep the process alive: a process with nothing left to do ends at once);
 * the second exits at once. The process is not ended here otherwise: what was sent finishes, the caller's
 * code runs its `finally` blocks, and the process ends when nothing is left, with {@link StopOnSignals.exitCode}.
 */
export function stopOnSignals(options: StopOnSignalsOptions = {}): StopOnSignals {
  const graceMs = options.graceMs ?? LOCK_TIMING.refreshBudgetMs + LOCK_MARGIN_MS
  const write = options.write ?? ((text: string) => process.stderr.write(text))
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const controller = new AbortController()
  let received: StopSignal | undefined
  let receivedAt = 0
  const codeOf = (name: StopSignal) => 128 + STOP_SIGNALS[name]

  const listeners = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((name) => {
    const listener = () => {
      if (received) {
        // npm's shell may pass one Ctrl-C on as two SIGINTs a few ms apart: only a later one means "quit now".
        if (Date.now() - receivedAt >= REPEAT_WINDOW_MS) exit(codeOf(received))
        return
      }
      received = name
      receivedAt = Date.now()
      process.exitCode = codeOf(name)
      // After SIGHUP the terminal is gone: a failed write to it must not end the process mid-refresh.
      process.stdout.on('error', () => undefined)
      process.stderr.on('error', () => undefined)
      // No reason: requests then fail as ABORTED ("aborted by the caller"), not as a timeout.
      controller.abort()
      // Still here shortly after: a token request was already sent, and its answer holds the only copy of the
      // new pair. Say why we wait instead of looking hung; a prompt exit never prints it.
      later(() => {
        write(
          `Stopping (${name}): finishing the token refresh already sent, so that its new pair is saved (send ${name} again to quit now).\n`,
        )
      }, 500).unref()
      later(() => exit(codeOf(name)), graceMs).unref()
    }
    return [name, listener] as const
  })
  for (const [name, listener] of listeners) {
    try {
      process.on(name, listener)
    } catch {
      // SIGHUP does not exist on Windows.
    }
  }
  return {
    signal: controller.signal,
    received: () => received,
    exitCode: () => (received ? codeOf(received) : undefined),
    dispose() {
      for (const [name, listener] of listeners) process.off(name, listener)
    },
  }
}

/**
 * True when `AAC_DEBUG` asks for debug output: set to anything but an empty string, `0`, `false`, `no` or
 * `off` (so `AAC_DEBUG=0` turns it off, as people expect).
 *
 * @example
 * debugRequested({ AAC_DEBUG: '0' }) // false
 */
export function debugRequested(env: Record<string, string | undefined> = process.env): boolean {
  const value = env['AAC_DEBUG']?.trim().toLowerCase()
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value)
}

/**
 * A logger that writes one line per event, `[aac] message {"details":…}`, the format of every debug line of the
 * examples and `aac`. The core never hands a token to its logger.
 *
 * @example
 * const logger = lineLogger((line) => process.stderr.write(line))
 */
export function lineLogger(write: (line: string) => void): Logger {
  return (message, details) => write(`[aac] ${message}${details ? ` ${JSON.stringify(details)}` : ''}\n`)
}

/** What {@link runMain} hands the script's body: the stop signal, a logger and the debug flag. */
export interface MainContext {
  /** Aborts on SIGINT, SIGTERM or SIGHUP: pass it to every request (see {@link stopOnSignals}). */
  signal: AbortSignal
  /** Writes token events to stderr when `AAC_DEBUG` asks for them (see {@link debugRequested}), else nothing. */
  logger: Logger
  /** Whether `AAC_DEBUG` asked for debug output (stack traces in error reports). */
  debug: boolean
}

/**
 * Runs a script's body the way every example ends: errors printed by {@link formatError} (one clear paragraph,
 * a stack trace only with `AAC_DEBUG`) with exit code 1, and SIGINT/SIGTERM/SIGHUP handled by
 * {@link stopOnSignals} (a sent token refresh is finished and saved, then exit 130/143/129).
 *
 * @example
 * await runMain(async ({ signal }) => {
 *   const { config, storage } = await loadConfig()
 *   console.log(await createClient({ config, storage }).get('/iam/v1/workspaces/current', { signal }))
 * })
 */
export async function runMain(
  main: (context: MainContext) => Promise<void>,
  options: StopOnSignalsOptions = {},
): Promise<void> {
  const stop = stopOnSignals(options)
  let debug = false
  try {
    // Inside the try: Deno without --allow-env=AAC_DEBUG refuses the read, and formatError names the flag.
    debug = debugRequested()
    const toStderr = lineLogger((line) => process.stderr.write(line))
    const logger: Logger = (message, details) => {
      if (debug) toStderr(message, details)
    }
    await main({ signal: stop.signal, logger, debug })
  } catch (error) {
    // Stopped on purpose: the signal's exit code says it all; anything else is worth a report.
    if (!stop.received()) {
      process.stderr.write(`${formatError(error, { stack: debug })}\n`)
      process.exitCode = 1
    }
  } finally {
    const code = stop.exitCode()
    if (code !== undefined) process.exitCode = code
    stop.dispose()
  }
}
