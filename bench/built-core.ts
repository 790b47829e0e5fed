// @aac/core as `pnpm pack` builds it (tsc with its tsconfig.build.json), built into a temp folder so that
// packages/core/dist is left alone: a pack running at the same time empties and rebuilds that one.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** packages/core/ */
export const CORE_DIR = fileURLToPath(new URL('../packages/core/', import.meta.url))

/** The built package: `dir` holds its manifest and dist/; `remove()` deletes it. */
export interface BuiltCore {
  dir: string
  remove(): void
}

/**
 * Builds the package into a new temp folder, with its manifest beside dist/ ("type": "module" and
 * "sideEffects": false, which Node and bundlers read as they do for the installed package).
 *
 * @example
 * const core = buildCore()
 * try { await import(join(core.dir, 'dist', 'index.js')) } finally { core.remove() }
 */
export function buildCore(): BuiltCore {
  const dir = mkdtempSync(join(tmpdir(), 'aac-bench-core-'))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  try {
    execFileSync(
      join(CORE_DIR, '..', '..', 'node_modules', '.bin', 'tsc'),
      ['-p', join(CORE_DIR, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')],
      { stdio: 'inherit' },
    )
    cpSync(join(CORE_DIR, 'package.json'), join(dir, 'package.json'))
  } catch (error) {
    remove()
    throw error
  }
  return { dir, remove }
}
