// Rendering. Values from the API go in through textContent only, and links only for http(s) URLs.
import { isAacError, type TokenManager, type Workspace } from '@aac/core'

export type PageState = 'loading' | 'ready' | 'error' | 'needs-tokens'

const PANELS = ['loading', 'error', 'seed', 'workspace', 'token'] as const

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (!element) throw new Error(`#${id} is missing from index.html`)
  return element as T
}

/** `data-state` on <body>: what the page is doing, for people reading the DOM and for the tests. */
export function setState(state: PageState): void {
  document.body.dataset['state'] = state
  byId('loading').hidden = state !== 'loading' || !byId('workspace').hidden
}

export function showOnly(...visible: Array<(typeof PANELS)[number]>): void {
  for (const id of PANELS) byId(id).hidden = !visible.includes(id)
}

/**
 * The fields of `GET /iam/v1/workspaces/current` as Alteryx documents them (see {@link Workspace}):
 * `workspace_tier`, `workspace_member_count`, `custom_url` (snake_case) and `createdAt` (camelCase). Every one
 * is optional: a field the answer lacks leaves its row out rather than guessing. Values are still checked, so
 * an answer that strays from the documented types shows less, never breaks the page.
 */
export function showWorkspace(workspace: Workspace): void {
  byId('workspace-name').textContent = text(workspace.name) ?? '(unnamed workspace)'
  fact('workspace-tier', text(workspace.workspace_tier))
  const members = workspace.workspace_member_count
  fact(
    'workspace-members',
    typeof members === 'number' && Number.isFinite(members) ? members.toLocaleString() : undefined,
  )
  const host = text(workspace.custom_url)
  fact('workspace-url', host ? link(/^https?:\/\//.test(host) ? host : `https://${host}`, host) : undefined)
  const created = text(workspace.createdAt)
  const date = created ? new Date(created) : undefined
  const shown =
    date && !Number.isNaN(date.getTime())
      ? date.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' })
      : undefined
  fact('workspace-created', shown)
  byId('workspace-created').title = shown && created ? created : ''
  byId('workspace-json').textContent = JSON.stringify(workspace, null, 2)
  showOnly('workspace', 'token')
}

/** Fills the cell `id`, or empties it and hides its row (the `<div>` holding its label) when there is no value. */
function fact(id: string, value: string | HTMLElement | undefined): void {
  const cell = byId(id)
  cell.replaceChildren(...(value === undefined ? [] : [value]))
  if (cell.parentElement) cell.parentElement.hidden = value === undefined
}

export function showToken(tokens: TokenManager): void {
  const state = tokens.state()
  if (!state) return
  const now = Date.now()
  const left = state.expiresAt.getTime() - now
  byId('token-expires').textContent =
    left > 0 ? duration(left) : `expired ${duration(-left)} ago; the next call renews it`
  byId('token-expires').title = state.expiresAt.toISOString()
  byId('token-rotated').textContent = state.issuedAt
    ? `${state.issuedAt.toLocaleTimeString()} (${duration(now - state.issuedAt.getTime())} ago)`
    : 'unknown (the token has no iat claim)'
  byId('token-location').textContent = tokens.storage.location
  const { refreshes, adopted } = tokens.stats()
  byId('token-stats').textContent =
    `${plural(refreshes, 'refresh', 'refreshes')} · ${adopted} picked up from others`
  byId('token-stats').title =
    'Refreshes this page made, and pairs another program or tab had rotated that this page then used.'
}

const TITLES: Record<string, string> = {
  CONFIG_MISSING: 'Fix the config files',
  CONFIG_INVALID: 'Fix the config files',
  REAUTH_REQUIRED: 'Generate a new token pair',
  INVALID_API_KEY: 'Check client_id.txt',
  MISSING_API_KEY: 'Check client_id.txt',
  NETWORK_ERROR: 'Alteryx Cloud could not be reached',
  TLS_ERROR: 'Alteryx Cloud could not be reached',
  TIMEOUT: 'Alteryx Cloud did not answer in time',
  LOCK_TIMEOUT: 'Another program holds the token lock',
  RATE_LIMITED: 'Too many requests',
  UNTRUSTED_TOKEN_ENDPOINT: 'Untrusted token endpoint',
}

/** `line` is formatError's: the same text the CLI examples print, with its URLs made clickable. */
export function showError(error: unknown, line: string): void {
  const code = isAacError(error) ? error.code : undefined
  byId('error-title').textContent = (code && TITLES[code]) ?? 'The request failed'
  byId('error-message').replaceChildren(...linkify(line))
  byId('error-hint').textContent =
    code === 'CONFIG_MISSING' || code === 'CONFIG_INVALID'
      ? 'Fix the file it names, then press Try again: the dev server re-reads the files at every request.'
      : code === 'REAUTH_REQUIRED'
        ? 'Paste the new pair where the message says, then press Try again.'
        : 'Press Try again when it is fixed. Add ?debug to the address for details in the browser console.'
  showOnly('error')
}

function linkify(line: string): Array<string | HTMLAnchorElement> {
  const parts: Array<string | HTMLAnchorElement> = []
  let last = 0
  for (const match of line.matchAll(/https?:\/\/[^\s"'()<>]+[^\s"'()<>.,;:!?]/g)) {
    parts.push(line.slice(last, match.index), link(match[0]))
    last = match.index + match[0].length
  }
  parts.push(line.slice(last))
  return parts
}

function link(href: string, label = href): HTMLAnchorElement {
  const anchor = document.createElement('a')
  anchor.href = href
  anchor.textContent = label
  anchor.target = '_blank'
  anchor.rel = 'noreferrer'
  return anchor
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000))
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`
  const hours = Math.floor(minutes / 60)
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} days`
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}
