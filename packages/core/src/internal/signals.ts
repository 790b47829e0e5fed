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
