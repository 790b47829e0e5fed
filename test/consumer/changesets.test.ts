// Release notes: a changeset for @aac/core, turned into versions by `npm run version-packages`'s changeset step,
// bumps core by the changeset's level, writes the entry at the top of its CHANGELOG.md (above the earlier
// releases, the policy footer left last) and patch-bumps @aac/cli, which depends on core. Run on a copy of the
// workspace's manifests and changelogs, so the repo itself is never versioned by a test.
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
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

/** The workspace's manifests, changelogs and changeset config in a temp folder; with the pending changesets if asked. */
async function workspaceCopy(pending: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aac-changesets-'))
  // Without the repo's pending changesets, a test's own changeset is the only one.
  await cp(join(ROOT, '.changeset'), join(dir, '.changeset'), {
    recursive: true,
    filter: (path) => pending || !/\/\.changeset\/(?!config\.json$)[^/]+\.md$/.test(path),
  })
  for (const file of ['package.json', 'pnpm-workspace.yaml']) await cp(join(ROOT, file), join(dir, file))
  for (const pkg of PACKAGES) {
    await mkdir(join(dir, pkg), { recursive: true })
    await cp(join(ROOT, pkg, 'package.json'), join(dir, pkg, 'package.json'))
    await cp(join(ROOT, pkg, 'CHANGELOG.md'), join(dir, pkg, 'CHANGELOG.md')).catch(() => undefined)
  }
  return dir
}

beforeAll(async () => {
  copy = await workspaceCopy(false)
  await writeFile(
    join(copy, '.changeset', 'binary-bodies.md'),
    '---\n"@aac/core": minor\n---\n\nBinary bodies.\n',
  )
})
afterAll(() => rm(copy, { recursive: true, force: true }))

const manifest = async (pkg: string) => JSON.parse(await readFile(join(copy, pkg, 'package.json'), 'utf8'))

it('turns a changeset into a version bump and a CHANGELOG entry, and releases the CLI, which bundles the core, with it', async () => {
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
  // The CLI bundles the core, so a change of the core is a change of the CLI: one version for both ("fixed").
  expect(cli.version).toBe(core.version)
  expect((await manifest('packages/fake-cloud')).version).toBe(
    JSON.parse(await readFile(join(ROOT, 'packages/fake-cloud/package.json'), 'utf8')).version,
  )
  expect((await manifest('examples/node')).version).toBe(
    JSON.parse(await readFile(join(ROOT, 'examples/node/package.json'), 'utf8')).version,
  )
})

it("the repo's pending changesets are well formed: each becomes an entry in its packages' CHANGELOG", async () => {
  const dir = await workspaceCopy(true)
  try {
    const pending = (await readdir(join(dir, '.changeset'))).filter(
      (f) => f.endsWith('.md') && f !== 'README.md',
    )
    const result = await run(join(ROOT, 'node_modules/.bin/changeset'), ['version'], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    for (const file of pending) {
      const text = await readFile(join(ROOT, '.changeset', file), 'utf8')
      const [, front = '', summary = ''] = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text) ?? []
      const firstLine = summary.trim().split('\n')[0] ?? ''
      expect(firstLine, file).not.toBe('')
      const names = [...front.matchAll(/["'](@aac\/[\w-]+)["']:/g)]
      expect(names.length, `${file} names a package`).toBeGreaterThan(0)
      for (const [, name] of names) {
        const changelog = await readFile(join(dir, 'packages', String(name).slice(5), 'CHANGELOG.md'), 'utf8')
        expect(changelog, `${file} in ${name}`).toContain(firstLine)
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
