// `aac init` at a terminal: the real bin on a pseudo-terminal (python3's pty module drives it, as a person
// types), so the questions, the hidden answers and Ctrl-C are the real readline on a real TTY.
import { execFile } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { bin, useCloud } from './helpers.ts'

const env = useCloud()
const DRIVER = join(import.meta.dirname, 'fixtures', 'pty-driver.py')

/** [text to wait for, what to type (null: Ctrl-C)] */
type Step = [string, string | null]

async function atTerminal(args: string[], steps: Step[], vars: Record<string, string>) {
  const { stdout } = await promisify(execFile)(
    'python3',
    [DRIVER, JSON.stringify(steps), process.execPath, bin, ...args],
    { env: { PATH: process.env['PATH'] ?? '', TERM: 'dumb', ...vars }, timeout: 45_000 },
  )
  const result = JSON.parse(stdout) as { transcript?: string; status?: number; error?: string }
  if (result.error) throw new Error(`${result.error}\n${result.transcript}`)
  return result as { transcript: string; status: number }
}

describe('aac init at a terminal', () => {
  it('asks for the region, the Client ID and both tokens, which are not echoed', async () => {
    const home = await env.tempDir()
    const pair = env.cloud.issueTokens()
    const { transcript, status } = await atTerminal(
      ['init'],
      [
        ['Region [1]: ', '2'],
        ['Client ID of your API project', env.cloud.projectId],
        ['Access token: ', pair.accessToken],
        ['Refresh token: ', pair.refreshToken],
      ],
      { HOME: home },
    )
    expect(status).toBe(0)
    expect(transcript).toContain('2. eu1  Europe (https://eu1.alteryxcloud.com)')
    // What was typed in the open is shown; the tokens never are.
    expect(transcript).toContain(env.cloud.projectId)
    expect(transcript).not.toContain(pair.accessToken.slice(0, 20))
    expect(transcript).not.toContain(pair.refreshToken.slice(0, 12))
    const dir = join(home, '.config', 'aac')
    expect(transcript).toContain(`Wrote to ${dir}`)
    expect(await readFile(join(dir, 'aac_url.txt'), 'utf8')).toBe('https://api.eu1.alteryxcloud.com\n')
    expect(JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8'))).toEqual({
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
    })
    expect((await readdir(dir)).sort()).toEqual(['aac_url.txt', 'client_id.txt', 'creds.json'])
  })

  it('asks again after a wrong answer, says why, and never shows the token', async () => {
    const home = await env.tempDir()
    const pair = env.cloud.issueTokens()
    const { transcript, status } = await atTerminal(
      ['init', '--api-url', env.cloud.url],
      [
        ['Client ID of your API project', pair.accessToken],
        ['Client ID of your API project', env.cloud.projectId],
        ['Access token: ', 'Your access token here'],
        ['Refresh token: ', 'Your refresh token here'],
        ['Try again (Ctrl-C to stop).', pair.accessToken],
        ['Refresh token: ', pair.refreshToken],
      ],
      { HOME: home },
    )
    expect(status).toBe(0)
    expect(transcript).toContain('placeholder')
    // The token typed as a Client ID was echoed as it was typed (it was asked in the open), but never quoted back.
    expect(transcript.split(pair.accessToken).length - 1).toBe(1)
  })

  it('Ctrl-C at a question: exit 130, nothing written', async () => {
    const home = await env.tempDir()
    const { transcript, status } = await atTerminal(
      ['init', '--api-url', env.cloud.url],
      [['Client ID', null]],
      {
        HOME: home,
      },
    )
    expect(status).toBe(130)
    expect(transcript).toContain('stopped; nothing was written')
    await expect(stat(join(home, '.config', 'aac'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
