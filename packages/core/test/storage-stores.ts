/**
 * Every store the storage contract (storage-contract.ts) runs against, in one list. Adding a store is its file in
 * src/storage/ and one entry here; every runner then runs the contract on it where its runtime can:
 *
 * - storage-stores.test.ts: vitest under Node, webStorage on the doubles of storage-web-doubles.ts;
 * - test/behaviour/storage.ts: the same under Node, Deno and Bun;
 * - a browser page (test/browser/fixtures/contract-entry.ts can pass `{ browser: true }`): the stores that need
 *   no file system, webStorage on the page's real IndexedDB and navigator.locks.
 *
 * Web APIs only at the top level, so that a browser bundle of this file works: a store that needs a runtime is
 * imported when its case runs, by a computed name that bundlers leave alone.
 */
import { memoryStorage } from '../src/storage/memory.ts'
import { indexedDbArea, webStorage } from '../src/storage/web.ts'
import {
  type ContractHarness,
  type ContractOptions,
  type ContractSubject,
  storageContract,
} from './storage-contract.ts'
import { fakeArea, fakeLocks } from './storage-web-doubles.ts'

/** What the runtime running the contract offers the stores. */
export interface StoreRuntime {
  /** A new empty folder, and its removal: where there is a file system (Node, Deno, Bun). */
  tempDir?: (() => Promise<{ path: string; remove(): Promise<void> }>) | undefined
  /** A browser page: browser stores use its IndexedDB and Web Locks instead of doubles. */
  browser?: boolean | undefined
  /** Appended to each store's name in the case names (`in chromium`). */
  label?: string | undefined
  /**
   * A Secret Service the process reaches (DBUS_SESSION_BUS_ADDRESS points at an unlocked keyring, started by
   * test/keyring.ts): runs the keychain store. Its runners are packages/core/test/storage-keychain.test.ts and
   * test/runtimes/keychain-contract.test.ts (Deno, Bun).
   */
  keychain?: boolean | undefined
  /**
   * URLs of real Redis and PostgreSQL servers (test/servers/): runs the Redis and PostgreSQL stores, each case on
   * a chain of its own. Their runners are packages/core/test/storage-redis.test.ts,
   * packages/core/test/storage-postgres.test.ts and test/runtimes/shared-stores-contract.test.ts (Deno, Bun).
   */
  servers?: { redis?: string | undefined; postgres?: string | undefined } | undefined
}

export interface StoreCase {
  /** The factory's name, which starts every case name. */
  readonly name: string
  /**
   * `files`: runs only where `StoreRuntime.tempDir` is given; `keychain`: also needs `StoreRuntime.keychain`;
   * `redis`, `postgres`: runs only where `StoreRuntime.servers` names that server.
   */
  readonly needs?: 'files' | 'keychain' | 'redis' | 'postgres'
  /** The contract's options for this store (what it promises beyond the minimum). */
  readonly options?: ContractOptions
  /** A fresh, isolated store, and how to remove what it left. */
  make(runtime: StoreRuntime): Promise<ContractSubject>
}

/** The list. */
export const STORES: readonly StoreCase[] = [
  {
    name: 'memoryStorage',
    options: { abortsLockWait: true },
    make: async () => ({ storage: memoryStorage(), cleanup: async () => {} }),
  },
  {
    name: 'fileStorage',
    needs: 'files',
    options: { abortsLockWait: true },
    async make({ tempDir }) {
      const { fileStorage } = await importRuntimeStore<typeof import('../src/storage/file.ts')>('file')
      const dir = await tempDir!()
      // lockTimeoutMs: a lock that does not exclude shows up as an error, not as a 62 s wait.
      return {
        storage: fileStorage({ path: `${dir.path}/creds.json`, lockTimeoutMs: 10_000 }),
        cleanup: dir.remove,
      }
    },
  },
  {
    name: 'keychainStorage',
    needs: 'keychain',
    options: { abortsLockWait: true },
    async make({ tempDir }) {
      const { keychainStorage } =
        await importRuntimeStore<typeof import('../src/storage/keychain.ts')>('keychain')
      // An entry of its own per case (the keyring is shared by the file's cases), its lock in a temp state folder.
      const dir = await tempDir!()
      const storage = keychainStorage({
        account: `contract ${crypto.randomUUID()}`,
        stateDir: dir.path,
        lockTimeoutMs: 10_000,
      })
      return {
        storage,
        async cleanup() {
          await storage.remove()
          await dir.remove()
        },
      }
    },
  },
  {
    name: 'redisStorage',
    needs: 'redis',
    options: { abortsLockWait: true },
    async make({ servers }) {
      const { redisStorage } = await importRuntimeStore<typeof import('../src/storage/redis.ts')>('redis')
      // A chain of its own per case; lockTimeoutMs: a lock that does not exclude fails instead of waiting 62 s.
      const storage = redisStorage({
        url: servers!.redis!,
        name: `contract-${crypto.randomUUID()}`,
        lockTimeoutMs: 10_000,
      })
      return { storage, cleanup: () => storage.close() }
    },
  },
  {
    name: 'postgresStorage',
    needs: 'postgres',
    options: { abortsLockWait: true },
    async make({ servers }) {
      const { postgresStorage } =
        await importRuntimeStore<typeof import('../src/storage/postgres.ts')>('postgres')
      const storage = postgresStorage({
        url: servers!.postgres!,
        name: `contract-${crypto.randomUUID()}`,
        lockTimeoutMs: 10_000,
      })
      return { storage, cleanup: () => storage.close() }
    },
  },
  {
    name: 'webStorage',
    async make({ browser }) {
      if (!browser)
        return { storage: webStorage({ area: fakeArea(), locks: fakeLocks() }), cleanup: async () => {} }
      // A key (and so a lock name) of its own per case: cases must not see each other's pairs.
      const key = `aac.contract.${crypto.randomUUID()}`
      return { storage: webStorage({ key }), cleanup: () => indexedDbArea().delete(key) }
    },
  },
]

/**
 * Registers the contract for every store of {@link STORES} that `runtime` can run.
 *
 * @example
 * storeContracts({ test: (name, fn) => it(name, fn) }, { tempDir })
 */
export function storeContracts(t: ContractHarness, runtime: StoreRuntime = {}): void {
  for (const store of STORES) {
    if (store.needs === 'files' && !runtime.tempDir) continue
    if (store.needs === 'keychain' && !(runtime.keychain && runtime.tempDir)) continue
    if ((store.needs === 'redis' || store.needs === 'postgres') && !runtime.servers?.[store.needs]) continue
    const name = runtime.label ? `${store.name} ${runtime.label}` : store.name
    storageContract(t, name, () => store.make(runtime), store.options)
  }
}

/** src/storage/<name>.ts, by a name a bundler cannot follow (see the comment at the top). */
function importRuntimeStore<T>(name: string): Promise<T> {
  const url = new URL(`../src/storage/${name}.ts`, import.meta.url).href
  return import(url) as Promise<T>
}
