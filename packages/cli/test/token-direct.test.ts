// `aac token` and `aac token --json` run without commander (main.ts, DIRECT): each must end exactly as the parsed
// command line does. `aac token --` is the same command line through the parser (`--` only ends the options).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { aacInProcess, useCloud } from './helpers.ts'

const fake = useCloud()

describe('aac token without the parser', () => {
  it('a fresh token: the same line, and the same --json but for the seconds that passed', async () => {
    const dir = await fake.configDir()
    const env = { AAC_CONFIG_DIR: dir }
    const direct = await aacInProcess(['token'], { env })
    expect(direct).toMatchObject({ code: 0, stderr: '' })
    expect(direct.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
    expect(await aacInProcess(['token', '--'], { env })).toEqual(direct)

    const json = await aacInProcess(['token', '--json'], { env })
    const parsed = await aacInProcess(['token', '--json', '--'], { env })
    expect(json).toMatchObject({ code: 0, stderr: '' })
    const { expires_in: a, ...rest } = JSON.parse(json.stdout)
    const { expires_in: b, ...parsedRest } = JSON.parse(parsed.stdout)
    expect(rest).toEqual(parsedRest)
    expect(rest.access_token).toBe(direct.stdout.trim())
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1)
  })

  it('an expired token: one refresh each, the new token printed', async () => {
    for (const argv of [['token'], ['token', '--']]) {
      const dir = await fake.configDir({ expired: true })
      const before = fake.cloud.stats().refreshes
      const result = await aacInProcess(argv, { env: { AAC_CONFIG_DIR: dir } })
      expect(result, argv.join(' ')).toMatchObject({ code: 0, stderr: '' })
      expect(fake.cloud.stats().refreshes).toBe(before + 1)
    }
  })

  it('no config, and a creds.json that is not JSON: the same exit code and message', async () => {
    const home = await fake.tempDir()
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), APPDATA: join(home, 'config') }
    const missing = await aacInProcess(['token'], { env, cwd: home })
    expect(missing.code).toBe(3)
    expect(missing.stderr).toContain('Run `aac init`')
    expect(await aacInProcess(['token', '--'], { env, cwd: home })).toEqual(missing)

    const dir = await fake.configDir()
    await writeFile(join(dir, 'creds.json'), '{"access_token": ')
    const broken = await aacInProcess(['token', '--json'], { env: { AAC_CONFIG_DIR: dir } })
    expect(broken.code).toBe(3)
    expect(broken.stderr).toContain(join(dir, 'creds.json'))
    expect(await aacInProcess(['token', '--json', '--'], { env: { AAC_CONFIG_DIR: dir } })).toEqual(broken)
  })

  it('anything more is parsed: --help, and an unknown option is a usage error', async () => {
    const help = await aacInProcess(['token', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Print a valid access token')
    const unknown = await aacInProcess(['token', '--jsn'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown option '--jsn'")
  })
})
