// Every export of every @aac/core entry has a doc comment: the API reference is the TSDoc, read in editors
// (TypeDoc cannot run on TypeScript 7 yet; see test/readme/exports.ts).
import { describe, expect, it } from 'vitest'
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
})
