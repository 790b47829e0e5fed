// Shared by the creds*.test.ts files: `aac creds …` in this process with a stdin of the test's choosing, and
// looks at the keychain entry and the files from outside.
import { readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { expectNoSecret } from '../../../test/helpers.ts'
import type { CliIo } from '../src/io.ts'
import { run } from '../src/main.ts'
import type { Result } from './helpers.ts'

/** Runs `aac <args>` in-process; `input` is what stdin holds (an Error: what reading it throws). */
export async function aacWithInput(
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string | Uint8Array | Error | undefined } = {},
): Promise<Result> {
  let stdout = ''
  let stderr = ''
  const input = options.input
  const io: CliIo = {
    stdout: { write: (text) => (stdout += String(text)), isTTY: false },
    stderr: { write: (text) => (stderr += String(text)), isTTY: false },
    // An Error: a stdin that cannot be read (a folder, a closed descriptor).
    stdin: (async function* () {
      if (input instanceof Error) throw input
      if (input !== undefined) yield typeof input === 'string' ? new TextEncoder().encode(input) : input
    })(),
    env: options.env ?? {},
    cwd: tmpdir(),
  }
  const code = await run(args, io)
  return { code, stdout, stderr }
}

export interface Pair {
  access_token: string
  refresh_token: string
}

/** A pair as the fake cloud hands it out, in creds.json's keys. */
export function asPair(tokens: { accessToken: string; refreshToken: string }): Pair {
  return { access_token: tokens.accessToken, refresh_token: tokens.refreshToken }
}

/** Fails if any output holds a piece of any of `pairs`. */
export function expectNoTokenIn(result: Result, ...pairs: Pair[]): void {
  for (const pair of pairs) {
    expectNoSecret(result.stdout, pair)
    expectNoSecret(result.stderr, pair)
  }
}

/** Fails if any file under `dir` (recursively) holds a piece of `pair`. */
export async function expectNoTokenUnder(dir: string, pair: Pair): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    expectNoSecret(await readFile(path, 'utf8'), pair)
  }
}

/** The placeholders and the note `aac creds move` leaves in creds.json. */
export function movedNote(to: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...extra,
    access_token: 'Your access token here',
    refresh_token: 'Your refresh token here',
    aac: { moved_to: to },
  }
}

export function expectExit(result: Result, code: number): void {
  expect(result.code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(code)
}
