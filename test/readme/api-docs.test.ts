// Every export of every @aac/core entry has a doc comment, and the API reference builds from them with no
// warning. TypeDoc needs the TypeScript JS API, which TypeScript 7's native tsc lacks: it runs from
// tools/api-docs, which pins TypeScript 5.9 for it alone (`npm run docs:api`).
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers.ts'
import { coreEntries, coreExports, membersOf } from './exports.ts'

describe('the TSDoc of @aac/core', () => {
  it('covers every entry of the package', () => {
    expect(coreEntries().map(({ entry }) => entry)).toContain('@aac/core/diagnostics')
    expect(coreExports().length).toBeGreaterThan(100)
  })

  it('has a doc comment on every export of every entry', () => {
    const missing = coreExports()
      .filter(({ documented }) => !documented)
      .map(({ entry, name, at }) => `${entry} ${name} (${at})`)
    expect(missing).toEqual([])
  })

  it('has a doc comment on every member of every exported interface and class', () => {
    const missing = coreExports()
      .flatMap(membersOf)
      .filter(({ documented }) => !documented)
      .map(({ entry, name, at }) => `${entry} ${name} (${at})`)
    expect(missing).toEqual([])
  })

  it('uses no Array.fromAsync in examples (Node 20 lacks it)', async () => {
    const { readFileSync } = await import('node:fs')
    const files = new Set(coreExports().map(({ at }) => at.replace(/:\d+$/, '')))
    const offenders = [...files].filter((file) =>
      readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').includes('Array.fromAsync('),
    )
    expect(offenders).toEqual([])
  })

  it('builds the API reference with TypeDoc, warnings counted as errors', async () => {
    const out = await mkdtemp(join(tmpdir(), 'aac-api-docs-'))
    try {
      const typedoc = join(ROOT, 'tools/api-docs/node_modules/.bin/typedoc')
      const result = spawnSync(
        typedoc,
        ['--options', 'typedoc.json', '--out', out, '--treatWarningsAsErrors'],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 120_000,
        },
      )
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/\[warning\]|\[error\]/)
      expect(result.status).toBe(0)
      // One page per entry, named as users import it.
      const index = await readFile(join(out, 'index.html'), 'utf8')
      for (const { entry } of coreEntries())
        expect(index).toContain(entry.replace('@aac/core', '').replace(/^\//, '') || 'index')
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  }, 130_000)
})
