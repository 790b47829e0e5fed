// Doubles of what webStorage uses in a browser, with the semantics that matter to it: an async key-value area
// (IndexedDB's role) and Web Locks. Web APIs only, so every runtime's contract runner can use them (see
// storage-stores.ts); the real ones run the same contract in test/browser/standalone.test.ts.
import type { WebLocks, WebStorageArea } from '../src/storage/web.ts'

/** A Map behind the async area API, shared by the "tabs" of one test like IndexedDB is by an origin's tabs. */
export function fakeArea(): WebStorageArea & { items: Map<string, string>; gets: number } {
  const items = new Map<string, string>()
  const area = {
    items,
    gets: 0,
    get: async (key: string) => {
      area.gets++
      return items.get(key)
    },
    set: async (key: string, value: string) => {
      items.set(key, value)
    },
  }
  return area
}

/** Web Locks semantics that matter here: one holder per name, FIFO, and an abort signal that cuts the wait. */
export function fakeLocks(): WebLocks {
  const tails = new Map<string, Promise<void>>()
  return {
    request(name, options, callback) {
      const { signal } = options
      if (signal?.aborted) return Promise.reject(signal.reason)
      const previous = tails.get(name) ?? Promise.resolve()
      let release!: () => void
      const done = new Promise<void>((resolve) => {
        release = resolve
      })
      tails.set(
        name,
        previous.then(() => done),
      )
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          reject(signal?.reason)
          release()
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        void previous.then(async () => {
          if (signal?.aborted) return
          signal?.removeEventListener('abort', onAbort)
          try {
            resolve(await callback({ name }))
          } catch (error) {
            reject(error)
          } finally {
            release()
          }
        })
      })
    },
  }
}
