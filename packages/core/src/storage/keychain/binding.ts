/**
 * The system keychain through `@napi-rs/keyring` (a Node-API binding of keyring-rs: macOS Keychain, Windows
 * Credential Manager, the Secret Service on Linux), imported only when a keychain store is first used, so that
 * nothing else in `@aac/core` needs it. It is an optional peer dependency: whoever uses the keychain installs it.
 *
 * Also here: the binding's failures, sorted into what the user can do about them (no keychain service, a locked
 * keychain, two entries under one name…), each worded with the fix and never with a token.
 */

import { createRequire } from 'node:module'
import { StorageError } from '../../errors.ts'
import { isPermissionDenial } from '../../internal/permission-hint.ts'

/** The package the keychain store loads, and the version this release is tested with. */
export const KEYRING_PACKAGE = '@napi-rs/keyring'
/** The version of {@link KEYRING_PACKAGE} that the tests of this release run against. */
export const KEYRING_VERSION = '2.1.2'

/**
 * What Deno must grant for the binding to load (Linux): `--allow-ffi` for any Node-API module, and the few
 * reads its loader makes to tell glibc from musl and to honour its override variables.
 *
 * @example
 * `deno run ${DENO_KEYCHAIN_FLAGS.join(' ')} …`
 */
export const DENO_KEYCHAIN_FLAGS: readonly string[] = [
  '--allow-ffi',
  '--allow-read=/usr/bin/ldd',
  '--allow-env=NAPI_RS_NATIVE_LIBRARY_PATH,NAPI_RS_FORCE_WASI,NAPI_RS_WASI_FLAVOR',
]

/** The part of the binding's `AsyncEntry` the store uses: one credential, by service and account. */
export interface KeyringEntry {
  getPassword(): Promise<string | null>
  setPassword(password: string): Promise<void>
  deleteCredential(): Promise<boolean>
}

/** Opens one entry; on Linux pinned to the Secret Service (see {@link openEntry}). */
type EntryConstructor = new (
  service: string,
  account: string,
  options?: { linux?: { store?: 'secret-service' | 'keyutils' } },
) => KeyringEntry

let loading: Promise<EntryConstructor> | undefined

/**
 * The binding's `AsyncEntry` (its calls run off the main thread), loaded once per process. A failed load is
 * not remembered: installing the package and retrying in the same process works.
 */
function loadAsyncEntry(): Promise<EntryConstructor> {
  loading ??= importBinding().then(
    (module) => {
      // A CommonJS module: its exports are named exports in Node, Deno and Bun, and `default` everywhere.
      const found = module.AsyncEntry ?? module.default?.AsyncEntry
      if (typeof found !== 'function') throw new Error(`${KEYRING_PACKAGE} has no AsyncEntry export`)
      return found as EntryConstructor
    },
    (error: unknown) => {
      loading = undefined
      throw bindingLoadError(error)
    },
  )
  return loading
}

type BindingModule = { AsyncEntry?: unknown; default?: { AsyncEntry?: unknown } }

/**
 * `import()` first (Deno maps the name to `npm:` in its import map); then Node's `require` from this file, for
 * code whose `import()` is not the runtime's: Vite's config runner, which loads the browser example's dev server,
 * refuses every `import()` once the config is loaded. The import's error is the one reported.
 */
async function importBinding(): Promise<BindingModule> {
  try {
    return (await import('@napi-rs/keyring')) as BindingModule
  } catch (error) {
    if (deniedIn(error)) throw error
    try {
      return createRequire(import.meta.url)(KEYRING_PACKAGE) as BindingModule
    } catch {
      throw error
    }
  }
}

/**
 * Opens the entry `service` › `account`. On Linux it is pinned to the Secret Service: the binding would
 * otherwise fall back, without a word, on the kernel's keyring, which forgets everything at reboot.
 */
export async function openEntry(service: string, account: string, location: string): Promise<KeyringEntry> {
  const AsyncEntry = await loadAsyncEntry()
  try {
    return new AsyncEntry(service, account, { linux: { store: 'secret-service' } })
  } catch (error) {
    throw keychainError(error, 'open', location)
  }
}

/**
 * Why the keychain could not be used, for code that branches: `no-service` (no keychain answers: a headless
 * Linux box without a Secret Service), `locked` (it is locked and nobody unlocked it), `no-keyring` (a Secret
 * Service with no default keyring to store in), `ambiguous` (several entries under one name), `too-long` (the
 * pair exceeds what this keychain stores), `not-a-pair` (the entry holds something else), `binding` (the
 * binding is missing or failed to load), `failed` (anything else).
 */
export type KeychainProblem =
  | 'no-service'
  | 'locked'
  | 'no-keyring'
  | 'ambiguous'
  | 'too-long'
  | 'not-a-pair'
  | 'binding'
  | 'failed'

/**
 * A keychain store failure: a StorageError (code `STORAGE_ERROR`) whose `problem` says which kind, so that
 * `aac creds status` and other callers can branch without reading the message.
 *
 * @example
 * if (error instanceof KeychainError && error.problem === 'no-service') suggestFileStore()
 */
export class KeychainError extends StorageError {
  /** What kind of failure: see {@link KeychainProblem}. */
  readonly problem: KeychainProblem

  constructor(
    problem: KeychainProblem,
    message: string,
    options: { cause?: unknown; location?: string } = {},
  ) {
    super('STORAGE_ERROR', message, options)
    this.problem = problem
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problem: this.problem }
  }
}

/** What a failed call was doing, for the message. */
export type KeychainAction = 'open' | 'read' | 'write' | 'delete'

const VERBS: Record<KeychainAction, string> = {
  open: 'open',
  read: 'read the tokens from',
  write: 'save the tokens to',
  delete: 'delete',
}

/** How to keep going without the keychain, in every message that says it cannot be used. */
const KEEP_THE_FILE =
  'or keep the pair in creds.json with owner-only permissions instead (unset AAC_STORE, or put "file" in store.txt; chmod 600 creds.json)'

/**
 * The binding's error, sorted and worded with the fix. keyring-rs's messages name the platform's failure and
 * never the secret; only their first line is kept, cut short, as the detail.
 *
 * @example
 * throw keychainError(error, 'read', 'keychain entry "aac" › "work"')
 */
export function keychainError(error: unknown, action: KeychainAction, location: string): KeychainError {
  if (error instanceof KeychainError) return error
  const detail = detailOf(error)
  const intro = `Could not ${VERBS[action]} ${location}`
  const unchanged = action === 'read' || action === 'open' ? '' : ' It was left unchanged.'
  const make = (problem: KeychainProblem, message: string) =>
    new KeychainError(problem, message, { cause: error, location })
  if (isPermissionDenial(error)) return make('binding', denoMessage(intro, detail))
  const problem = classify(detail)
  switch (problem) {
    case 'no-service':
      return make(problem, `${intro}: no keychain service answered (${detail}). ${noServiceFix()}`)
    case 'locked':
      return make(
        problem,
        `${intro}: the keychain is locked (${detail}). Unlock it and run again: on a desktop, log in or unlock the "login" keyring (Seahorse, Keychain Access); on a headless Linux box, start gnome-keyring-daemon --unlock with the keyring's password on stdin (docs/stores.md shows how), ${KEEP_THE_FILE}.${unchanged}`,
      )
    case 'no-keyring':
      return make(
        problem,
        `${intro}: the Secret Service has no default keyring to store it in (${detail}). Create one and make it the default (Seahorse: File › New › Password Keyring; or start gnome-keyring-daemon --unlock, which creates the "login" keyring), ${KEEP_THE_FILE}.${unchanged}`,
      )
    case 'ambiguous':
      return make(
        problem,
        `${intro}: several keychain entries answer to that name (${detail}). Keep one: remove the others with Seahorse, Keychain Access or Credential Manager (Linux: secret-tool search --all service <service> username <account>, then secret-tool clear for the extra ones).${unchanged}`,
      )
    case 'too-long':
      return make(
        problem,
        `${intro}: the pair is longer than this keychain stores (${detail}; Windows Credential Manager keeps at most 2560 bytes). Keep the pair in creds.json with owner-only permissions instead (unset AAC_STORE, or put "file" in store.txt).${unchanged}`,
      )
    default:
      return make('failed', `${intro}: the keychain failed (${detail}).${unchanged}`)
  }
}

/** What to do when no keychain service answers: the fixes named by docs/stores.md. */
function noServiceFix(): string {
  return (
    'On Linux the keychain is a Secret Service on the session D-Bus (GNOME Keyring, KWallet, KeePassXC): ' +
    'install one and unlock it (Debian/Ubuntu: sudo apt-get install gnome-keyring dbus-user-session, then log ' +
    'in to a session; on a headless box, run your program under dbus-run-session with gnome-keyring-daemon ' +
    `--unlock, as docs/stores.md shows), ${KEEP_THE_FILE}. Nothing was written anywhere else: the keychain ` +
    'store never falls back to a plaintext file.'
  )
}

/** Deno refused what the binding needs: name every flag at once, not one per run. */
function denoMessage(intro: string, detail: string): string {
  return `${intro}: Deno refused what the keychain binding needs (${detail}). Run Deno with ${DENO_KEYCHAIN_FLAGS.join(' ')} (Node-API modules need --allow-ffi), or use the keychain from Node or Bun, or keep the pair in creds.json (unset AAC_STORE, or put "file" in store.txt).`
}

function classify(detail: string): KeychainProblem {
  if (
    /DBUS_SESSION_BUS_ADDRESS|autolaunch|Failed to connect to socket|not provided by any \.service files|ServiceUnknown|NoServer|Connection refused/i.test(
      detail,
    )
  ) {
    return 'no-service'
  }
  if (
    /prompt was dismissed|is locked|locked collection|interaction is not allowed|user canceled/i.test(detail)
  ) {
    return 'locked'
  }
  if (/no result found|no such (?:object|collection)|default collection/i.test(detail)) return 'no-keyring'
  if (/matched by \d+ credentials|ambiguous/i.test(detail)) return 'ambiguous'
  if (/longer than (?:the )?platform limit|too long/i.test(detail)) return 'too-long'
  return 'failed'
}

/**
 * Deno's refusal somewhere in `error`'s causes, as its message: the binding's loader catches it and rethrows
 * "Cannot find native binding" over a chain of plain errors that keep only the messages.
 */
function deniedIn(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 16 && current instanceof Error; depth++) {
    if (isPermissionDenial(current) || /^Requires \w+ access/.test(current.message)) return detailOf(current)
    current = current.cause
  }
  return undefined
}

/** The binding's message, first line only, at most 300 characters. */
function detailOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const line = message.split('\n')[0]?.trim() ?? ''
  return line.length > 300 ? `${line.slice(0, 300)}…` : line || 'no details'
}

/**
 * Why the binding could not be loaded, worded with the fix: the package is not installed, it has no build for
 * this platform, or Deno lacks a permission.
 *
 * @example
 * await import('@napi-rs/keyring').catch((error) => { throw bindingLoadError(error) })
 */
export function bindingLoadError(error: unknown): KeychainError {
  const detail = detailOf(error)
  const intro = 'The keychain store could not load its binding'
  const denial = deniedIn(error)
  if (denial) return new KeychainError('binding', denoMessage(intro, denial), { cause: error })
  const code = (error as { code?: unknown } | null)?.code
  const missing =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /Cannot find (?:package|module)|Could not resolve|not found in import map|Relative import path/i.test(
      detail,
    )
  if (missing && detail.includes(KEYRING_PACKAGE)) {
    return new KeychainError(
      'binding',
      `The keychain store needs the optional package ${KEYRING_PACKAGE}, which is not installed: add it beside @aac/core (npm install ${KEYRING_PACKAGE}@${KEYRING_VERSION}; pnpm add, yarn add or bun add the same), or in Deno map it in deno.json ("imports": {"${KEYRING_PACKAGE}": "npm:${KEYRING_PACKAGE}@${KEYRING_VERSION}"}). Or keep the pair in creds.json (unset AAC_STORE, or put "file" in store.txt).`,
      { cause: error },
    )
  }
  // Its loader's advice about an npm bug misleads everyone else: keep the first sentence.
  const found = detail.startsWith('Cannot find native binding') ? 'Cannot find native binding' : detail
  return new KeychainError(
    'binding',
    `${intro} ${KEYRING_PACKAGE} (${found}): it has prebuilt binaries for Windows, macOS, Linux (glibc and musl) and FreeBSD on x64 and arm64; reinstall it for this platform (your package manager must install its optional dependencies), or keep the pair in creds.json (unset AAC_STORE, or put "file" in store.txt).`,
    { cause: error },
  )
}
