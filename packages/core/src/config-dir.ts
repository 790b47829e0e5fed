/**
 * Where the three config files are: a folder named by the caller (`aac --config-dir`, loadConfig's `dir`), else
 * `AAC_CONFIG_DIR`, else the nearest folder above the working directory holding aac_url.txt (a project's own
 * config, as Alteryx's examples keep it), else the per-user folder (`$XDG_CONFIG_HOME/aac` or `~/.config/aac`;
 * `%APPDATA%\aac` on Windows), where `aac init` writes by default. Node, Deno and Bun (`node:fs/promises`).
 */

import { statSync } from 'node:fs'
import { dirname, isAbsolute, join, posix, resolve } from 'node:path'
import process from 'node:process'
import { ConfigError } from './errors.ts'
import { isPermissionDenial, permissionDenial } from './internal/permission-hint.ts'
import { CONFIG_FOLDER, userFolder } from './internal/user-folders.ts'

/** The file whose presence marks a config folder. */
const MARKER = 'aac_url.txt'
const FILES = 'aac_url.txt, client_id.txt and creds.json'

/**
 * Which rule chose the config folder, in the order they are tried: a folder the caller named, `AAC_CONFIG_DIR`,
 * the nearest folder above the working directory holding aac_url.txt, the per-user folder.
 */
export type ConfigDirSource = 'option' | 'env' | 'nearest' | 'user'

/**
 * The config folder {@link locateConfigDir} chose, and why.
 *
 * @example
 * const { dir, reason } = await locateConfigDir()
 * console.log(`${dir} (${reason})`) // '/home/me/.config/aac (the per-user folder: ~/.config/aac)'
 */
export interface ConfigDirChoice {
  /** The folder, absolute; it holds aac_url.txt (or was named by the caller, and exists). */
  dir: string
  /** Which rule chose it. */
  source: ConfigDirSource
  /** The rule in words: `from --config-dir`, `from AAC_CONFIG_DIR`, `the nearest folder above … holding aac_url.txt`… */
  reason: string
}

/**
 * Options of {@link locateConfigDir}.
 *
 * @example
 * await locateConfigDir({ dir: argv.configDir, dirOption: '--config-dir' })
 */
export interface LocateConfigDirOptions {
  /** A folder the caller names: it wins over every other rule, and must exist. */
  dir?: string | undefined
  /** What `dir` is called in messages (default `the dir option`). */
  dirOption?: string
  /** Where the upward search starts, and what a relative folder is relative to (default: the working directory). */
  cwd?: string
  /** Environment to read `AAC_CONFIG_DIR`, `XDG_CONFIG_HOME`, `HOME` and `APPDATA` from (default: the process's). */
  env?: Record<string, string | undefined>
  /** The platform whose per-user folder to use (default: this one's). */
  platform?: string
}

/**
 * The per-user config folder: `%APPDATA%\aac` on Windows; elsewhere `$XDG_CONFIG_HOME/aac` when that is an
 * absolute path (the XDG spec ignores a relative one), else `~/.config/aac`.
 *
 * @example
 * userConfigDir({ HOME: '/home/me' }, 'linux') // '/home/me/.config/aac'
 * userConfigDir({ APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }, 'win32') // 'C:\\Users\\me\\AppData\\Roaming\\aac'
 */
export function userConfigDir(
  env: Record<string, string | undefined> = process.env,
  platform: string = process.platform,
): string {
  return userFolder(CONFIG_FOLDER, env, platform)
}

/** How the per-user folder is usually written, for messages: `$XDG_CONFIG_HOME/aac`, `~/.config/aac`, `%APPDATA%\aac`. */
function userDirRule(env: Record<string, string | undefined>, platform: string): string {
  if (platform === 'win32') return '%APPDATA%\\aac'
  const xdg = env['XDG_CONFIG_HOME']?.trim()
  return xdg && posix.isAbsolute(xdg) ? '$XDG_CONFIG_HOME/aac' : '~/.config/aac'
}

/**
 * Finds the config folder by the rules in order (see {@link ConfigDirSource}) and says which one matched. A folder
 * named by the caller or by `AAC_CONFIG_DIR` must exist (a typo is an error, not a quiet fallback on another
 * folder); when no rule matches, the ConfigError names every place looked and says to run `aac init`.
 *
 * @example
 * const { dir, source } = await locateConfigDir({ cwd: '/work/project' })
 */
export async function locateConfigDir(options: LocateConfigDirOptions = {}): Promise<ConfigDirChoice> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const env = options.env ?? process.env
  const platform = options.platform ?? process.platform
  const dirOption = options.dirOption ?? 'the dir option'
  if (options.dir !== undefined) {
    return {
      dir: await namedFolder(options.dir, dirOption, cwd),
      source: 'option',
      reason: `from ${dirOption}`,
    }
  }
  const raw = env['AAC_CONFIG_DIR']
  if (raw) {
    return {
      dir: await namedFolder(raw, 'AAC_CONFIG_DIR', cwd),
      source: 'env',
      reason: 'from AAC_CONFIG_DIR',
    }
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (await isFile(join(dir, MARKER))) {
      const where = dir === cwd ? 'the working directory' : `the nearest folder above ${cwd}`
      return { dir, source: 'nearest', reason: `${where} holding ${MARKER}` }
    }
    if (dirname(dir) === dir) break
  }
  let user: string | undefined
  let unchecked = ''
  try {
    user = userConfigDir(env, platform)
    const rule = userDirRule(env, platform)
    if (await isFile(join(user, MARKER)))
      return { dir: user, source: 'user', reason: `the per-user folder, ${rule}` }
  } catch (error) {
    // Deno without --allow-env=HOME or --allow-read there: say so rather than fail on the sandbox.
    if (!isPermissionDenial(error)) throw error
    unchecked = ` (not checked: ${permissionDenial(error)?.flag ?? 'a permission'} is needed)`
  }
  const places = [
    options.dir === undefined && options.dirOption ? `${options.dirOption} (not given)` : undefined,
    'AAC_CONFIG_DIR (not set)',
    `${cwd} and every folder above it`,
    `the per-user folder${user ? ` ${user}` : ''}${unchecked}`,
  ].filter((place) => place !== undefined)
  throw new ConfigError(
    'CONFIG_MISSING',
    MARKER,
    `No ${MARKER} found. Looked in: ${places.join('; ')}. Run \`aac init\` to write ${FILES} into the per-user folder (or into another with --config-dir DIR), or set AAC_CONFIG_DIR to the folder that holds them.`,
  )
}

/** A folder the user named (option or variable): it must exist, and blanks are a mistake, not "unset". */
async function namedFolder(raw: string, name: string, cwd: string): Promise<string> {
  const value = raw.trim()
  // A stray space in a .env file, `export AAC_CONFIG_DIR=" "`: the user meant a folder, so falling back on the
  // search would quietly use another one. (Set to nothing at all counts as unset.)
  if (!value) {
    const unset =
      name === 'AAC_CONFIG_DIR' ? ' (unset AAC_CONFIG_DIR; PowerShell: Remove-Item Env:AAC_CONFIG_DIR)' : ''
    throw new ConfigError(
      'CONFIG_INVALID',
      name,
      `${name} is set to ${JSON.stringify(raw)}, only whitespace: set it to the folder holding ${FILES}, or unset it${unset}.`,
    )
  }
  const dir = isAbsolute(value) ? resolve(value) : resolve(cwd, value)
  if (!(await isDirectory(dir))) {
    throw new ConfigError(
      'CONFIG_MISSING',
      name,
      `${name} is set to ${dir}, which is not a folder: point it at the folder holding ${FILES} (\`aac init --config-dir ${dir}\` creates them there)${name === 'AAC_CONFIG_DIR' ? ', or unset it' : ''}.`,
    )
  }
  return dir
}

/**
 * Synchronous, and told not to throw for a missing file: the upward search looks at one missing aac_url.txt per
 * folder, and an error object for each (with its stack) was a noticeable part of `aac token`'s start-up.
 */
async function isFile(path: string): Promise<boolean> {
  return look(path)?.isFile() ?? false
}

async function isDirectory(path: string): Promise<boolean> {
  return look(path)?.isDirectory() ?? false
}

function look(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false })
  } catch (error) {
    return absentUnlessDenied(error) || undefined
  }
}

/** Deno's sandbox refusing a look is not "no such file": its error names the flag to add, so let it through. */
function absentUnlessDenied(error: unknown): false {
  if (isPermissionDenial(error)) throw error
  return false
}
