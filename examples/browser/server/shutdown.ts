// How the dev server stops without losing a pair: the bridge work in flight, and the signals that stop it.
//
// A token request the dev server forwards for the page spends the old refresh token the moment it reaches the
// token service; the new pair exists only in the answer. Vite, told to stop (SIGTERM), closes its server and
// exits, and Ctrl-C (SIGINT) or a closed terminal (SIGHUP) would kill it outright: either way that answer
// would be lost. So the plugin waits for it (bounded) before the server is done closing, and handles SIGINT and
// SIGHUP as Vite handles SIGTERM: close, which now waits, then exit 128 + the signal's number.
import process from 'node:process'
import { stopOnSignals as onStopSignals } from '@aac/core/process'

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
 * 128 + the signal's number (130, 143, 129). The signal rules are the examples' own (`stopOnSignals` of
 * `@aac/core/process`): a second signal exits at once, one arriving within half a second of the first is the
 * same request delivered twice (npm forwards Ctrl-C to its child too) and is ignored. Vite has its own SIGTERM
 * handler doing the same close and exit. Returns the function that removes the listeners.
 */
export function stopOnSignals(options: StopOnSignalsOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code))
  // The plugin says on the terminal when it waits for a refresh, and only then: no notice from the core.
  const stop = onStopSignals({ graceMs: options.graceMs + 5_000, exit, write: () => undefined })
  stop.signal.addEventListener(
    'abort',
    () => {
      const quit = () => exit(stop.exitCode() ?? 1)
      options.close().then(quit, quit)
    },
    { once: true },
  )
  return () => stop.dispose()
}
