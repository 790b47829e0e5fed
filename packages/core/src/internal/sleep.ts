import { TimeoutError } from '../errors.ts'

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

export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  if (reason instanceof Error && reason.name !== 'AbortError' && reason.name !== 'TimeoutError') return reason
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TimeoutError('TIMEOUT', 'The operation timed out.', { cause: reason })
  }
  return new TimeoutError('ABORTED', 'The operation was aborted by the caller.', { cause: reason })
}

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
) {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** attempt))
}
