// What the behaviour suites need from a test runner, and small helpers they share. The suites use only
// node:assert/strict and node:fs/promises, which Node, Deno and Bun all provide, so one suite runs in each.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type { ContractHarness as Harness } from '../../packages/core/test/storage-contract.ts'

/** A new empty folder under the temp folder; `remove` deletes it. */
export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'aac-behaviour-'))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}
