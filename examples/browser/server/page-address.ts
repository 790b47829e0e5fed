/**
 * The page's address, which carries this run's bridge key in its fragment: `http://localhost:5173/#key=…`.
 * Browsers never send a fragment to a server, so the key is in no request line or log, and the HTML the dev
 * server hands to anyone who asks holds no key. Only whoever was given the address (the terminal that started
 * the dev server, the browser it opened) can use the bridge: not another user of this machine, nor a program
 * that merely fetches http://localhost:5173/.
 *
 * The browser is opened through a file only this user can read (0600, in a 0700 temp folder) that forwards to
 * the address: a URL given as an argument would show in every user's process list (/proc/<pid>/cmdline) for as
 * long as the browser it started runs. Jupyter opens its pages the same way, for the same reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { pathToFileURL } from 'node:url'
import open from 'open'
import { KEY_FRAGMENT } from '../src/protocol.ts'

/** `origin` (`http://localhost:5173/`) with the key in the fragment. */
export function pageAddress(origin: string, key: string): string {
  const url = new URL(origin)
  url.hash = new URLSearchParams({ [KEY_FRAGMENT]: key }).toString()
  return url.href
}

/** What {@link pageOpener} needs: the environment (BROWSER, BROWSER_ARGS) and where to say what happened. */
export interface PageOpenerOptions {
  env: Record<string, string | undefined>
  info(message: string): void
  warn(message: string): void
}

/** The forwarding file of one dev-server run, in a private folder; `remove()` deletes the folder. */
export interface PageOpener {
  open(address: string): Promise<void>
  /** Synchronous: it runs from the server's close, right before a signal's exit. */
  remove(): void
}

/**
 * Opens `address` in a browser as Vite would (`BROWSER=none`: not at all; `BROWSER=<program>`, with
 * `BROWSER_ARGS`: that program; else the system's default program for a web page), but through a private
 * forwarding file. A failure is a warning: the address printed in the terminal still works.
 *
 * @example
 * const opener = pageOpener({ env: process.env, info: console.log, warn: console.warn })
 * await opener.open(pageAddress('http://localhost:5173/', key)) // when the server closes: opener.remove()
 */
export function pageOpener(options: PageOpenerOptions): PageOpener {
  let folder: string | undefined
  return {
    async open(address) {
      const browser = options.env['BROWSER'] ?? ''
      if (browser.toLowerCase() === 'none') return
      const failed = (error: unknown) =>
        options.warn(
          `[aac] Could not open a browser (${(error as Error).message}): open the page's address printed above.`,
        )
      try {
        // mkdtemp makes the folder 0700; the file is 0600 as well, in case the folder is ever shared.
        folder ??= mkdtempSync(join(tmpdir(), 'aac-browser-'))
        const file = join(folder, 'open-page.html')
        writeFileSync(file, forwardingPage(address), { mode: 0o600 })
        const args = options.env['BROWSER_ARGS']?.split(' ').filter(Boolean) ?? []
        const child = await open(
          pathToFileURL(file).href,
          browser ? { app: { name: browser, arguments: args } } : {},
        )
        // A program that cannot start (a wrong BROWSER) shows as an 'error' event, not a rejection.
        child.once('error', failed)
        if (process.platform === 'linux') {
          options.info(
            `[aac] Opening the page through ${file}: if the browser says the file is missing (a snap browser cannot read ${tmpdir()}), open the address above.`,
          )
        }
      } catch (error) {
        failed(error)
      }
    },
    remove() {
      if (folder) rmSync(folder, { recursive: true, force: true })
    },
  }
}

/** A page that forwards to `address` at once, with no referrer, and a link in case forwarding is off. */
function forwardingPage(address: string): string {
  const href = address.replace(/&/g, '&amp;').replace(/"/g, '&quot;')
  return `<!doctype html>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${href}">
<title>Alteryx Cloud browser example</title>
<p><a href="${href}">Open the Alteryx Cloud browser example</a></p>
`
}
