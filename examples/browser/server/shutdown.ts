// How the dev server stops without losing a pair: the bridge work in flight, and the signals that stop it.
//
// A token request the dev server forwards for the page spends the old refresh token the moment it reaches the
// token service; the new pair exists only in the answer. Vite, told to stop (SIGTERM), closes its server and
// exits, and Ctrl-C (SIGINT) or a closed terminal (SIGHUP) would kill it outright: either way that answer
// would be lost. So the plugin waits for it (bounded) before the server is done closing, and handles SIGINT and
// SIGHUP as Vite handles SIGTERM: close, which now waits, then exit 128 + the signal's number.
import process from 'node:process'

export interface InFlight {
  /** Counts `work` until it settles; `token` marks a token request (the terminal says so when it waits). */
  track<T>(work: Promise<T>, kind?: 'token'): Promise<T>
  /** Token requests in flight. */
  tokenRequests(): number
  /** Work in flight, of any kind. */
  size(): number
  /** Waits until nothing is in flight (work started meanwhile included), for at most `ms`. True if it is all done. */
  settle(ms: number): Promise<boolean>
}

export function createInFlight(): InFlight {
  const work = new Set<Promise<unknown>>()
  let tokens = 0
  return {
    track(promise, kind) {
      if (kind === 'token') tokens++
      const entry = promise.then(
        () => undefined,
        () => undefined,
      )
      work.add(entry)
      void entry.then(() => {
        work.delete(entry)
        if (kind === 'token') tokens--
      })
      return promise
    },
    tokenRequests: () => tokens,
    size: () => work.size,
    async settle(ms) {
      const deadline = Date.now() + ms
      while (work.size > 0) {
        const left = deadline - Date.now()
        if (left <= 0) return false
        let timer: ReturnType<typeof setTimeout> | undefined
        const timeUp = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left)
        })
        await Promise.race([Promise.all([...work]), timeUp])
        clearTimeout(timer)
      }
      return true
    },
  }
}

/** The signals that stop a dev server, with the numbers their exit codes are made of (as @aac/core/process). */
const STOP_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const
/**
 * One stop request often arrives twice within milliseconds: Ctrl-C signals the terminal's whole process group,
 * and npm, in that group, forwards SIGINT and SIGTERM to its child as well (measured: 4 ms apart when the script's
 * shell execs the command, as bash does for a one-command script). Signals this soon after the first are that
 * same request, not a second one.
 */
const SAME_REQUEST_MS = 500
export type StopSignal = keyof typeof STOP_SIGNALS

export interface StopOnSignalsOptions {
  /** Closes the dev server (which waits for the token requests in flight). */
  close: () => Promise<void>
  /** Longest the close may take before the process exits anyway. */
  graceMs: number
  /** How to leave (default `process.exit`); for tests. */
  exit?: (code: number) => void
}

/**
 * On the first SIGINT, SIGTERM or SIGHUP: close (bounded by `graceMs` and a little more), then exit with
 * 128 + the signal's number (130, 143, 129). A second signal exits at once (one within `SAME_REQUEST_MS` of the
 * first is the same request delivered twice, and is ignored). Vite has its own SIGTERM handler
 * doing the same close and exit; this one adds the second-signal rule and the same code for all three. Returns
 * the function that removes the listeners.
 */
export function stopOnSignals(options: StopOnSignalsOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code))
  let received: StopSignal | undefined
  let receivedAt = 0
  const codeOf = (name: StopSignal) => 128 + STOP_SIGNALS[name]
  const listeners = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((name) => {
    const listener = () => {
      if (received) {
        if (Date.now() - receivedAt >= SAME_REQUEST_MS) exit(codeOf(received))
        return
      }
      received = name
      receivedAt = Date.now()
      process.exitCode = codeOf(name)
      // After SIGHUP the terminal is gone: a failed write to it must not end the process mid-refresh.
      process.stdout.on('error', () => undefined)
      process.stderr.on('error', () => undefined)
      const quit = () => exit(codeOf(name))
      setTimeout(quit, options.graceMs + 5_000).unref()
      options.close().then(quit, quit)
    }
    return [name, listener] as const
  })
  for (const [name, listener] of listeners) {
    try {
      process.on(name, listener)
    } catch {
      // A signal this platform does not have.
    }
  }
  return () => {
    for (const [name, listener] of listeners) process.off(name, listener)
  }
}
