/**
 * `aac api --jq`: real jq (jq 1.7 compiled to WebAssembly by the jq-web package), loaded only when --jq is given,
 * so every other command starts without it. Chosen over the alternatives measured in packages/cli/README.md:
 * jq-wasm reads its input byte by byte (1.2 s for a 1000-item page) and drops errors once any output was
 * written; the pure JavaScript ports answer some filters wrongly (`map(.n // 0)`, `keys`, `sort_by(-.id)`).
 */

import { createRequire } from 'node:module'
import { UsageError } from '../exit-codes.ts'

/** What jq-web's module resolves to. `raw` runs jq once over `json`, as `jq FLAGS FILTER file` would. */
interface JqWeb {
  raw(json: string, filter: string, flags?: string[]): string | undefined
}

/** jq's own errors: exit 3 is a compile error, 5 a runtime error (`stderr` holds jq's message). */
interface JqFailure {
  exitCode?: number
  stderr?: string
}

let loading: Promise<JqWeb> | undefined

function loadJq(): Promise<JqWeb> {
  // A CommonJS module whose export is a promise of the instance (the WebAssembly is compiled on first load).
  // Required, not imported: as an ES namespace, that promise's `then` makes loaders treat the module itself
  // as a thenable. It stays a dependency on disk (never bundled): jq.wasm is read from beside jq.js.
  loading ??= Promise.resolve().then(() => createRequire(import.meta.url)('jq-web') as Promise<JqWeb>)
  return loading
}

/** How jq prints: `-r` always (strings bare, as `gh api --jq` prints them), compact in a pipe, coloured on request. */
export interface JqStyle {
  pretty: boolean
  colour: boolean
}

/** A checked --jq expression, ready to run on JSON text. */
export interface JqProgram {
  /** jq's output for one JSON value, each result on its own line ('' when there is none). */
  run(json: string): string
  /** The same expression applied to each element of a JSON array, in order: one call for a whole page. */
  runEach(jsonArray: string): string
}

/**
 * Loads jq and compiles `expression` without running it, so a typo is a usage error before any request is sent
 * (a POST whose answer could not be printed would still have happened).
 *
 * @example
 * const jq = await compileJq('.[] | .email', { pretty: false, colour: false })
 * io.stdout.write(jq.run(text))
 */
export async function compileJq(expression: string, style: JqStyle): Promise<JqProgram> {
  const jq = await loadJq()
  const flags = ['-r', ...(style.pretty ? [] : ['-c']), ...(style.colour ? ['-C'] : [])]
  try {
    // Inside `if false`, the expression is compiled but never run: no side effect, no endless `repeat`.
    jq.raw('null', `if false then (${expression}\n) else empty end`, ['-n'])
  } catch (error) {
    if ((error as JqFailure).exitCode !== 3) throw jqError(error)
    // A compile error: the expression alone fails to compile the same way, and jq's message then quotes it
    // rather than the wrapper.
    try {
      jq.raw('null', expression, ['-n'])
    } catch (plain) {
      throw jqError(plain)
    }
    throw jqError(error)
  }
  const run = (json: string, filter: string): string => {
    let output: string | undefined
    try {
      output = jq.raw(json, filter, [...flags])
    } catch (error) {
      throw jqError(error)
    }
    // jq-web drops the last newline of the output; an empty output is `undefined`.
    return output === undefined ? '' : `${output}\n`
  }
  return {
    run: (json) => run(json, expression),
    runEach: (jsonArray) => run(jsonArray, `.[] | (\n${expression}\n)`),
  }
}

/** jq's message, without what only makes sense for jq's own command line. */
function jqError(error: unknown): UsageError {
  const failure = error as JqFailure
  if (typeof failure.stderr !== 'string') {
    return new UsageError(`--jq: jq failed (${error instanceof Error ? error.message : String(error)})`)
  }
  const text = failure.stderr
    .replace(/^jq: error(?: \(at [^)]*\))?: /, '')
    .replace(/ \(Unix shell quoting issues\?\)/, '')
    .replace(/\njq: \d+ compile errors?$/, '')
    .replace(/[ \t]+$/gm, '')
  return new UsageError(`--jq: ${text}`)
}
