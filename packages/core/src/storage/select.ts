/**
 * Where the token pair lives, chosen by one setting every program of the toolkit honours (the examples, `aac`,
 * the browser example's dev server, through `loadConfig`): `AAC_STORE`, else `store.txt` in the config folder
 * (beside aac_url.txt and client_id.txt), else `file`, creds.json, which Alteryx's own scripts read.
 *
 *   file               creds.json in the config folder (the default)
 *   keychain           the system keychain, the entry named by the API's host and the project's Client ID
 *   keychain:<name>    the system keychain, the entry `<name>` (several pairs for one config)
 *
 * Each kind is one entry of {@link STORE_KINDS}, keyed by the part before the first `:` (a URL's scheme):
 * `redis://…` and `postgres://…` are entries of the same map, the value handed on whole. The file and keychain
 * stores are imported up front, since they cost nothing until used (the keychain loads its binding on first
 * use); a store whose module pulls in a client library imports it in its `open`. (Code loaded by Vite's config
 * runner, as the browser example's dev server is, cannot import anything once the config is loaded: a store it
 * must reach is imported up front.)
 */

import { join } from 'node:path'
import process from 'node:process'
import { cleanText } from '../config.ts'
import { ConfigError, StorageError } from '../errors.ts'
import { isPermissionDenial } from '../internal/permission-hint.ts'
import type { AacConfig } from '../types.ts'
import { CONFIG_FILE_MAX_BYTES, explainReadFailure } from './file/checks.ts'
import { errorCode } from './file/error-code.ts'
import { readTextFile } from './file/read-text-file.ts'
import { fileStorage } from './file.ts'
import { checkAccount, keychainAccount, keychainStorage } from './keychain.ts'
import { accessTokenProblem } from './pair-codec.ts'
import type { StoredTokens, TokenStorage } from './types.ts'

/** The environment variable that chooses the store; it wins over store.txt. */
export const STORE_ENV = 'AAC_STORE'
/** The file in the config folder that chooses the store when `AAC_STORE` is unset. */
export const STORE_FILE = 'store.txt'
/** The store used when nothing chooses one: creds.json. */
export const DEFAULT_STORE = 'file'

/**
 * A store setting, parsed: `kind` picks the entry of {@link STORE_KINDS}; `rest` is what follows `kind:`
 * (a keychain entry's name; a URL's `//host…`), `value` the setting as written.
 */
export interface StoreSpec {
  /** `file`, `keychain`, or a URL scheme (`redis`, `postgres`…), lower-cased. */
  readonly kind: string
  /** The setting as written, trimmed. */
  readonly value: string
  /** What follows `<kind>:`, or `''`. */
  readonly rest: string
  /** Where the setting came from, for messages: `AAC_STORE`, the store.txt path, `the store option` or `default`. */
  readonly source: string
}

/** What a store kind needs to open the store of one config. */
export interface StoreContext {
  /** The config the pair belongs to (the keychain names its entry after it). */
  readonly config: Pick<AacConfig, 'apiUrl' | 'projectId' | 'region'>
  /** creds.json's path: the file store's, and where a user would look first. */
  readonly credsPath: string
  /** Where variables are read (the keychain's state folder). */
  readonly env: Record<string, string | undefined>
}

/** One kind of store: how its setting looks, and how to open it. */
export interface StoreKind {
  /** The setting's forms, for messages listing what is accepted: `keychain or keychain:<name>`. */
  readonly usage: string
  /** Opens the store. A store that needs a client library imports its module here, so unused ones cost nothing. */
  open(spec: StoreSpec, context: StoreContext): Promise<TokenStorage>
}

/**
 * The store kinds, by the part of the setting before the first `:`. A new kind is one entry here whose `open`
 * dynamically imports its module (`./redis.ts`, `./postgres.ts`) and builds the store from `spec.value`.
 *
 * @example
 * await STORE_KINDS['keychain']?.open(parseStoreSpec('keychain:work', 'AAC_STORE'), context)
 */
export const STORE_KINDS: Readonly<Record<string, StoreKind>> = {
  file: {
    usage: 'file (creds.json, the default)',
    async open(spec, { credsPath, config }) {
      if (spec.rest !== '') throw invalidSpec(spec, 'file takes no name: creds.json is in the config folder')
      return fileStorage({ path: credsPath, region: config.region })
    },
  },
  keychain: {
    usage: 'keychain or keychain:<name> (the system keychain)',
    async open(spec, { config, env }) {
      const account =
        spec.rest === '' ? keychainAccount(config) : checkAccount(spec.rest, describeSource(spec))
      return keychainStorage({ account, region: config.region, env })
    },
  },
  redis: sharedStoreKind('redis://[user:password@]host[:port][/db][#name] or rediss://… (Redis)', 'redis'),
  rediss: sharedStoreKind('', 'redis'),
  postgres: sharedStoreKind(
    'postgres://[user:password@]host[:port]/database[#name] or postgresql://… (PostgreSQL)',
    'postgres',
  ),
  postgresql: sharedStoreKind('', 'postgres'),
}

/**
 * A Redis or PostgreSQL URL: the whole setting is the store's URL, its fragment the chain's name, by default the
 * keychain's (the API's host and the project's Client ID), so that configs sharing a server keep apart. The
 * store's module, and its client library, are imported only when chosen. `usage` '' (the second scheme of the
 * same store) is left out of the list of accepted values.
 */
function sharedStoreKind(usage: string, store: 'redis' | 'postgres'): StoreKind {
  return {
    usage,
    async open(spec, { config }) {
      const options = { url: spec.value, defaultName: keychainAccount(config) }
      if (store === 'redis') return (await import('./redis.ts')).redisStorage(options)
      return (await import('./postgres.ts')).postgresStorage(options)
    },
  }
}

/**
 * Parses a store setting. Unknown kinds and malformed values are ConfigErrors naming `source` and listing
 * what is accepted.
 *
 * @example
 * parseStoreSpec('keychain:work', 'AAC_STORE') // { kind: 'keychain', rest: 'work', value: 'keychain:work', source: 'AAC_STORE' }
 */
export function parseStoreSpec(value: string, source: string): StoreSpec {
  const trimmed = value.trim()
  const match = /^([A-Za-z][A-Za-z0-9+.-]*)(?::([\s\S]*))?$/.exec(trimmed)
  const kind = match?.[1]?.toLowerCase() ?? ''
  const spec: StoreSpec = { kind, value: trimmed, rest: match?.[2] ?? '', source }
  if (!match || !Object.hasOwn(STORE_KINDS, kind)) throw invalidSpec(spec, 'it names no token store')
  return spec
}

/** Options of {@link readStoreSpec}: where to look. */
export interface ReadStoreSpecOptions {
  /** The config folder, where store.txt may be. */
  dir?: string | undefined
  /** Where `AAC_STORE` is read (default: the process's). */
  env?: Record<string, string | undefined> | undefined
  /** A setting that wins over both (`loadConfig`'s `store` option). */
  store?: string | undefined
}

/**
 * The store setting in force: the `store` option, else `AAC_STORE`, else `<dir>/store.txt`, else `file`.
 *
 * `AAC_STORE` set to nothing counts as unset; set to blanks it is an error (the user meant something). Deno
 * without `--allow-env=AAC_STORE` cannot see it: then it counts as unset too, so that the examples' usual
 * permissions keep working; store.txt, in the folder Deno already reads, works everywhere.
 *
 * @example
 * const spec = await readStoreSpec({ dir: '/home/me/aac' }) // { kind: 'file', source: 'default', … }
 */
export async function readStoreSpec(options: ReadStoreSpecOptions = {}): Promise<StoreSpec> {
  if (options.store !== undefined) return parseStoreSpec(options.store, 'the store option')
  const raw = readEnv(options.env ?? process.env)
  if (raw !== undefined && raw !== '') {
    if (raw.trim() === '') {
      throw new ConfigError(
        'CONFIG_INVALID',
        STORE_ENV,
        `${STORE_ENV} is set to ${JSON.stringify(raw)}, only whitespace: set it to ${acceptedValues()}, or unset it (unset ${STORE_ENV}; PowerShell: Remove-Item Env:${STORE_ENV}).`,
      )
    }
    return parseStoreSpec(raw, STORE_ENV)
  }
  if (options.dir !== undefined) {
    const fromFile = await readStoreFile(options.dir)
    if (fromFile) return fromFile
  }
  return { kind: DEFAULT_STORE, value: DEFAULT_STORE, rest: '', source: 'default' }
}

/**
 * Opens the store a spec names, importing its module now.
 *
 * @example
 * const storage = await openStore(await readStoreSpec({ dir }), { config, credsPath, env: process.env })
 */
export async function openStore(spec: StoreSpec, context: StoreContext): Promise<TokenStorage> {
  const kind = Object.hasOwn(STORE_KINDS, spec.kind) ? STORE_KINDS[spec.kind] : undefined
  if (!kind) throw invalidSpec(spec, 'it names no token store')
  return kind.open(spec, context)
}

/** Options of {@link selectStore}: {@link ReadStoreSpecOptions} and {@link StoreContext} together. */
export interface SelectStoreOptions extends ReadStoreSpecOptions, Omit<StoreContext, 'env'> {
  /** Where `AAC_STORE` and the store's own variables are read (default: the process's). */
  env?: Record<string, string | undefined> | undefined
}

/**
 * The store the setting in force names, opened: what `loadConfig` hands to `createClient`.
 *
 * @example
 * const { spec, storage } = await selectStore({ dir, config, credsPath: join(dir, 'creds.json') })
 */
export async function selectStore(
  options: SelectStoreOptions,
): Promise<{ spec: StoreSpec; storage: TokenStorage }> {
  const spec = await readStoreSpec(options)
  const env = options.env ?? process.env
  const storage = await openStore(spec, { config: options.config, credsPath: options.credsPath, env })
  return { spec, storage }
}

/**
 * How messages name where a setting came from: `AAC_STORE=keychain`, `store.txt (/home/me/aac/store.txt)`.
 *
 * @example
 * describeSource(spec) // 'AAC_STORE=keychain'
 */
export function describeSource(spec: StoreSpec): string {
  if (spec.source === STORE_ENV) return `${STORE_ENV}=${showValue(spec.value)}`
  if (spec.source === 'default') return 'the default store'
  if (spec.source === 'the store option') return 'the store option'
  return spec.source
}

/** Reads AAC_STORE; Deno's refusal to let us (no --allow-env=AAC_STORE) counts as unset. */
function readEnv(env: Record<string, string | undefined>): string | undefined {
  try {
    return env[STORE_ENV]
  } catch (error) {
    if (isPermissionDenial(error)) return undefined
    throw error
  }
}

/** store.txt: one line, `#` comments and blank lines ignored; undefined when there is no such file. */
async function readStoreFile(dir: string): Promise<StoreSpec | undefined> {
  const path = join(dir, STORE_FILE)
  let text: string
  try {
    text = await readTextFile(path, { maxBytes: CONFIG_FILE_MAX_BYTES })
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || (error instanceof Error && error.name === 'NotFound'))
      return undefined
    if (isPermissionDenial(error)) throw error
    throw new ConfigError('CONFIG_INVALID', path, explainReadFailure(path, error), { cause: error })
  }
  const lines = cleanText(text)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  if (lines.length !== 1) {
    const what = lines.length === 0 ? 'is empty' : `holds ${lines.length} settings`
    throw new ConfigError(
      'CONFIG_INVALID',
      path,
      `${path} ${what}: it says where the token pair lives, in one line: ${acceptedValues()}. Delete the file to keep the pair in creds.json.`,
    )
  }
  return parseStoreSpec(lines[0]!, path)
}

function invalidSpec(spec: StoreSpec, why: string): ConfigError {
  const where =
    spec.source === STORE_ENV
      ? `${STORE_ENV} is set to ${JSON.stringify(showValue(spec.value))}`
      : `${spec.source} says ${JSON.stringify(showValue(spec.value))}`
  const fix =
    spec.source === STORE_ENV
      ? `set ${STORE_ENV} to ${acceptedValues()}, or unset it to use ${STORE_FILE} or creds.json`
      : spec.source === 'the store option'
        ? `pass ${acceptedValues()}`
        : `put ${acceptedValues()} in it, or delete it to keep the pair in creds.json`
  return new ConfigError('CONFIG_INVALID', spec.source, `${where}, but ${why}: ${fix}.`)
}

/** The accepted values, from the map: `file (…), keychain or keychain:<name> (…)…`. */
function acceptedValues(): string {
  return Object.values(STORE_KINDS)
    .map((kind) => kind.usage)
    .filter((usage) => usage !== '')
    .join(', ')
}

/** A setting for a message: a URL's password (redis://:secret@host) is never shown. */
function showValue(value: string): string {
  return value.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/?#]*@/, '$1***@')
}

/**
 * The pair in a store other than creds.json, checked as `loadConfig` checks creds.json's (the access token's
 * claims a refresh needs): a ConfigError naming the setting when the store holds no pair.
 *
 * @example
 * const tokens = await loadStoredPair(storage, spec, config.region)
 */
export async function loadStoredPair(
  storage: TokenStorage,
  spec: StoreSpec,
  region?: string,
): Promise<StoredTokens> {
  const tokens = await storage.read()
  if (!tokens) {
    throw new ConfigError(
      'CONFIG_MISSING',
      spec.source,
      `${storage.location} holds no token pair (${describeSource(spec)} keeps the pair there): store one with \`aac creds move --to ${spec.value}\` (from creds.json) or \`aac creds import\` (from stdin or environment variables), or choose creds.json (${spec.source === STORE_ENV ? `unset ${STORE_ENV}` : `delete ${spec.source}`}).`,
    )
  }
  const problem = accessTokenProblem(tokens.accessToken, storage.location, region)
  if (problem) throw new StorageError('STORAGE_ERROR', problem.message, { location: storage.location })
  return tokens
}

/** Options of {@link movePair}. */
export interface MovePairOptions {
  /** Where the pair is now. */
  from: TokenStorage
  /** Where it goes. */
  to: TokenStorage
  /**
   * Runs once the pair is in `to` and read back intact, still under both locks: clear the old place here (put
   * the placeholders in creds.json, `remove()` a keychain entry) and write the new setting (store.txt), so that
   * no program sees the pair in both places, or in neither.
   */
  afterCopy?: ((tokens: StoredTokens) => Promise<void>) | undefined
}

/**
 * Copies the pair from one store to another under both stores' locks (taken in a fixed order, so two moves in
 * opposite directions cannot wait for each other), reads it back from `to`, and only then runs `afterCopy`.
 * Until the copy is verified nothing changes at `from`; a failure rejects with the store's own error. Returns
 * the pair moved. What `aac creds move` is made of.
 *
 * @example
 * await movePair({ from: fileStorage({ path }), to: keychainStorage({ account }), afterCopy: clearCredsJson })
 */
export async function movePair(options: MovePairOptions): Promise<StoredTokens> {
  const { from, to, afterCopy } = options
  if (from.location === to.location) {
    throw new StorageError('STORAGE_ERROR', `The pair is already in ${to.location}: nothing to move.`, {
      location: to.location,
    })
  }
  const [first, second] = from.location < to.location ? [from, to] : [to, from]
  return first.withLock(() =>
    second.withLock(async () => {
      const tokens = await from.read()
      if (!tokens) {
        throw new StorageError('STORAGE_ERROR', `${from.location} holds no token pair: nothing to move.`, {
          location: from.location,
        })
      }
      await to.write(tokens)
      const back = await to.read()
      if (back?.accessToken !== tokens.accessToken || back.refreshToken !== tokens.refreshToken) {
        throw new StorageError(
          'STORAGE_ERROR',
          `${to.location} did not give back the pair just written to it, so ${from.location} was left as it was: check that no other program writes ${to.location}, and try again.`,
          { location: to.location },
        )
      }
      await afterCopy?.(tokens)
      return tokens
    }),
  )
}
