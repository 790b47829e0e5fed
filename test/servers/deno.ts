// How Deno runs code that imports the redis and postgres clients: from the repo's node_modules (installed by
// pnpm), never fetched at test time. Its deno.json lives in a temp folder outside the repo: a config inside it
// makes Deno find pnpm-workspace.yaml and rewrite the root package.json ("workspaces"), and test/behaviour's
// config ("nodeModulesDir": "none") would download the clients from the registry instead.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface DenoSetup {
  /** Run Deno here (the folder of the config). */
  readonly cwd: string
  /** `deno run`/`deno test` flags before the permissions: the config, no type check, no prompt. */
  readonly flags: readonly string[]
  remove(): Promise<void>
}

/**
 * @example
 * const deno = await denoSetup()
 * await run(runtimeBinary(ROOT, 'deno'), ['test', ...deno.flags, '--allow-net=127.0.0.1', file], { cwd: deno.cwd })
 */
export async function denoSetup(): Promise<DenoSetup> {
  const cwd = await mkdtemp(join(tmpdir(), 'aac-deno-'))
  const config = join(cwd, 'deno.json')
  await writeFile(config, `${JSON.stringify({ nodeModulesDir: 'manual', lock: false }, null, 2)}\n`)
  return {
    cwd,
    // --no-check: the clients' types reference npm:@types/node, which is not in this folder; tsc checks ours.
    flags: ['--no-check', '--no-prompt', '--config', config],
    remove: () => rm(cwd, { recursive: true, force: true }),
  }
}
