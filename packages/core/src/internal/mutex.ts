/** A FIFO async mutex: `run` calls wait for every earlier call to settle. */
export interface Mutex {
  run<T>(fn: () => Promise<T>): Promise<T>
}

export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve()
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(fn, fn)
      // The chain must survive a rejected fn, or one failure would jam every later caller.
      tail = result.catch(() => undefined)
      return result
    },
  }
}
