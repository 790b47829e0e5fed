// examples/shell: curl + jq (and Python's urllib) with the token from `aac token`, against the fake cloud.
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { execute, repoRoot, useCloud } from '../../packages/cli/test/helpers.ts'

const fake = useCloud()
const shellExample = join(repoRoot, 'examples', 'shell', 'get_workspace.sh')
const pythonExample = join(repoRoot, 'examples', 'shell', 'get_workspace.py')

/** The tools the examples need must be installed, or these tests fail saying which (CI installs them). */
function requireTool(name: string, debianPackage: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' })
  } catch {
    throw new Error(`${name} is not installed: apt-get install -y ${debianPackage}`)
  }
}

describe('examples/shell', () => {
  it('get_workspace.sh: aac token refreshes the expired token once, curl + jq print the workspace', async () => {
    requireTool('curl', 'curl')
    requireTool('jq', 'jq')
    const dir = await fake.configDir({ expired: true })
    fake.cloud.reset()
    const result = await execute('bash', [shellExample], { env: { AAC_CONFIG_DIR: dir } })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 31429, name: 'Fake Workspace' })
    // jq's formatting, not ours: the body went through curl.
    expect(result.stdout).toContain('"name": "Fake Workspace"')
    const stats = fake.cloud.stats()
    expect(stats.refreshes).toBe(1)
    expect(stats.byRoute['GET /iam/v1/workspaces/current']).toBe(1)
    const stored = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')) as { refresh_token: string }
    expect(fake.cloud.isRefreshTokenValid(stored.refresh_token)).toBe(true)
  })

  it('get_workspace.sh: a broken config stops before curl, with aac exit code and fix', async () => {
    const dir = await fake.configDir()
    await writeFile(
      join(dir, 'creds.json'),
      '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}',
    )
    fake.cloud.reset()
    const result = await execute('bash', [shellExample], { env: { AAC_CONFIG_DIR: dir } })
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^error \[CONFIG_INVALID\]: .*still holds the placeholder tokens/)
    expect(fake.cloud.stats().requests).toBe(0)
  })

  it('get_workspace.sh: an API error is curl exit 22 with the body shown on stderr', async () => {
    const dir = await fake.configDir()
    await writeFile(join(dir, 'client_id.txt'), 'someone-elses-project\n')
    const result = await execute('bash', [shellExample], { env: { AAC_CONFIG_DIR: dir } })
    expect(result.code).toBe(22)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('"faultstring":"Invalid ApiKey"')
  })

  it('get_workspace.sh: a plain-text error body (401 Unauthorized) is shown as is, still exit 22', async () => {
    const dir = await fake.configDir()
    fake.cloud.reset()
    fake.cloud.inject({ kind: 'status', status: 401, path: '/iam/v1/workspaces/current' })
    const result = await execute('bash', [shellExample], { env: { AAC_CONFIG_DIR: dir } })
    // Not jq's 4 ("parse error"), which the header documents as aac's "re-authenticate".
    expect(result.code).toBe(22)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^Unauthorized$/m)
    expect(result.stderr).not.toContain('parse error')
  })

  it('get_workspace.py: subprocess + urllib, the same way', async () => {
    requireTool('python3', 'python3')
    const dir = await fake.configDir({ expired: true })
    fake.cloud.reset()
    const result = await execute('python3', [pythonExample], { env: { AAC_CONFIG_DIR: dir } })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 31429, name: 'Fake Workspace' })
    expect(fake.cloud.stats().refreshes).toBe(1)
  })

  it('get_workspace.py: no connection is one line on stderr and exit 1, not a traceback', async () => {
    requireTool('python3', 'python3')
    // A fresh token: aac token needs no network, so only urllib meets the closed port.
    const dir = await fake.configDir()
    await writeFile(join(dir, 'aac_url.txt'), 'http://127.0.0.1:9\n')
    const result = await execute('python3', [pythonExample], { env: { AAC_CONFIG_DIR: dir } })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^http:\/\/127\.0\.0\.1:9: .*refused\n$/i)
    expect(result.stderr).not.toContain('Traceback')
  })
})
