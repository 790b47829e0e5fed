/**
 * The abort and timeout helpers, in one place: waiting that a signal cuts short, the reason to report when a
 * signal fired, racing a promise against a signal, combining signals where `AbortSignal.any` is missing, and a
 * per-attempt timeout that can tell its own expiry from the caller's abort.
 */

import { AbortedError, TimeoutError } from '../errors.ts'

/** Waits `ms`, or rejects as soon as `signal` aborts (with the signal's reason, or ABORTED). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal))
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    function onAbort() {
      clearTimeout(timer)
      reject(abortReason(signal!))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The error to reject with when `signal` fired: the caller's own Error, else TIMEOUT or ABORTED. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  if (reason instanceof Error && reason.name !== 'AbortError' && reason.name !== 'TimeoutError') return reason
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TimeoutError('TIMEOUT', 'The operation timed out.', { cause: reason })
  }
  return new AbortedError('The operation was aborted by the caller.', { cause: reason })
}

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** attempt))
}

/**
 * `promise`, or the abort of `signal`, whichever comes first; the promise itself runs on. `onGiveUp` runs when
 * the signal wins.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, onGiveUp?: () => void): Promise<T> {
  if (signal.aborted) {
    onGiveUp?.()
    return Promise.reject(abortReason(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      onGiveUp?.()
      reject(abortReason(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** AbortSignal.any, with a fallback for runtimes that lack it (it drops its listeners once it fires). */
export function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals)
  const controller = new AbortController()
  const listeners = signals.map((signal) => {
    const onAbort = () => {
      for (const [other, listener] of listeners) other.removeEventListener('abort', listener)
      controller.abort(signal.reason)
    }
    return [signal, onAbort] as const
  })
  const fired = signals.find((signal) => signal.aborted)
  if (fired) {
    controller.abort(fired.reason)
    return controller.signal
  }
  for (const [signal, listener] of listeners) signal.addEventListener('abort', listener, { once: true })
  return controller.signal
}

export interface AttemptSignal {
  signal: AbortSignal | undefined
  /** True when this attempt's own timeout fired (as opposed to the caller's signal). */
  timedOut(): boolean
  dispose(): void
}

/** The caller's signal combined with a per-attempt timeout (none when `timeoutMs` is not a positive number). */
export function attemptSignal(timeoutMs: number, caller: AbortSignal | undefined): AttemptSignal {
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    return { signal: caller, timedOut: () => false, dispose: () => undefined }
  }
  const controller = new AbortController()
  let fired = false
  // A timer of our own rather than AbortSignal.timeout: it is cleared when the attempt ends, so it never
  // keeps a process alive, and it says which of the two fired.
  const timer = setTimeout(() => {
    fired = true
    controller.abort(new DOMException('The request timed out.', 'TimeoutError'))
  }, timeoutMs)
  const signal = caller ? anySignal([caller, controller.signal]) : controller.signal
  return {
    signal,
    timedOut: () => fired,
    dispose: () => clearTimeout(timer),
  }
}
