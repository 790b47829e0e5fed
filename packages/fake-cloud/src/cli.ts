import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { MAX_CLOCK_OFFSET_SECONDS, startFakeCloud } from './server.ts'
import type { FakeCloudOptions } from './types.ts'

const USAGE = `Usage: tsx packages/fake-cloud/src/cli.ts [options]

Runs a fake Alteryx Cloud (gateway, direct API and token endpoint) on one loopback port.

Options:
  --port N            port to listen on, 0 picks a free one (default 8787)
  --host HOST         interface to bind (default 127.0.0.1)
  --ttl SECONDS       access token lifetime (default 300, like the real service)
  --split-hosts       serve /v4 and /svc-workflow on a second port (printed), like the real direct host;
                      clients configured from aac_url.txt alone then get RouteNotFoundException for them
  --cors              send CORS headers, for a page on another origin calling the fake directly
  --clock-offset SECONDS
                      run the server's clock this many seconds ahead of this machine's (negative: behind;
                      write --clock-offset=-90): token iat/exp, the expiry check and the Date header
  --config-dir DIR    write aac_url.txt, client_id.txt and creds.json for a new token pair into DIR
  --expired           with --config-dir: make the written access token already expired
  -h, --help          show this help`

/** Exit code 2 for a bad command line, as most Unix tools do, so scripts can tell it from a crash. */
function usageError(message: string): never {
  process.stderr.write(`aac-fake-cloud: ${message}\n\n${USAGE}\n`)
  process.exit(2)
}

function integer(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < min || n > max)
    usageError(`--${name} must be an integer from ${min} to ${max}`)
  return n
}

function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      ttl: { type: 'string' },
      'config-dir': { type: 'string' },
      expired: { type: 'boolean' },
      'split-hosts': { type: 'boolean' },
      cors: { type: 'boolean' },
      'clock-offset': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values
}

let values: ReturnType<typeof parse>
try {
  values = parse()
} catch (error) {
  // parseArgs' own messages already name the option, e.g. "Unknown option '--prot'".
  usageError(error instanceof Error ? error.message : String(error))
}

if (values.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
if (values.expired && !values['config-dir']) usageError('--expired only makes sense with --config-dir')

const options: FakeCloudOptions = { port: integer('port', values.port, 0, 65535) ?? 8787 }
if (values.host) options.host = values.host
const ttl = integer('ttl', values.ttl, 1, 365 * 24 * 3600)
if (ttl !== undefined) options.accessTokenTtlSeconds = ttl
if (values['split-hosts']) options.splitHosts = true
if (values.cors) options.cors = true
const offset = values['clock-offset']
if (offset !== undefined) {
  const seconds = Number(offset)
  if (!/^[+-]?\d+(\.\d+)?$/.test(offset) || Math.abs(seconds) > MAX_CLOCK_OFFSET_SECONDS) {
    usageError(
      `--clock-offset must be a number of seconds from -${MAX_CLOCK_OFFSET_SECONDS} to ${MAX_CLOCK_OFFSET_SECONDS}`,
    )
  }
  options.clockOffsetSeconds = seconds
}

let cloud: Awaited<ReturnType<typeof startFakeCloud>>
try {
  cloud = await startFakeCloud(options)
} catch (error) {
  const code = (error as { code?: string }).code
  const hint =
    code === 'EADDRINUSE' ? ': the port is taken, pick another with --port (0 = any free port)' : ''
  process.stderr.write(
    `aac-fake-cloud: cannot listen on ${options.host ?? '127.0.0.1'}:${options.port}${hint}\n`,
  )
  process.exit(1)
}

process.stdout.write(`fake Alteryx Cloud listening on ${cloud.url}\n`)
if (cloud.directUrl !== cloud.url)
  process.stdout.write(`direct host (/v4, /svc-workflow) on ${cloud.directUrl}\n`)
if (cloud.clockOffsetSeconds !== 0)
  process.stdout.write(
    `server clock ${cloud.clockOffsetSeconds > 0 ? '+' : ''}${cloud.clockOffsetSeconds} s from this machine's\n`,
  )
const configDir = values['config-dir']
if (configDir) {
  const dir = resolve(configDir)
  await cloud.writeConfig(dir, { expired: values.expired === true })
  process.stdout.write(`wrote aac_url.txt, client_id.txt and creds.json to ${dir}\n`)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cloud.stop().then(() => process.exit(0))
  })
}
