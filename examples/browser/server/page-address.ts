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
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import open, { type App, apps } from 'open'
import { KEY_FRAGMENT } from '../src/protocol.ts'

/** `origin` (`http://localhost:5173/`) with the key in the fragment. */
export function pageAddress(origin: string, key: string): string {
  const url = new URL(origin)
  url.hash = new URLSearchParams({ [KEY_FRAGMENT]: key }).toString()
  return url.href
}

/** What {@link openPage} needs: the environment (BROWSER, BROWSER_ARGS) and where to say it failed. */
export interface OpenPageOptions {
  env: Record<string, string | undefined>
  warn(message: string): void
}

/** The forwarding files of one dev-server run, in one private folder; `remove()` deletes the folder. */
export interface PageOpener {
  open(address: string): Promise<void>
  remove(): Promise<void>
}

/**
 * Opens `address` in a browser as Vite would (`BROWSER=none`: not at all; `BROWSER=<program>`, with
 * `BROWSER_ARGS`: that program; else the default browser), but through a private forwarding file. A failure
 * is a warning: the address printed in the terminal still works.
 *
 * @example
 * const opener = pageOpener({ env: process.env, warn: console.warn })
 * await opener.open(pageAddress('http://localhost:5173/', key)) // later: await opener.remove()
 */
export function pageOpener(options: OpenPageOptions): PageOpener {
  let folder: Promise<string> | undefined
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
        folder ??= mkdtemp(join(tmpdir(), 'aac-browser-'))
        const file = join(await folder, 'open-page.html')
        await writeFile(file, forwardingPage(address), { mode: 0o600 })
        const target = pathToFileURL(file).href
        const launch = async (app?: App) =>
          // A program that cannot start (a wrong BROWSER) shows as an 'error' event, not a rejection.
          (await open(target, app ? { app } : {})).once('error', failed)
        if (browser) {
          await launch({
            name: browser,
            arguments: options.env['BROWSER_ARGS']?.split(' ').filter(Boolean) ?? [],
          })
        } else {
          // The default browser, not the default program for .html files (an editor, on some desktops); open
          // knows the common browsers only, and for the others the default program it is.
          await launch({ name: apps.browser }).catch(() => launch())
        }
      } catch (error) {
        failed(error)
      }
    },
    async remove() {
      if (folder) await rm(await folder, { recursive: true, force: true })
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
