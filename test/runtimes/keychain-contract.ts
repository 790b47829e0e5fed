// The storage contract on the keychain store under `deno test` or `bun test`, against the keyring whose bus
// DBUS_SESSION_BUS_ADDRESS names (test/runtimes/keychain.test.ts starts one and runs this file in both).
// Loaded here, so that the list's computed import of it finds it loaded: Deno would ask for read access to it.
import '../../packages/core/src/storage/keychain.ts'
import { storageContract } from '../../packages/core/test/storage-contract.ts'
import { STORES } from '../../packages/core/test/storage-stores.ts'
import { tempDir } from '../behaviour/harness.ts'

type Register = (name: string, fn: () => Promise<void>) => void

// Reached through globalThis and a computed name: the root tsconfig checks this file with Node's types.
const deno = (globalThis as unknown as { Deno?: { test: Register } }).Deno
const runner = 'bun:test'
const test: Register = deno
  ? (name, fn) => deno.test(name, fn)
  : ((await import(runner)) as { test: Register }).test

const store = STORES.find((candidate) => candidate.name === 'keychainStorage')
if (!store) throw new Error('keychainStorage is missing from packages/core/test/storage-stores.ts')
storageContract({ test }, store.name, () => store.make({ keychain: true, tempDir }), store.options)
