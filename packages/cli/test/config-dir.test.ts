// Where aac (and loadConfig, so the examples) finds the three files: --config-dir, then AAC_CONFIG_DIR, then the
// nearest folder above the working directory holding aac_url.txt, else the per-user folder; `aac doctor` says
// which rule matched, and the error when none does names every place looked and `aac init`.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { loadConfig, locateConfigDir, userConfigDir } from '@aac/core/fs'
import { describe, expect, it } from 'vitest'
import { aacInProcess, useCloud } from './helpers.ts'

const env = useCloud()

/** Four config folders of four token families, and a working directory below the project's. */
async function layout() {
  const home = await env.tempDir()
  const user = join(home, '.config', 'aac')
  const xdg = join(home, 'xdg')
  const project = await env.configDir()
  const option = await env.configDir()
  const variable = await env.configDir()
  const cwd = join(project, 'src', 'deep')
  await mkdir(cwd, { recursive: true })
  await mkdir(user, { recursive: true })
  await env.cloud.writeConfig(user)
  const outside = await env.tempDir()
  return { home, user, xdg, project, option, variable, cwd, outside }
}

/** The doctor's first line: the folder and why. */
async function folderLine(args: string[], cwd: string, vars: Record<string, string>) {
  const result = await aacInProcess([...args, 'doctor', '--offline'], { cwd, env: vars })
  return result.stdout.split('\n').find((line) => line.includes('config folder')) ?? result.stdout
}

describe('config folder discovery', () => {
  it('each rule, in order of precedence, named by aac doctor', async () => {
    const { home, user, project, option, variable, cwd, outside } = await layout()
    const vars = { HOME: home }
    expect(await folderLine(['--config-dir', option], cwd, { ...vars, AAC_CONFIG_DIR: variable })).toContain(
      `${option} (from --config-dir)`,
    )
    expect(await folderLine([], cwd, { ...vars, AAC_CONFIG_DIR: variable })).toContain(
      `${variable} (from AAC_CONFIG_DIR)`,
    )
    expect(await folderLine([], cwd, vars)).toContain(
      `${project} (the nearest folder above ${cwd} holding aac_url.txt)`,
    )
    expect(await folderLine([], project, vars)).toContain(
      `${project} (the working directory holding aac_url.txt)`,
    )
    expect(await folderLine([], outside, vars)).toContain(`${user} (the per-user folder, ~/.config/aac)`)
  })

  it('--config-dir works after the command too, and relative to the working directory', async () => {
    const { home, option, outside } = await layout()
    const result = await aacInProcess(['token', '--config-dir', option], {
      cwd: outside,
      env: { HOME: home },
    })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const relative = await aacInProcess(['--config-dir', '.', 'token'], { cwd: option, env: { HOME: home } })
    expect(relative.stdout).toBe(result.stdout)
  })

  it('the per-user folder: $XDG_CONFIG_HOME/aac when absolute, else ~/.config/aac; %APPDATA%\\aac on Windows', () => {
    expect(userConfigDir({ HOME: '/home/me' }, 'linux')).toBe('/home/me/.config/aac')
    expect(userConfigDir({ HOME: '/home/me', XDG_CONFIG_HOME: '/xdg' }, 'linux')).toBe('/xdg/aac')
    // The XDG spec: a relative value is invalid and ignored.
    expect(userConfigDir({ HOME: '/home/me', XDG_CONFIG_HOME: 'rel/xdg' }, 'linux')).toBe(
      '/home/me/.config/aac',
    )
    expect(userConfigDir({ HOME: '/Users/me' }, 'darwin')).toBe('/Users/me/.config/aac')
    expect(userConfigDir({ APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }, 'win32')).toBe(
      'C:\\Users\\me\\AppData\\Roaming\\aac',
    )
    expect(userConfigDir({ USERPROFILE: 'C:\\Users\\me' }, 'win32')).toBe(
      'C:\\Users\\me\\AppData\\Roaming\\aac',
    )
  })

  it('XDG_CONFIG_HOME is where the per-user folder is looked for', async () => {
    const { home, xdg, outside } = await layout()
    await mkdir(join(xdg, 'aac'), { recursive: true })
    await env.cloud.writeConfig(join(xdg, 'aac'))
    const found = await locateConfigDir({ cwd: outside, env: { HOME: home, XDG_CONFIG_HOME: xdg } })
    expect(found).toEqual({
      dir: join(xdg, 'aac'),
      source: 'user',
      reason: 'the per-user folder, $XDG_CONFIG_HOME/aac',
    })
  })

  it('loadConfig (the examples) follows the same rules', async () => {
    const { home, user, project, cwd, outside } = await layout()
    expect((await loadConfig({ cwd, env: { HOME: home } })).dir).toBe(project)
    expect((await loadConfig({ cwd: outside, env: { HOME: home } })).dir).toBe(user)
  })

  it('nothing found: every place looked is named, and aac init; exit 3', async () => {
    const home = await env.tempDir()
    const outside = await env.tempDir()
    const result = await aacInProcess(['token'], { cwd: outside, env: { HOME: home } })
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(
      'No aac_url.txt found. Looked in: --config-dir (not given); AAC_CONFIG_DIR (not set)',
    )
    expect(result.stderr).toContain(`${outside} and every folder above it`)
    expect(result.stderr).toContain(`the per-user folder ${join(home, '.config', 'aac')}`)
    expect(result.stderr).toContain('Run `aac init`')
    const doctor = await aacInProcess(['doctor', '--offline'], { cwd: outside, env: { HOME: home } })
    expect(doctor.code).toBe(3)
    expect(doctor.stdout).toContain('Run `aac init`')
  })

  it('a folder named by --config-dir or AAC_CONFIG_DIR must exist: no quiet fallback on another', async () => {
    const { home, cwd } = await layout()
    const missing = join(home, 'nowhere')
    const byOption = await aacInProcess(['--config-dir', missing, 'token'], { cwd, env: { HOME: home } })
    expect(byOption.code).toBe(3)
    expect(byOption.stderr).toContain(`--config-dir is set to ${missing}, which is not a folder`)
    expect(byOption.stderr).toContain(`aac init --config-dir ${missing}`)
    const byVariable = await aacInProcess(['token'], { cwd, env: { HOME: home, AAC_CONFIG_DIR: missing } })
    expect(byVariable.code).toBe(3)
    expect(byVariable.stderr).toContain(`AAC_CONFIG_DIR is set to ${missing}, which is not a folder`)
  })
})
