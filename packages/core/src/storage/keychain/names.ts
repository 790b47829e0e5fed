/**
 * What the keychain store's entries and lock are called, and where the lock lives.
 *
 * An entry is found by a service and an account, as every keychain names its items (macOS: "Where" and
 * "Account"; Windows: the target `<account>.<service>`; the Secret Service: the attributes `service` and
 * `username`). The service is `aac` for every chain; the account names one chain, so that several configs (two
 * regions, two API projects, a work and a test user) coexist: by default the API's host and the project's Client
 * ID, `api.us1.alteryxcloud.com/<client id>`, or a name the user picks (`AAC_STORE=keychain:work`).
 */

import { createHash } from 'node:crypto'
import process from 'node:process'
import { ConfigError } from '../../errors.ts'
import { STATE_FOLDER, userFolder } from '../../internal/user-folders.ts'
import type { AacConfig } from '../../types.ts'

/** The service of every entry the keychain store writes. */
export const KEYCHAIN_SERVICE = 'aac'

/** The longest account name accepted: keychains take more, but a name is for people to read. */
const MAX_ACCOUNT_LENGTH = 200

/**
 * The account a config's chain is kept under by default: the API's host and the project's Client ID.
 *
 * @example
 * keychainAccount({ apiUrl: 'https://api.us1.alteryxcloud.com', projectId: 'abc123' })
 * // 'api.us1.alteryxcloud.com/abc123'
 */
export function keychainAccount(config: Pick<AacConfig, 'apiUrl' | 'projectId'>): string {
  return `${new URL(config.apiUrl).host}/${config.projectId}`
}

/**
 * The account as given, or a ConfigError naming `source` (the option, `AAC_STORE`, store.txt) and the rule.
 *
 * @example
 * checkAccount('work', 'AAC_STORE') // 'work'
 */
export function checkAccount(account: string, source = 'the account option'): string {
  const name = account.trim()
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here.
  const bad = name === '' || name.length > MAX_ACCOUNT_LENGTH || /[\u0000-\u001f\u007f]/.test(name)
  if (bad) {
    throw new ConfigError(
      'CONFIG_INVALID',
      source,
      `${source} names the keychain account ${JSON.stringify(account.slice(0, MAX_ACCOUNT_LENGTH))}: an account name is 1 to ${MAX_ACCOUNT_LENGTH} characters on one line, such as keychain:work.`,
    )
  }
  return name
}

/**
 * How messages name an entry: `keychain entry "aac" › "api.us1.alteryxcloud.com/abc123"`.
 *
 * @example
 * keychainLocation('aac', 'work') // 'keychain entry "aac" › "work"'
 */
export function keychainLocation(service: string, account: string): string {
  return `keychain entry ${JSON.stringify(service)} › ${JSON.stringify(account)}`
}

/**
 * The per-user folder for state that is not configuration, where the keychain's lock files live:
 * `$XDG_STATE_HOME/aac`, else `~/.local/state/aac` (Linux, macOS and the BSDs alike, as the XDG spec says);
 * `%LOCALAPPDATA%\aac` on Windows. `env` is where the variables are read (default: the process's).
 *
 * @example
 * defaultStateDir({ XDG_STATE_HOME: '/home/me/.state' }) // '/home/me/.state/aac'
 */
export function defaultStateDir(
  env: Record<string, string | undefined> = process.env,
  platform: string = process.platform,
): string {
  return userFolder(STATE_FOLDER, env, platform)
}

/**
 * The lock file's name for an entry: readable, and unique per entry (a hash of the exact names, since the
 * readable part drops characters a file name cannot hold).
 *
 * @example
 * keychainLockName('aac', 'work') // 'keychain-aac-work-3f9c0a1b2c.lock'
 */
export function keychainLockName(service: string, account: string): string {
  const readable = `${service}-${account}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100)
  const hash = createHash('sha256').update(`${service}\u0000${account}`).digest('hex').slice(0, 10)
  return `keychain-${readable}-${hash}.lock`
}
