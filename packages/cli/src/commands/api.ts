/** `aac api <path>`: any API call, printed as JSON. */

import { readFile } from 'node:fs/promises'
import { STATUS_CODES } from 'node:http'
import { resolve } from 'node:path'
import { ApiError, type Query, redactText } from '@aac/core'
import type { Command } from 'commander'
import { UsageError } from '../exit-codes.ts'
import { type Field, fieldsToBody, fieldsToQuery, parseHeader, rawField, typedField } from '../fields.ts'
import { type CliIo, type Paint, painter } from '../io.ts'
import { renderBody, renderJson } from '../json.ts'
import { openSession } from '../session.ts'
import type { RegisterCommand } from './command.ts'

/** The options of `aac api`, as declared in {@link register}. */
export interface ApiOptions {
  method?: string
  rawField?: string[]
  field?: string[]
  header?: string[]
  input?: string
  paginate?: boolean
  include?: boolean
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
      'a typed field: numbers, true, false, null as JSON; @file reads a file (repeatable)',
      collect,
    )
    .option('-H, --header <header>', "an extra header, 'name: value' (repeatable)", collect)
    .option(
      '--input <file>',
      'the request body from a file, or - for stdin (sent as JSON unless -H content-type says otherwise)',
    )
    .option('--paginate', 'walk a /v4 list with limit/offset and print every item as one JSON array')
    .option('-i, --include', 'print the status line and response headers before the body')
    .addHelpText(
      'after',
      `
Examples:
  aac api /iam/v1/workspaces/current
  aac api /v4/people --paginate -f limit=500 | jq length
  aac api -X POST /v4/jobGroups -F wrangledDataset[id]=28629
  aac api -X PATCH /v4/flows/7 -f name='New name'`,
    )
    .action(async (path: string, _options: unknown, command: Command) => {
      await apiCommand(path, command.opts<ApiOptions>(), io)
    })

export async function apiCommand(path: string, options: ApiOptions, io: CliIo): Promise<void> {
  checkPath(path)
  const fields: Field[] = (options.rawField ?? []).map(rawField)
  for (const arg of options.field ?? []) fields.push(await typedField(arg, io.cwd))
  const headers: Record<string, string> = {}
  for (const arg of options.header ?? []) {
    const [name, value] = parseHeader(arg)
    headers[name] = value
  }
  // Fields alone never turn a call into a write: an accidental POST can create things, a GET cannot.
  const method = (options.method ?? (options.input !== undefined ? 'POST' : 'GET')).toUpperCase()
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`-X ${options.method}: not an HTTP method`)
  if (options.paginate && method !== 'GET') throw new UsageError('--paginate walks a list with GET only')
  if (options.paginate && options.include) throw new UsageError('--paginate and --include cannot be combined')
  if (options.paginate && options.input !== undefined) throw new UsageError('--paginate takes no --input')
  if (options.input !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new UsageError(`--input sends a body, which ${method} cannot have: use -X POST, PUT or PATCH`)
  }

  let query: Query | undefined
  let body: unknown
  if (options.input !== undefined) {
    // Like gh: with a raw body, the fields go to the query string.
    body = await readInput(options.input, io)
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
  const out = painter(io.stdout, io.env)
  // Read when the answer is printed: a refresh during the call adds the new pair.
  const secrets = () => session.tokenManager.secrets()
  const request = {
    ...(query && { query }),
    ...(Object.keys(headers).length > 0 && { headers }),
    ...(io.signal && { signal: io.signal }),
  }

  if (options.paginate) {
    const progress = io.stderr.isTTY === true
    const items: unknown[] = []
    try {
      for await (const item of session.client.paginate(path, {
        ...request,
        onPage: (page) => {
          if (progress) {
            io.stderr.write(
              `\r\x1b[Kfetched ${page.received}${page.count !== undefined ? ` of ${page.count}` : ''}`,
            )
          }
        },
      })) {
        items.push(item)
      }
    } catch (error) {
      // The core checks limit and offset before the first request: a bad value came from -f/-F.
      if (error instanceof RangeError)
        throw new UsageError(`--paginate: ${error.message.replace(/^paginate: /, '')}`)
      throw error
    } finally {
      if (progress) io.stderr.write('\r\x1b[K')
    }
    io.stdout.write(`${renderJson(items, out)}\n`)
    return
  }

  try {
    const response = await session.client.requestRaw(method, path, {
      ...request,
      ...(body !== undefined && { body }),
    })
    if (options.include) io.stdout.write(responseHead(response.status, response.headers, out, secrets()))
    io.stdout.write(renderBody(response.data, response.headers.get('content-type'), out))
  } catch (error) {
    // With --include the error response is shown too, as curl -i would; the message still goes to stderr.
    if (options.include && error instanceof ApiError && error.response) {
      io.stdout.write(responseHead(error.status, error.response.headers, out, secrets()))
      io.stdout.write(renderBody(error.body, error.response.headers.get('content-type'), out))
    }
    throw error
  }
}

const PATH_SHAPE =
  'a path looks like /iam/v1/workspaces/current or /v4/flows?limit=10 (the host comes from aac_url.txt), or a full https:// URL on your API host'

/**
 * A usage error (exit 2) for a path argument that cannot be a request, before any file is read: a URL that
 * does not parse (`https://`, `http://[bad`), a scheme other than http(s), a host without a scheme. The
 * argument is not repeated: it may hold a token in its query.
 */
const REDACTED = '[REDACTED]'

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

/** Headers whose value is a credential whatever it looks like (`x-amzn-remapped-authorization`, `x-auth-token`…). */
const SECRET_HEADER = /authorization|cookie|token|secret|password|api-?key|session/i

/**
 * The status line and headers, as `curl -i` prints them, with credentials hidden: a server may echo the
 * request's Authorization (or a renamed copy), set a session cookie, or quote a token in any header. Headers
 * named like a credential show `[REDACTED]`; every other value loses the known tokens (and their parts) and
 * anything token-shaped.
 *
 * @example
 * responseHead(200, response.headers, paint, session.tokenManager.secrets())
 */
export function responseHead(
  status: number,
  headers: Headers,
  paint: Paint,
  secrets: readonly string[] = [],
): string {
  let text = `${paint('bold', `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd())}\n`
  for (const [name, value] of headers) {
    const shown = SECRET_HEADER.test(name) ? REDACTED : redactText(value, secrets)
    text += `${paint('cyan', name)}: ${shown}\n`
  }
  return `${text}\n`
}

async function readInput(input: string, io: CliIo): Promise<Uint8Array> {
  if (input === '-') {
    const chunks: Uint8Array[] = []
    for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    return Buffer.concat(chunks)
  }
  try {
    return await readFile(resolve(io.cwd, input))
  } catch (error) {
    throw new UsageError(`--input ${input}: cannot read it (${(error as { code?: string }).code ?? error})`)
  }
}
