// Release notes: a changeset for @aac/core, turned into versions by `npm run version-packages`'s changeset step,
// bumps core by the changeset's level, writes the entry at the top of its CHANGELOG.md (above the earlier
// releases, the policy footer left last) and patch-bumps @aac/cli, which depends on core. Run on a copy of the
// workspace's manifests and changelogs, so the repo itself is never versioned by a test.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT, run } from '../helpers.ts'

const PACKAGES = [
  'packages/core',
  'packages/cli',
  'packages/fake-cloud',
  'examples/node',
  'examples/browser',
  'tools/api-docs',
]
let copy: string

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'aac-changesets-'))
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset']) {
    await cp(join(ROOT, file), join(copy, file), { recursive: true })
  }
  for (const pkg of PACKAGES) {
    await mkdir(join(copy, pkg), { recursive: true })
    await cp(join(ROOT, pkg, 'package.json'), join(copy, pkg, 'package.json'))
    await cp(join(ROOT, pkg, 'CHANGELOG.md'), join(copy, pkg, 'CHANGELOG.md')).catch(() => undefined)
  }
  await writeFile(
    join(copy, '.changeset', 'binary-bodies.md'),
    '---\n"@aac/core": minor\n---\n\nBinary bodies.\n',
  )
})
afterAll(() => rm(copy, { recursive: true, force: true }))

const manifest = async (pkg: string) => JSON.parse(await readFile(join(copy, pkg, 'package.json'), 'utf8'))

it('turns a changeset into a version bump and a CHANGELOG entry, and bumps the packages that depend on it', async () => {
  const before = await manifest('packages/core')
  const [major = 0, minor = 0] = String(before.version).split('.').map(Number)
  const result = await run(join(ROOT, 'node_modules/.bin/changeset'), ['version'], { cwd: copy })
  expect(result.code, result.stderr).toBe(0)

  const core = await manifest('packages/core')
  expect(core.version).toBe(`${major}.${minor + 1}.0`)
  const changelog = await readFile(join(copy, 'packages/core/CHANGELOG.md'), 'utf8')
  const entry = changelog.indexOf(`## ${core.version}`)
  expect(entry).toBeGreaterThan(0)
  expect(changelog.indexOf('- Binary bodies.')).toBeGreaterThan(entry)
  expect(changelog.indexOf(`## ${before.version}`)).toBeGreaterThan(changelog.indexOf('- Binary bodies.'))
  expect(changelog.trimEnd().endsWith('Each entry is written from the changesets of that release.')).toBe(
    true,
  )

  const cli = await manifest('packages/cli')
  const cliBefore = JSON.parse(await readFile(join(ROOT, 'packages/cli/package.json'), 'utf8'))
  expect(cli.version).not.toBe(cliBefore.version)
  expect((await manifest('packages/fake-cloud')).version).toBe(
    JSON.parse(await readFile(join(ROOT, 'packages/fake-cloud/package.json'), 'utf8')).version,
  )
  expect((await manifest('examples/node')).version).toBe(
    JSON.parse(await readFile(join(ROOT, 'examples/node/package.json'), 'utf8')).version,
  )
})
