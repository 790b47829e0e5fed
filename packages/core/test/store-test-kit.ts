// What the store test files share: the storage contract of storage-stores.ts under vitest, pairs named by a label,
// and for the Redis and PostgreSQL stores (storage-redis.test.ts, storage-postgres.test.ts) stores on chains of
// their own closed after the file, and the cases whose steps are the same on both servers.
import { readFile, rm, stat } from 'node:fs/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { fakeWorkspace, readPair, run } from '../../../test/helpers.ts'
import { createClient } from '../src/client.ts'
import { loadConfig } from '../src/fs.ts'
import type { ServerStorageOptions, ServerTokenStorage } from '../src/storage/shared/server-options.ts'
import type { StoredTokens } from '../src/storage/types.ts'
import { storageContract } from './storage-contract.ts'
import { STORES, type StoreRuntime } from './storage-stores.ts'
import { makeJwt } from './tokens.ts'

/** The contract's cases on the store `name` of the list, with what `runtime` offers once the file's servers run. */
export function contractOn(name: string, runtime: () => StoreRuntime): void {
  const found = STORES.find((store) => store.name === name)
  if (!found) throw new Error(`${name} is missing from the store list (storage-stores.ts)`)
  storageContract(
    { test: (title, fn) => it(title, fn) },
    found.name,
    () => found.make(runtime()),
    found.options,
  )
}

/**
 * `pair(label, secondsAgo)`: the pair named `label`, whose access token was issued `secondsAgo` ago (recovery
 * compares pairs by `iat`); the same object each time for a label.
 */
export function labelledPairs(): (label: string, secondsAgo?: number) => StoredTokens {
  const pairs = new Map<string, StoredTokens>()
  return (label, secondsAgo = 0) => {
    let made = pairs.get(label)
    if (!made) {
      made = {
        accessToken: makeJwt({ jti: label }, Date.now() - secondsAgo * 1000),
        refreshToken: `refresh-${label}`,
      }
      pairs.set(label, made)
    }
    return made
  }
}

/** One server store under test. */
export interface ServerStoreSpec<S extends ServerTokenStorage, O extends ServerStorageOptions> {
  /** `redis`, `postgres`: its module (src/storage/<module>.ts), whose factory is `<module>Storage`. */
  readonly module: 'redis' | 'postgres'
  /** The running server's URL (its superuser's). */
  url(): string
  open(options: O): S
  /** The `location` of the chain `chain` on the server at `url()`. */
  location(chain: string): string
  /** Fails unless no recovered copy of `storage`'s chain is left on the server. */
  expectNoRecovered(storage: S): Promise<void>
  /** A store on the chain `gone` of a port where nothing listens. */
  unreachable(): S
}

/**
 * Stores on chains of their own (`store`), and any other store a test opens (`track`), closed after the file;
 * `sharedCases()` registers the cases the Redis and PostgreSQL stores pass alike, `aacStoreCase()` the one of
 * AAC_STORE naming the server.
 */
export function serverStoreTests<S extends ServerTokenStorage, O extends ServerStorageOptions>(
  spec: ServerStoreSpec<S, O>,
) {
  const made: S[] = []
  afterAll(async () => {
    await Promise.all(made.map((storage) => storage.close()))
  })
  const track = (storage: S): S => {
    made.push(storage)
    return storage
  }
  const store = (options: Partial<O> = {}): S =>
    track(spec.open({ url: spec.url(), name: `t-${crypto.randomUUID()}`, ...options } as O))
  const pair = labelledPairs()

  const sharedCases = () => {
    it('remove deletes the pair and any recovered copy (what aac creds move does after copying it elsewhere)', async () => {
      const storage = store()
      await storage.write(pair('to-remove'))
      await storage.saveRecovery(pair('old-copy', 30))
      expect(await storage.withLock(() => storage.remove())).toBe(true)
      expect(await storage.read()).toBeUndefined()
      expect(await storage.withLock(() => storage.read())).toBeUndefined()
      expect(await storage.remove()).toBe(false)
    })

    it('a recovered pair newer than the stored one is adopted by the next read under the lock', async () => {
      const storage = store()
      await storage.write(pair('stale', 60))
      const fresh = pair('fresh')
      await storage.saveRecovery(fresh)
      // Outside the lock nothing is adopted.
      expect(await storage.read()).toEqual(pair('stale', 60))
      expect(await storage.withLock(() => storage.read())).toEqual(fresh)
      expect(await storage.read()).toEqual(fresh)
      await spec.expectNoRecovered(storage)
    })

    it('keeps a rotated pair in a temp file when the server cannot take it', async () => {
      const storage = spec.unreachable()
      const where = await storage.saveRecovery(pair('lost'))
      expect(where).toMatch(new RegExp(`aac-${spec.module}-gone\\.recovered-.*\\.json$`))
      expect(JSON.parse(await readFile(where, 'utf8')).refresh_token).toBe('refresh-lost')
      expect((await stat(where)).mode & 0o777).toBe(0o600)
      await rm(where)
    })

    it('an idle store keeps no program alive', async () => {
      const factory = `${spec.module}Storage`
      const script = `import { ${factory} } from './packages/core/src/storage/${spec.module}.ts'
const s = ${factory}({ url: ${JSON.stringify(spec.url())}, name: 'idle' })
await s.write({ accessToken: 'a', refreshToken: 'r' })
await s.withLock(() => s.read())
console.log('done')`
      const result = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        timeoutMs: 10_000,
      })
      expect(result.stdout.trim()).toBe('done')
      expect(result.code).toBe(0)
    })
  }

  const aacStoreCase = () => {
    describe(`AAC_STORE=${spec.module}://…`, () => {
      it("loadConfig opens the store: a client rotates the expired pair through it, on the config's chain", async () => {
        const ws = await fakeWorkspace()
        try {
          const { access_token, refresh_token } = readPair(await ws.readCreds())
          const { config } = await loadConfig({ dir: ws.dir, env: {} })
          // The chain's default name: the API's host and the project's Client ID, as the keychain's.
          const chain = `${new URL(config.apiUrl).host}/${config.projectId}`
          const direct = store({ name: chain } as Partial<O>)
          await direct.write({ accessToken: access_token, refreshToken: refresh_token })
          const loaded = await loadConfig({ dir: ws.dir, env: { AAC_STORE: spec.url() } })
          track(loaded.storage as S)
          expect(loaded.storage.location).toBe(spec.location(chain))
          const client = createClient({ config: loaded.config, storage: loaded.storage })
          expect(await client.get('/iam/v1/workspaces/current')).toBeTruthy()
          expect(ws.cloud.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 })
          const saved = await direct.read()
          expect(ws.cloud.isRefreshTokenValid(saved!.refreshToken)).toBe(true)
          // creds.json was not used: it still holds the spent pair.
          expect(readPair(await ws.readCreds()).refresh_token).toBe(refresh_token)
          // `#name` picks another chain, here one that holds no pair yet.
          const other = loadConfig({ dir: ws.dir, env: { AAC_STORE: `${spec.url()}#other` } })
          await expect(other).rejects.toThrow(`${spec.location('other')} holds no token pair (AAC_STORE=`)
        } finally {
          await ws.close()
        }
      })
    })
  }

  return { store, track, pair, sharedCases, aacStoreCase }
}
