import { readlink, realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { errorCode } from './error-code.ts'

/** Linux gives up after 40 links in a row (ELOOP): so do we, keeping the path reached so far. */
const MAX_LINKS = 40

/**
 * The file that a write to `path` really lands on: symbolic links followed, even a last one whose target does
 * not exist yet, and the folder's real path for a file not created yet. Every program that reaches creds.json
 * through a link (`repo/creds.json → ~/.aac/creds.json`) or a linked folder gets the same answer, so they
 * write the same file and agree on one lock beside it. Anything it cannot resolve stays as given.
 *
 * @example
 * await resolveTarget('/repo/creds.json') // '/home/me/.aac/creds.json'
 */
export async function resolveTarget(path: string): Promise<string> {
  let current = resolve(path)
  for (let links = 0; links < MAX_LINKS; links++) {
    try {
      return await realpath(current)
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') return current
    }
    // Missing: a file not created yet, or a dangling link, which realpath refuses but a write follows.
    const dir = await realpath(dirname(current)).catch(() => dirname(current))
    let target: string
    try {
      target = await readlink(current)
    } catch {
      return join(dir, basename(current))
    }
    current = resolve(dir, target)
  }
  return current
}
