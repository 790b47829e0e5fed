// The packages as a user gets them: packed by pnpm (prepack builds dist/, publishConfig swaps in the published
// manifest) and installed by npm, outside the repository. Used by the consumer tests, the tests of the installed
// `aac` and bench/cli-startup.ts.
import { execFile } from 'node:child_process'
import { mkdir, readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './helpers.ts'

const execFileAsync = promisify(execFile)

/** The lock every pack of a workspace package takes (ignored by git, inside node_modules). */
const PACK_LOCK = join(ROOT, 'node_modules', '.cache', 'aac-pack.lock')

/**
 * The environment minus npm's and pnpm's settings (npm_config_*, the repo's prefix among them), which `npm run`
 * passes to scripts: an npm started from a test or bench must behave as on a user's machine.
 */
export function userNpmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(env)) if (/^(npm|pnpm)_/i.test(key)) delete env[key]
  return { ...env, ...extra }
}

/** Runs a command, failing with its output (which holds no token: packing and installing only). */
async function exec(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeout = 240_000,
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, env, maxBuffer: 16 << 20, timeout })
    return stdout
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`,
    )
  }
}

/**
 * Packs `packages/<name>` for each name into `destination` with the repo's pnpm; resolves to each tarball's path.
 *
 * @example
 * const { cli } = await packPackages(['cli'], '/tmp/tarballs')
 */
export async function packPackages<Name extends string>(
  names: readonly Name[],
  destination: string,
): Promise<Record<Name, string>> {
  await mkdir(destination, { recursive: true })
  await mkdir(dirname(PACK_LOCK), { recursive: true })
  const pnpm = join(ROOT, 'node_modules', '.bin', 'pnpm')
  const env = userNpmEnv()
  // One at a time, across every test file and bench that packs: each prepack empties and rebuilds the package's
  // dist/, so a pack running beside another of the same package could ship half a build. flock(1) (util-linux)
  // holds the lock for the pack's lifetime, and the kernel drops it if the pack dies. The wait for the lock
  // (-w) and the pack (timeout(1), which ends pnpm itself, so that it cannot hold the lock on) are bounded
  // apart: several test files may queue for it on a loaded machine.
  for (const name of names) {
    await exec(
      'flock',
      ['-w', '600', PACK_LOCK, 'timeout', '240', pnpm, 'pack', '--pack-destination', destination],
      join(ROOT, 'packages', name),
      env,
      900_000,
    )
  }
  const files = await readdir(destination)
  const tarballs = {} as Record<Name, string>
  for (const name of names) {
    const file = files.find((f) => new RegExp(`^aac-${name}-\\d+\\.\\d+\\.\\d+.*\\.tgz$`).test(f))
    if (!file) throw new Error(`pnpm pack made no tarball for packages/${name} in ${destination}`)
    tarballs[name] = join(destination, file)
  }
  return tarballs
}

/**
 * `npm install --global --prefix <prefix>` of the tarballs: the commands land in `<prefix>/bin` (Windows: the
 * prefix itself), the packages in `<prefix>/lib/node_modules`. Resolves to the bin folder.
 *
 * @example
 * const bin = await installGlobal([tarballs.cli], '/tmp/prefix') // then run join(bin, 'aac')
 */
export async function installGlobal(tarballs: readonly string[], prefix: string): Promise<string> {
  await mkdir(prefix, { recursive: true })
  const args = ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error']
  await exec('npm', [...args, ...tarballs], prefix, userNpmEnv())
  return process.platform === 'win32' ? prefix : join(prefix, 'bin')
}

/** Where a global install under `prefix` puts a package. */
export function globalPackageDir(prefix: string, name: string): string {
  return process.platform === 'win32'
    ? join(prefix, 'node_modules', name)
    : join(prefix, 'lib', 'node_modules', name)
}
