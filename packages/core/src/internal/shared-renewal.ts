/**
 * One piece of work at a time, shared by every caller who asks meanwhile. A caller's signal only stops that
 * caller's wait: the work goes on for the others, and its result is kept. Only when every caller has given up
 * does the work's own `abandoned` signal fire, so it can stop before doing anything irreversible (the token
 * manager drops a renewal whose refresh token was not sent yet, never one that was).
 */

import { untilAborted } from './abort.ts'

export interface SharedRenewal<T> {
  /** Joins the work in flight, or starts it with `start`; `signal` stops only this caller's wait. */
  join(start: (abandoned: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>
}

/**
 * @example
 * const renewals = createSharedRenewal<string>()
 * const token = await renewals.join((abandoned) => refresh(abandoned), callerSignal)
 */
export function createSharedRenewal<T>(): SharedRenewal<T> {
  let inflight: { promise: Promise<T>; waiting: number; abandon: AbortController } | undefined
  return {
    join(start, signal) {
      if (!inflight) {
        const abandon = new AbortController()
        const renewal = { promise: start(abandon.signal), waiting: 0, abandon }
        inflight = renewal
        renewal.promise
          .finally(() => {
            if (inflight === renewal) inflight = undefined
          })
          .catch(() => undefined)
      }
      const renewal = inflight
      if (!signal) {
        // A caller that cannot give up keeps the work alive.
        renewal.waiting = Number.POSITIVE_INFINITY
        return renewal.promise
      }
      renewal.waiting++
      return untilAborted(renewal.promise, signal, () => {
        if (--renewal.waiting === 0) renewal.abandon.abort(signal.reason)
      })
    },
  }
}
