// The JSR configuration of @aac/core (packages/core/jsr.json): `deno publish --dry-run` must pass with no slow
// types. It runs in a copy of the package without its package.json, as JSR sees it: inside the workspace, Deno
// would read the npm manifests (and rewrite the root package.json).
import { spawnSync } from 'node:child_process'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../helpers.ts'

const core = join(ROOT, 'packages/core')
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aac-jsr-'))
  for (const entry of ['src', 'jsr.json', 'README.md', 'LICENSE'])
    await cp(join(core, entry), join(dir, entry), { recursive: true })
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('@aac/core on JSR', () => {
  it('jsr.json names every entry of package.json, at the same version', async () => {
    const npm = JSON.parse(await readFile(join(core, 'package.json'), 'utf8'))
    const jsr = JSON.parse(await readFile(join(core, 'jsr.json'), 'utf8'))
    expect(jsr.version).toBe(npm.version)
    expect(jsr.exports).toEqual(npm.exports)
  })

  it('deno publish --dry-run passes: no slow types, no warnings', () => {
    const deno = join(ROOT, 'node_modules/.bin/deno')
    const result = spawnSync(deno, ['publish', '--dry-run', '--allow-dirty'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 120_000,
    })
    const output = `${result.stdout}\n${result.stderr}`
    expect(output).toMatch(/Success Dry run complete/)
    expect(output).not.toMatch(/warning|error\[/i)
    expect(result.status).toBe(0)
  }, 130_000)
})
