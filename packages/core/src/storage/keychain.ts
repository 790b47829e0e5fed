/**
 * `@aac/core/storage/keychain`: the token pair in the operating system's keychain (macOS Keychain, Windows
 * Credential Manager, the Secret Service on Linux: GNOME Keyring, KWallet, KeePassXC) instead of a plaintext
 * file, through the optional peer dependency `@napi-rs/keyring`, loaded on first use. Its parts live in
 * `./keychain/`: the binding and its errors (`binding.ts`), the names of entries and locks (`names.ts`).
 */

import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { StorageError } from '../errors.ts'
import { LOCK_TIMING } from '../lock-timing.ts'
import { explainWriteError } from './file/checks.ts'
import { isNewer } from './file/leftovers.ts'
import { storeFileLock } from './file/lock.ts'
import { KeychainError, type KeyringEntry, keychainError, openEntry } from './keychain/binding.ts'
import {
  checkAccount,
  defaultStateDir,
  KEYCHAIN_SERVICE,
  keychainLocation,
  keychainLockName,
} from './keychain/names.ts'
import { assertWritable, decodePairText, encodePair } from './pair-codec.ts'
import { IMPORT_PAIR_HINT } from './shared/new-pair.ts'
import type { StoredTokens, TokenStorage, WithLockOptions } from './types.ts'

export {
  bindingLoadError,
  DENO_KEYCHAIN_FLAGS,
  KEYRING_PACKAGE,
  KEYRING_VERSION,
  type KeychainAction,
  KeychainError,
  type KeychainProblem,
  keychainError,
} from './keychain/binding.ts'
export {
  checkAccount,
  defaultStateDir,
  KEYCHAIN_SERVICE,
  keychainAccount,
  keychainLocation,
  keychainLockName,
} from './keychain/names.ts'

/**
 * Options of {@link keychainStorage}: which entry, and the lock programs sharing it take.
 *
 * @example
 * const storage = keychainStorage({ account: keychainAccount(config), region: config.region })
 */
export interface KeychainStorageOptions {
  /**
   * Names the chain: the entry's account. `keychainAccount(config)` gives the default name of a config (the
   * API's host and the project's Client ID); any other name lets several pairs for one config coexist.
   */
  account: string
  /** The entry's service. Default {@link KEYCHAIN_SERVICE} (`aac`). */
  service?: string | undefined
  /** The folder of the lock file. Default {@link defaultStateDir} (`~/.local/state/aac`, `%LOCALAPPDATA%\aac`). */
  stateDir?: string | undefined
  /** The lock file itself, which every program sharing the entry must agree on. Default: in `stateDir`. */
  lockPath?: string | undefined
  /** Where `XDG_STATE_HOME`, `HOME` and `LOCALAPPDATA` are read for the default state folder (default: the process's). */
  env?: Record<string, string | undefined> | undefined
  /** How long `withLock` waits for another program: as `fileStorage`'s option (default 62 s, the timing rule). */
  lockTimeoutMs?: number | undefined
  /** After how long a lock whose owner may be alive is taken over: as `fileStorage`'s (default 60 s). */
  staleMs?: number | undefined
  /** The region (`us1`, `eu1`…) of the API in use, for the pages named in messages. */
  region?: string | undefined
}

/** A {@link TokenStorage} backed by one keychain entry. */
export interface KeychainTokenStorage extends TokenStorage {
  /** `keychain entry "aac" › "<account>"`, for messages. */
  readonly location: string
  /** The entry's service (`aac`). */
  readonly service: string
  /** The entry's account: the chain's name. */
  readonly account: string
  /** The lock file every program sharing the entry takes (the keychain has no lock of its own). */
  readonly lockPath: string
  /**
   * {@link KeychainTokenStorage.lockPath}, its folder created: for code that takes the lock itself with
   * `acquireFileLock`, as `fileStorage` offers it (the browser example's bridge does).
   */
  resolveLockPath(): Promise<string>
  /** Runs `fn` holding the lock file. */
  withLock<T>(fn: () => Promise<T>, options?: WithLockOptions): Promise<T>
  /**
   * Keeps a pair that `write` could not store in a second entry, `<account> (recovered)`; returns its
   * location. Never a file: a keychain that refuses both leaves the pair in memory, and the error says so.
   */
  saveRecovery(tokens: StoredTokens): Promise<string>
  /**
   * Deletes the entry and any recovered copy; true if there was an entry. For moving the pair elsewhere once it
   * is stored and verified there (`aac creds move --to file`). Take the lock around it.
   */
  remove(): Promise<boolean>
}

/** What `saveRecovery` appends to the account of the recovery entry. */
const RECOVERED_SUFFIX = ' (recovered)'

/** How to put a pair there, in the pair codec's messages. */
const KEYCHAIN_FIX =
  'store a pair there with `aac creds move --to keychain` (from creds.json) or `aac creds import` (from stdin or environment variables)'

/**
 * Keeps the token pair in one keychain entry (service `aac`, account naming the chain), written in one call so
 * a reader sees the old pair or the new one, never half: the pair codec's JSON, `{access_token, refresh_token,
 * aac?}`, with the metadata beside the pair. No byte of it goes to a file.
 *
 * The keychain has no lock, so `withLock` takes the cross-process lock file of `fileStorage`
 * (`acquireFileLock`) on `<state folder>/keychain-<service>-<account>-<hash>.lock`, with the same timing rule
 * (wait 62 s, stale after 60 s): every program using the entry, in Node, Deno or Bun, excludes the others, and
 * the token manager re-reads the entry inside it. The lock file holds only its owner's pid, host and a random id.
 *
 * On Linux the entry must be in a Secret Service: with none on the session bus (a headless box), a locked
 * keyring, or none to store in, every call rejects with a {@link KeychainError} that says so and names the
 * fixes; nothing ever falls back to the kernel keyring or a plaintext file.
 *
 * @example
 * import { keychainAccount, keychainStorage } from '@aac/core/storage/keychain'
 * const storage = keychainStorage({ account: keychainAccount(config) })
 * createClient({ config, storage })
 */
export function keychainStorage(options: KeychainStorageOptions): KeychainTokenStorage {
  const service = checkAccount(options.service ?? KEYCHAIN_SERVICE, 'the service option')
  const account = checkAccount(options.account)
  const location = keychainLocation(service, account)
  const lockPath = resolve(
    options.lockPath ??
      join(options.stateDir ?? defaultStateDir(options.env), keychainLockName(service, account)),
  )
  const lockOptions = {
    timeoutMs: options.lockTimeoutMs ?? LOCK_TIMING.waitMs,
    staleMs: options.staleMs ?? LOCK_TIMING.staleMs,
  }
  const { region } = options
  const main = entryOf(service, account, location)
  const recovered = entryOf(
    service,
    account + RECOVERED_SUFFIX,
    keychainLocation(service, account + RECOVERED_SUFFIX),
  )
  // A recovered pair read() returned but could not save to the entry: removed by the first write of it or a newer one.
  let pending: StoredTokens | undefined
  // Whoever takes the lock by its path (withLock, the browser example's bridge) finds its folder there.
  const resolveLockPath = async () => {
    await makeStateDir(dirname(lockPath))
    return lockPath
  }
  // Only while it is held does read() adopt a recovered pair (outside the lock another program may be saving
  // it right now).
  const lock = storeFileLock(resolveLockPath, lockOptions)

  const readPair = async (entry: Entry): Promise<StoredTokens | undefined> => {
    const text = await entry.get()
    if (text === null) return undefined
    const read = decodePairText(text, { where: entry.location, region, fix: KEYCHAIN_FIX })
    // Written in one call, so never half-written: a value that is not a pair was put there by someone else.
    if (!read.ok) throw new KeychainError('not-a-pair', read.problem.message, { location: entry.location })
    return read.tokens
  }

  return {
    location,
    newPairHint: IMPORT_PAIR_HINT,
    service,
    account,
    lockPath,
    resolveLockPath,
    async read() {
      const current = await readPair(main)
      if (!lock.held) return current
      const copy = await readPair(recovered).catch(() => undefined)
      if (!copy || !isNewer(copy, current)) return current
      try {
        await main.set(encode(copy))
        await recovered.remove().catch(() => undefined)
      } catch {
        // Return it anyway (its access token may serve as is); the next write reports the cause.
        pending = copy
      }
      return copy
    },
    async write(tokens) {
      assertWritable(tokens, location)
      await main.set(encode(tokens))
      const saved = pending
      if (saved && (tokens.refreshToken === saved.refreshToken || isNewer(tokens, saved))) {
        pending = undefined
        await recovered.remove().catch(() => undefined)
      }
    },
    withLock: (fn, options) => lock.withLock(fn, options),
    async saveRecovery(tokens) {
      assertWritable(tokens, recovered.location)
      await recovered.set(encode(tokens))
      return recovered.location
    },
    async remove() {
      const removed = await main.remove()
      await recovered.remove()
      return removed
    },
  }
}

/** The stored form: compact, since some keychains keep little (Windows: 2560 bytes). */
function encode(tokens: StoredTokens): string {
  return JSON.stringify(encodePair(tokens))
}

/** One entry, opened on first use and reopened after a failure (the keychain service may have restarted). */
interface Entry {
  readonly location: string
  get(): Promise<string | null>
  set(text: string): Promise<void>
  remove(): Promise<boolean>
}

function entryOf(service: string, account: string, location: string): Entry {
  let opened: Promise<KeyringEntry> | undefined
  const call = async <T>(action: 'read' | 'write' | 'delete', use: (entry: KeyringEntry) => Promise<T>) => {
    opened ??= openEntry(service, account, location)
    try {
      return await use(await opened)
    } catch (error) {
      opened = undefined
      throw keychainError(error, action, location)
    }
  }
  return {
    location,
    get: () => call('read', (entry) => entry.getPassword()),
    set: (text) => call('write', (entry) => entry.setPassword(text)),
    remove: () => call('delete', (entry) => entry.deleteCredential()),
  }
}

/** The state folder, owner-only when created; a failure names it and how to choose another. */
async function makeStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw new StorageError(
      'STORAGE_ERROR',
      `Could not create ${dir}, the folder of the keychain's lock file (${explainWriteError(error, dirname(dir))}). Set XDG_STATE_HOME (LOCALAPPDATA on Windows) to a writable folder, or pass stateDir.`,
      { cause: error, location: dir },
    )
  }
}
