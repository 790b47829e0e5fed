/** `aac api <path>`: any API call, printed as JSON (or as it came), modelled on `gh api`. */

import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ApiError, type Query } from '@aac/core'
import type { Command } from 'commander'
import { printAnswer } from '../api/answer.ts'
import { responseHead } from '../api/headers.ts'
import { compileJq } from '../api/jq.ts'
import { walkList } from '../api/list.ts'
import { tracingFetch } from '../api/verbose.ts'
import { UsageError } from '../exit-codes.ts'
import { type Field, fieldsToBody, fieldsToQuery, parseHeader, rawField, typedField } from '../fields.ts'
import { type CliIo, painter, wantsColour } from '../io.ts'
import { renderBody } from '../json.ts'
import { cliClient, openSession } from '../session.ts'
import type { RegisterCommand } from './command.ts'

/** The options of `aac api`, as declared in {@link register}. */
export interface ApiOptions {
  method?: string
  rawField?: string[]
  field?: string[]
  header?: string[]
  input?: string
  paginate?: boolean
  slurp?: boolean
  concurrency?: string
  include?: boolean
  jq?: string
  silent?: boolean
  verbose?: boolean
  output?: string
}

// No default value: commander would print an empty array as "(default: [])" in the help.
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value]

export const register: RegisterCommand = (program, { io }) =>
  program
    .command('api')
    .description('Send a request and print the JSON answer (pretty and coloured on a terminal).')
    .argument(
      '<path>',
      'an API path: /iam/v1/... goes to the gateway, /v4/... and /svc-workflow/... to the direct host',
    )
    .option('-X, --method <method>', 'HTTP method (default GET, or POST with --input)')
    .option(
      '-f, --raw-field <key=value>',
      'a string field: a query parameter for GET, else a JSON body field (repeatable; a[b]=x nests, a[]=x appends)',
      collect,
    )
    .option(
      '-F, --field <key=value>',
      'a typed field: numbers, true, false, null as JSON; @file reads a file, @- stdin; key[] alone is an empty array (repeatable)',
      collect,
    )
    .option('-H, --header <header>', "an extra header, 'name: value' (repeatable)", collect)
    .option(
      '--input <file>',
      'the request body from a file, or - for stdin (sent as JSON unless -H content-type says otherwise)',
    )
    .option(
      '--paginate',
      'walk a /v4 list with limit/offset, printing its items as the pages arrive: one JSON per line',
    )
    .option('--slurp', 'with --paginate: print one JSON array of every item instead')
    .option(
      '--concurrency <n>',
      'with --paginate: pages fetched at once once the count is known (default 4; 1 = one after another)',
    )
    .option(
      '-q, --jq <expression>',
      'filter the JSON answer with jq; with --paginate, each item (strings bare)',
    )
    .option('-o, --output <file>', 'write the answer body to a file byte for byte (binary too); - for stdout')
    .option('--silent', 'do not print the answer body')
    .option('--verbose', 'print each request and answer (status line and headers, token hidden) on stderr')
    .option('-i, --include', 'print the status line and response headers before the body')
    .addHelpText(
      'after',
      `
Examples:
  aac api /iam/v1/workspaces/current
  aac api /v4/people --paginate -f limit=500 --jq .email
  aac api /v4/people --paginate --slurp --jq length
  aac api /v4/flows/7/package --output flow.zip
  aac api -X POST /v4/jobGroups -F wrangledDataset[id]=28629 --jq .id
  aac api -X PATCH /v4/flows/7 -f name='New name' --silent`,
    )
    .action(async (path: string, _options: unknown, command: Command) => {
      await apiCommand(path, command.opts<ApiOptions>(), io)
    })

export async function apiCommand(path: string, options: ApiOptions, io: CliIo): Promise<void> {
  checkPath(path)
  const concurrency = checkOptions(options)
  const stdin = stdinReader(io)
  if (options.input === '-') await stdin.claim('--input -')
  const fields: Field[] = (options.rawField ?? []).map(rawField)
  for (const arg of options.field ?? []) {
    fields.push(await typedField(arg, { cwd: io.cwd, readStdin: (what) => stdin.text(what) }))
  }
  const headers: Record<string, string> = {}
  for (const arg of options.header ?? []) {
    const [name, value] = parseHeader(arg)
    headers[name] = value
  }
  // Fields alone never turn a call into a write: an accidental POST can create things, a GET cannot.
  const method = (options.method ?? (options.input !== undefined ? 'POST' : 'GET')).toUpperCase()
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`-X ${options.method}: not an HTTP method`)
  if (options.paginate && method !== 'GET') throw new UsageError('--paginate walks a list with GET only')
  if (options.input !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new UsageError(`--input sends a body, which ${method} cannot have: use -X POST, PUT or PATCH`)
  }
  // Compiled before anything is sent: a typo must not cost a POST whose answer cannot be printed.
  const jq =
    options.jq === undefined
      ? undefined
      : await compileJq(options.jq, {
          pretty: io.stdout.isTTY === true,
          colour: wantsColour(io.stdout, io.env),
        })

  let query: Query | undefined
  let body: unknown
  if (options.input !== undefined) {
    // Like gh: with a raw body, the fields go to the query string.
    body = options.input === '-' ? await stdin.bytes() : await readInput(options.input, io)
    if (fields.length > 0) query = fieldsToQuery(fields)
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json'
    }
  } else if (method === 'GET' || method === 'HEAD') {
    if (fields.length > 0) query = fieldsToQuery(fields)
  } else if (fields.length > 0) {
    body = fieldsToBody(fields)
  }

  const session = await openSession(io)
  const paint = painter(io.stdout, io.env)
  // Read when the answer is printed: a refresh during the call adds the new pair.
  const secrets = () => session.tokenManager.secrets()
  const client = options.verbose
    ? cliClient(io, session.config, session.tokenManager, {
        fetch: tracingFetch(io.stderr, painter(io.stderr, io.env), secrets),
      })
    : session.client
  const request = {
    ...(query && { query }),
    ...(Object.keys(headers).length > 0 && { headers }),
    ...(io.signal && { signal: io.signal }),
  }
  const silent = options.silent === true
  try {
    if (options.paginate) {
      await walkList(client, path, request, io, paint, {
        jq,
        silent,
        slurp: options.slurp === true,
        concurrency,
      })
      return
    }
    const response = await client.requestRaw<ArrayBuffer | ReadableStream<Uint8Array>>(method, path, {
      ...request,
      ...(body !== undefined && { body }),
      // A download streams to its file; anything printed is read whole, within the client's timeout.
      responseType: options.output !== undefined ? 'stream' : 'arrayBuffer',
    })
    if (options.include) io.stdout.write(responseHead(response.status, response.headers, paint, secrets()))
    await printAnswer(response, io, paint, { jq, silent, output: options.output })
  } catch (error) {
    // As gh does: the API's error body on stdout (for scripts), the message on stderr (by run()); --include
    // shows the status line and headers too, as curl -i would. --jq is not applied to an error body.
    if (error instanceof ApiError && error.response) {
      if (options.include)
        io.stdout.write(responseHead(error.status, error.response.headers, paint, secrets()))
      if (!silent) io.stdout.write(renderBody(error.body, error.response.headers.get('content-type'), paint))
    }
    throw error
  }
}

/** Combinations that cannot work, refused before any file is read; returns --concurrency as a number. */
function checkOptions(options: ApiOptions): number | undefined {
  const pairs: Array<[boolean | undefined, boolean | undefined, string]> = [
    [options.slurp, !options.paginate, '--slurp merges the pages of --paginate: add --paginate'],
    [
      options.concurrency !== undefined,
      !options.paginate,
      '--concurrency applies to --paginate: add --paginate',
    ],
    [options.paginate, options.include, '--paginate and --include cannot be combined'],
    [options.paginate, options.input !== undefined, '--paginate takes no --input'],
    [
      options.paginate,
      options.output !== undefined,
      '--output saves one answer: with --paginate, redirect the output instead (> items.jsonl)',
    ],
    [
      options.output !== undefined,
      options.jq !== undefined,
      '--output saves the body as received: drop --jq',
    ],
    [options.output !== undefined, options.silent, '--output and --silent cannot be combined'],
  ]
  for (const [a, b, message] of pairs) if (a && b) throw new UsageError(message)
  if (options.concurrency === undefined) return undefined
  if (!/^[1-9]\d*$/.test(options.concurrency)) {
    throw new UsageError(
      `--concurrency ${options.concurrency}: expected a whole number from 1, like --concurrency 4`,
    )
  }
  return Number(options.concurrency)
}

/** Stdin, for `--input -` or one `-F key=@-`: it can be read once only. */
function stdinReader(io: CliIo) {
  let claimedBy: string | undefined
  let read: Promise<Uint8Array> | undefined
  const claim = async (what: string) => {
    if (claimedBy !== undefined) throw new UsageError(`${what}: stdin is already read by ${claimedBy}`)
    claimedBy = what
  }
  const bytes = () => {
    read ??= (async () => {
      const chunks: Uint8Array[] = []
      for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      return Buffer.concat(chunks)
    })()
    return read
  }
  return {
    claim,
    bytes,
    async text(what: string): Promise<string> {
      await claim(what)
      return new TextDecoder().decode(await bytes())
    },
  }
}

const PATH_SHAPE =
  'a path looks like /iam/v1/workspaces/current or /v4/flows?limit=10 (the host comes from aac_url.txt), or a full https:// URL on your API host'

/**
 * A usage error (exit 2) for a path argument that cannot be a request, before any file is read: a URL that
 * does not parse (`https://`, `http://[bad`), a scheme other than http(s), a host without a scheme. The
 * argument is not repeated: it may hold a token in its query.
 */
function checkPath(path: string): void {
  const scheme = /^([a-z][a-z\d+.-]*):/i.exec(path)?.[1]
  // A short scheme name is safe to repeat; anything longer may be a token that happens to hold a colon.
  const named = scheme && scheme.length <= 16 ? `${scheme}:` : 'a scheme'
  if (scheme !== undefined && path.startsWith(`${scheme}://`)) {
    let url: URL | undefined
    try {
      url = new URL(path)
    } catch {
      // reported below
    }
    if (!url) throw new UsageError(`<path>: starts with ${named}// but is not a valid URL: ${PATH_SHAPE}`)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new UsageError(`<path>: a URL with ${named} cannot be requested: ${PATH_SHAPE}`)
    }
    return
  }
  // `file:x`, `javascript:…`: a scheme without //, which would otherwise be sent as the path /file:x. A port
  // (`host:8787`) is not a scheme.
  if (scheme !== undefined && !/^[^:]*:\d/.test(path)) {
    throw new UsageError(`<path>: a URL with ${named} cannot be requested: ${PATH_SHAPE}`)
  }
  if (
    /^[\w-]+(?:\.[\w-]+)*\.alteryxcloud\.com(?:[:/?#]|$)/i.test(path) ||
    /^[\w.-]+:\d+(?:[/?#]|$)/.test(path)
  ) {
    throw new UsageError(`<path>: starts with a host but no https://: ${PATH_SHAPE}`)
  }
}

async function readInput(input: string, io: CliIo): Promise<Uint8Array> {
  try {
    return await readFile(resolve(io.cwd, input))
  } catch (error) {
    throw new UsageError(`--input ${input}: cannot read it (${(error as { code?: string }).code ?? error})`)
  }
}
