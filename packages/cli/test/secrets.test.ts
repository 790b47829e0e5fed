// Invariant 5 through the CLI: with AAC_DEBUG=1 (token events and stack traces), no token reaches the output.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { aacInProcess, useCloud } from './helpers.ts'

const fake = useCloud()

async function pair(dir: string): Promise<string[]> {
  const stored = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')) as Record<string, string>
  return [stored['access_token']!, stored['refresh_token']!]
}

describe('no token in the output, even with AAC_DEBUG=1', () => {
  it('api, whoami, doctor: neither the expired pair nor the rotated one appears on stdout or stderr', async () => {
    const commands: Array<{ args: string[]; unauthorized?: number; code: number }> = [
      { args: ['api', '/iam/v1/workspaces/current', '--include'], code: 0 },
      // Rejected before and after the renewal: the error, with its stack, is printed.
      { args: ['api', '/v4/people/current'], unauthorized: 2, code: 4 },
      { args: ['whoami'], code: 0 },
      { args: ['doctor'], code: 0 },
      { args: ['doctor', '--refresh'], code: 0 },
    ]
    for (const { args, unauthorized, code } of commands) {
      const dir = await fake.configDir({ expired: true })
      const before = await pair(dir)
      fake.cloud.reset()
      if (unauthorized) fake.cloud.inject({ kind: 'unauthorized', times: unauthorized })
      const result = await aacInProcess(args, { env: { AAC_CONFIG_DIR: dir, AAC_DEBUG: '1' } })
      expect({ args, code: result.code }).toEqual({ args, code })
      const after = await pair(dir)
      if (args[0] !== 'doctor' || args.includes('--refresh')) expect(after).not.toEqual(before)
      // The debug lines did appear: this test looks at real token events.
      if (args[0] !== 'doctor' || args.includes('--refresh')) expect(result.stderr).toContain('[aac] ')
      const output = result.stdout + result.stderr
      for (const token of [...before, ...after]) {
        expect({ args, leaked: output.includes(token) }).toEqual({ args, leaked: false })
        // Not even a recognisable part of one (a JWT's signature is its tail).
        expect({ args, leaked: output.includes(token.slice(-16)) }).toEqual({ args, leaked: false })
      }
    }
  })

  it('aac token prints the access token on stdout only, never on stderr', async () => {
    const dir = await fake.configDir({ expired: true })
    const before = await pair(dir)
    const result = await aacInProcess(['token'], { env: { AAC_CONFIG_DIR: dir, AAC_DEBUG: '1' } })
    expect(result.code).toBe(0)
    const [accessToken, refreshToken] = await pair(dir)
    expect(result.stdout).toBe(`${accessToken}\n`)
    expect(result.stderr).toContain('[aac] ')
    for (const token of [...before, accessToken!, refreshToken!]) expect(result.stderr).not.toContain(token)
    expect(result.stdout).not.toContain(refreshToken)
  })
})
