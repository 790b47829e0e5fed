/**
 * What every `aac creds` command starts from: the config folder, aac_url.txt and client_id.txt (which name the
 * keychain entry and the region), the store setting in force and where it came from, and a way to open any store.
 * Unlike `openSession`, nothing here reads the pair: these commands look at stores that may hold none yet.
 */

import { join } from 'node:path'
import type { AacConfig, TokenStorage } from '@aac/core'
import { isTokenShaped } from '@aac/core/diagnostics'
import {
  CREDS_FILE,
  loadApiUrl,
  loadProjectId,
  openStore,
  parseStoreSpec,
  readStoreSpec,
  STORE_ENV,
  STORE_FILE,
  STORE_KINDS,
  type StoreSpec,
} from '@aac/core/fs'
import { UsageError } from '../exit-codes.ts'
import type { CliIo } from '../io.ts'
import { configDir } from '../session.ts'

export interface CredsContext {
  io: CliIo
  /** The config folder. */
  dir: string
  config: AacConfig
  /** creds.json in the config folder: the file store's. */
  credsPath: string
  /** store.txt in the config folder, which `aac creds move` rewrites. */
  storeFile: string
  /** The setting in force: `AAC_STORE`, else store.txt, else `file`. */
  setting: StoreSpec
  /** Opens the store a setting names (its client library loaded now). */
  open(spec: StoreSpec): Promise<TokenStorage>
}

/**
 * The config folder and its two small files, and the setting in force; a ConfigError naming the file when one is
 * missing or wrong, exactly as every other command says it.
 *
 * @example
 * const context = await openCredsContext(io)
 * const storage = await context.open(context.setting)
 */
export async function openCredsContext(io: CliIo): Promise<CredsContext> {
  const { dir } = await configDir(io)
  const { url } = await loadApiUrl(dir)
  const { projectId } = await loadProjectId(dir, url.region)
  const config: AacConfig = { ...url, projectId }
  const credsPath = join(dir, CREDS_FILE)
  const setting = await readStoreSpec({ dir, env: io.env })
  return {
    io,
    dir,
    config,
    credsPath,
    storeFile: join(dir, STORE_FILE),
    setting,
    open: (spec) => openStore(spec, { config, credsPath, env: io.env }),
  }
}

/**
 * A store setting given as an option (`--to`, `--from`), parsed; a value shaped like a token is refused before
 * anything could quote it.
 *
 * @example
 * const target = storeOption('keychain', '--to') // { kind: 'keychain', value: 'keychain', source: '--to', … }
 */
export function storeOption(value: string, option: string): StoreSpec {
  refuseTokenValue(value, option)
  const kind = /^[A-Za-z][A-Za-z0-9+.-]*/.exec(value.trim())?.[0].toLowerCase()
  if (kind === undefined || !Object.hasOwn(STORE_KINDS, kind)) {
    const accepted = Object.values(STORE_KINDS)
      .map((entry) => entry.usage)
      .join('; ')
    throw new UsageError(
      `${option} ${JSON.stringify(showSetting(value))} names no token store: pass one of ${accepted}.`,
    )
  }
  return parseStoreSpec(value, option)
}

/**
 * Refuses an option value shaped like a token: a token on the command line is visible to every program on this
 * machine and stays in the shell's history. The value is never repeated.
 */
export function refuseTokenValue(value: string, option: string): void {
  if (isTokenShaped(value)) throw new UsageError(tokenArgumentMessage(`The value of ${option}`))
}

/** Why a token is never taken from the command line, and the two ways that keep it out of it. */
export function tokenArgumentMessage(what: string): string {
  return `${what} looks like a token, and aac never takes a token from the command line: every user of this machine can read a program's arguments (ps, /proc/<pid>/cmdline) and your shell keeps them in its history. Pipe the pair on stdin (aac creds import < pair.json, or two lines: the access token, then the refresh token), or put it in environment variables and use aac creds import --from-env. The value was not shown, used or stored; if it was a real token, clear it from your shell history.`
}

/**
 * Refuses words after `aac creds <command>`: a token there is refused with why (never quoted); anything else
 * is an unknown argument.
 *
 * @example
 * refuseArguments(['eyJhbGciOi…'], 'aac creds import') // throws a UsageError explaining why
 */
export function refuseArguments(words: readonly string[], command: string): void {
  if (words.length === 0) return
  // `--access-token …` is a token on the command line even when the value does not look like one.
  if (
    words.some((word) => isTokenShaped(word) || /^--?(?:access|refresh|id)?[-_]?token(?:=|$)/i.test(word))
  ) {
    throw new UsageError(tokenArgumentMessage(`An argument of ${command}`))
  }
  // Nothing typed after the command is quoted: a token need not look like one to be one.
  const option = words.find((word) => word.startsWith('-'))
  throw new UsageError(
    option === undefined
      ? `${command} takes no arguments (it was given ${words.length}): see ${command} --help.`
      : `${command} has no option ${option.split('=')[0]}: see ${command} --help.`,
  )
}

/**
 * A setting for people: the value (a URL's password hidden) and where it came from.
 *
 * @example
 * describeSetting(spec) // 'keychain (from store.txt: /home/me/aac/store.txt)'
 */
export function describeSetting(spec: StoreSpec): string {
  return `${showSetting(spec.value)} (${settingOrigin(spec)})`
}

/** Where a setting came from, in words. */
export function settingOrigin(spec: StoreSpec): string {
  if (spec.source === STORE_ENV) return `from ${STORE_ENV}`
  if (spec.source === 'default') return 'the default: neither AAC_STORE nor store.txt says otherwise'
  if (spec.source.endsWith(STORE_FILE)) return `from ${STORE_FILE}: ${spec.source}`
  return `from ${spec.source}`
}

/** Which kind of place a setting came from, for scripts: `AAC_STORE`, `store.txt`, `default` or the option. */
export function settingSourceKind(spec: StoreSpec): string {
  if (spec.source === STORE_ENV || spec.source === 'default') return spec.source
  return spec.source.endsWith(STORE_FILE) ? STORE_FILE : spec.source
}

/** A setting as it may be shown or written beside the pair: a URL's password (`redis://:secret@host`) hidden. */
export function showSetting(value: string): string {
  return value.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/?#]*@/, '$1***@')
}

/** Closes a store that keeps connections (Redis, PostgreSQL), so the command can exit. */
export async function closeStore(storage: TokenStorage | undefined): Promise<void> {
  const close = (storage as { close?: () => Promise<void> } | undefined)?.close
  if (typeof close === 'function') await close.call(storage).catch(() => undefined)
}
