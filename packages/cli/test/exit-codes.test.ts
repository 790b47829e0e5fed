import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AacError, type AacErrorCode } from '@aac/core'
import { describe, expect, it } from 'vitest'
import { EXIT, exitCodeFor, UsageError } from '../src/exit-codes.ts'
import { aac, aacInProcess, useCloud } from './helpers.ts'

const fake = useCloud()

describe('exit codes of the real command', () => {
  it('0 ok, 1 API error, 2 usage, 3 config, 4 re-authentication, 5 network; the message on stderr, stdout only the error body of the API', async () => {
    const good = await fake.configDir()
    const empty = await fake.tempDir()
    const wrongProject = await fake.configDir()
    await writeFile(join(wrongProject, 'client_id.txt'), 'not-our-project\n')
    const revoked = await fake.configDir({ expired: true })
    const { accessToken } = fake.cloud.issueTokens({ expired: true })
    await writeFile(
      join(revoked, 'creds.json'),
      JSON.stringify({ access_token: accessToken, refresh_token: 'spent-long-ago' }),
    )
    const unreachable = await fake.configDir()
    await writeFile(join(unreachable, 'aac_url.txt'), 'http://127.0.0.1:9\n')

    const cases: Array<[string[], string, number, RegExp, RegExp?]> = [
      [['whoami'], good, EXIT.OK, /^$/],
      // As gh api does: the API's error body on stdout, the message on stderr.
      [['api', '/v4/nowhere'], good, EXIT.ERROR, /^error \[ROUTE_NOT_FOUND\]/, /"RouteNotFoundException"/],
      [['api'], good, EXIT.USAGE, /missing required argument 'path'/],
      [['api', '/v4/people', '--paginate', '-f', 'limit=abc'], good, EXIT.USAGE, /--paginate: limit must be/],
      [['api', '-X', 'GET', '/v4/people', '--input', '-'], good, EXIT.USAGE, /GET cannot have/],
      [['tokn'], good, EXIT.USAGE, /unknown command 'tokn'/],
      [
        ['api', '/v4/people', '-H', 'Authorization: Bearer x'],
        good,
        EXIT.USAGE,
        /aac sends your access token itself/,
      ],
      [['token'], empty, EXIT.CONFIG, /^error \[CONFIG_MISSING\]: .*aac_url\.txt not found/],
      [
        ['api', '/iam/v1/workspaces/current'],
        wrongProject,
        EXIT.CONFIG,
        /\[INVALID_API_KEY\].*client_id\.txt/,
        /"faultstring"/,
      ],
      [['token'], revoked, EXIT.AUTH, /\[REAUTH_REQUIRED\].*Generate a new pair/],
      [['api', '/v4/people/current'], unreachable, EXIT.NETWORK, /^error \[NETWORK_ERROR\]/],
    ]
    const results = await Promise.all(cases.map(([args, dir]) => aac(args, { env: { AAC_CONFIG_DIR: dir } })))
    results.forEach((result, i) => {
      const [args, , code, stderr, stdout] = cases[i]!
      expect({ args, code: result.code }).toEqual({ args, code })
      expect(result.stderr).toMatch(stderr)
      if (stdout) expect(result.stdout).toMatch(stdout)
      else if (code !== EXIT.OK) expect(result.stdout, args.join(' ')).toBe('')
    })
  })

  it('--help and --version exit 0 and document the exit codes', async () => {
    const help = await aacInProcess(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Exit codes:')
    expect(help.stdout).toMatch(/4 {2}authentication/)
    expect((await aacInProcess(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
    const bare = await aacInProcess([])
    expect(bare.code).toBe(EXIT.USAGE)
    expect(bare.stderr).toContain('Usage: aac')
  })

  it('maps every kind of error to its code', () => {
    const table: Array<[AacErrorCode, number]> = [
      ['CONFIG_INVALID', 3],
      ['MISSING_API_KEY', 3],
      ['UNTRUSTED_TOKEN_ENDPOINT', 4],
      ['UNAUTHORIZED', 4],
      ['TOKEN_REFRESH_UNCERTAIN', 4],
      ['TLS_ERROR', 5],
      ['TIMEOUT', 5],
      ['TOKEN_ENDPOINT_UNAVAILABLE', 5],
      ['LOCK_TIMEOUT', 6],
      ['TOKENS_NOT_SAVED', 6],
      ['STORAGE_ERROR', 6],
      ['RATE_LIMITED', 1],
      ['ABORTED', 130],
    ]
    for (const [code, exit] of table)
      expect([code, exitCodeFor(new AacError(code, 'x'))]).toEqual([code, exit])
    expect(exitCodeFor(new UsageError('x'))).toBe(2)
    expect(exitCodeFor(new Error('x'))).toBe(1)
  })
})
