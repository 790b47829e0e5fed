/**
 * The part of IndexedDB that `indexedDbArea` uses, declared here instead of taken from the DOM library: the
 * universal entry must type-check in runtimes whose default types have no IndexedDB (Deno), and a structural
 * subset also lets tests pass a double. Browsers' real objects match it.
 */

// `never`: any DOM handler type (which names its own event and `this`) is assignable to it.
type Handler = ((event: never) => unknown) | null

export type IdbTransactionMode = 'readonly' | 'readwrite'

export interface IdbRequest<T> {
  readonly result: T
  readonly error: unknown
  onsuccess: Handler
  onerror: Handler
}

export interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: Handler
  onblocked: Handler
}

export interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>
  put(value: unknown, key: string): IdbRequest<unknown>
  delete(key: string): IdbRequest<unknown>
}

export interface IdbTransaction {
  readonly error: unknown
  objectStore(name: string): IdbObjectStore
  oncomplete: Handler
  onabort: Handler
}

export interface IdbDatabase {
  readonly version: number
  readonly objectStoreNames: { contains(name: string): boolean }
  transaction(
    store: string,
    mode: IdbTransactionMode,
    options?: { durability?: 'strict' | 'relaxed' | 'default' },
  ): IdbTransaction
  createObjectStore(name: string): unknown
  close(): void
  onversionchange: Handler
  onclose: Handler
}

export interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest
}
