/**
 * The per-user folders of the XDG base directory spec and their Windows counterparts, read one way for the config
 * folder (config-dir.ts) and the keychain's lock files (storage/keychain/names.ts).
 */

import { homedir } from 'node:os'
import { posix, win32 } from 'node:path'

type Env = Record<string, string | undefined>

/** Which per-user folder: its XDG variable and default below home, and its Windows variable and default. */
export interface UserFolderKind {
  /** `XDG_CONFIG_HOME`, `XDG_STATE_HOME`. A relative value is ignored, as the spec says. */
  readonly xdg: string
  /** Below home when that variable is unset or relative: `.config`, `.local/state`. */
  readonly xdgDefault: readonly string[]
  /** `APPDATA`, `LOCALAPPDATA`. */
  readonly windows: string
  /** Below home on Windows when that variable is unset: `AppData/Roaming`, `AppData/Local`. */
  readonly windowsDefault: readonly string[]
}

/** Where configuration goes: `$XDG_CONFIG_HOME/aac`, `~/.config/aac`, `%APPDATA%\aac`. */
export const CONFIG_FOLDER: UserFolderKind = {
  xdg: 'XDG_CONFIG_HOME',
  xdgDefault: ['.config'],
  windows: 'APPDATA',
  windowsDefault: ['AppData', 'Roaming'],
}

/** Where state that is not configuration goes: `$XDG_STATE_HOME/aac`, `~/.local/state/aac`, `%LOCALAPPDATA%\aac`. */
export const STATE_FOLDER: UserFolderKind = {
  xdg: 'XDG_STATE_HOME',
  xdgDefault: ['.local', 'state'],
  windows: 'LOCALAPPDATA',
  windowsDefault: ['AppData', 'Local'],
}

/**
 * The user's home: `USERPROFILE` on Windows, else `HOME`, else what the system says.
 *
 * @example
 * homeFolder({ HOME: '/home/me' }, 'linux') // '/home/me'
 */
export function homeFolder(env: Env, platform: string): string {
  return (platform === 'win32' ? env['USERPROFILE']?.trim() : undefined) || env['HOME']?.trim() || homedir()
}

/**
 * This toolkit's folder of a kind, `aac` inside the user's folder of that kind.
 *
 * @example
 * userFolder(STATE_FOLDER, { HOME: '/home/me' }, 'linux') // '/home/me/.local/state/aac'
 */
export function userFolder(kind: UserFolderKind, env: Env, platform: string): string {
  if (platform === 'win32') {
    const base = env[kind.windows]?.trim()
    return win32.join(base || win32.join(homeFolder(env, platform), ...kind.windowsDefault), 'aac')
  }
  const xdg = env[kind.xdg]?.trim()
  if (xdg && posix.isAbsolute(xdg)) return posix.join(xdg, 'aac')
  return posix.join(homeFolder(env, platform), ...kind.xdgDefault, 'aac')
}
