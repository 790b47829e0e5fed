// The packages as a user gets them: each public package packed by pnpm (prepack builds dist/, publishConfig
// points the manifest at it), the tarballs installed by npm into a fresh folder outside the repo (no workspace
// link, no tsx, no .ts source), then run by Node 20, 22 and 24, Deno and Bun, required from CommonJS,
// type-checked by tsc in every resolution mode, bundled for a browser, and linted by publint and attw.
// Node 22 and 24 come from the node-<platform>-<arch> package, installed once into a cached temp folder.
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { build } from 'esbuild'
import { build as viteBuild } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectOneSafeRotation, fakeWorkspace, ROOT, type RunResult, run, start } from '../helpers.ts'
import { packPackages } from '../packed.ts'
import { startLocalRegistry } from './local-registry.ts'

const PACKAGES = ['core', 'cli', 'fake-cloud'] as const
const APP_FILES = ['app.mjs', 'deno-npm.mjs', 'require.cjs', 'browser.mjs', 'consumer.ts']
const TYPESCRIPT_5 = '5.9.3'
const TYPES_NODE = '20.19.43'
const BIN = join(ROOT, 'node_modules', '.bin')
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+\n$/

// npm and pnpm pass their settings to scripts as npm_config_* variables (the repo's prefix among them): the
// consumer's npm must see none of them, as on a user's machine.
const ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.keys(process.env)
    .filter((key) => /^(npm|pnpm)_/i.test(key))
    .map((key) => [key, undefined]),
)

function mustSucceed(what: string, result: RunResult): RunResult {
  if (result.code !== 0) {
    throw new Error(
      `${what} exited ${result.code}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`,
    )
  }
  return result
}

/** Runs each task, `limit` at a time (two cores here). */
async function inPool<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = []
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await (tasks[i] as () => Promise<T>)()
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return results
}

/**
 * A Node binary of this major: this process's own if it is one, else the node-<platform>-<arch> package's,
 * installed once into a temp folder shared by later runs. A failed install fails the test: never a skip.
 */
async function nodeBinary(major: number): Promise<string> {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath
  const pkg = `node-${process.platform}-${process.arch}`
  const cache = join(tmpdir(), 'aac-test-node-binaries', `${pkg}@${major}`)
  const binary = join(cache, 'node_modules', pkg, 'bin', 'node')
  if (!existsSync(binary)) {
    const staging = `${cache}.${process.pid}.tmp`
    await rm(staging, { recursive: true, force: true })
    await mkdir(staging, { recursive: true })
    const args = ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--loglevel=error']
    mustSucceed(
      `npm install ${pkg}@${major}`,
      await run('npm', [...args, `${pkg}@${major}`], { cwd: staging, env: ENV, timeoutMs: 240_000 }),
    )
    // Another run may have filled the cache meanwhile: then keep its copy.
    await rename(staging, cache).catch(() => rm(staging, { recursive: true, force: true }))
  }
  const version = mustSucceed(`${binary} --version`, await run(binary, ['--version'], { env: ENV }))
  expect(version.stdout).toMatch(new RegExp(`^v${major}\\.`))
  return binary
}

let work: string
let app: string
const tarballs: Record<string, string> = {}
const nodes: Record<number, string> = {}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'aac-consumer-'))
  app = join(work, 'app')
  const packs = join(work, 'tarballs')
  await mkdir(app)
  await mkdir(packs)
  const [packed, node22, node24] = await Promise.all([
    packPackages(PACKAGES, packs),
    nodeBinary(22),
    nodeBinary(24),
    nodeBinary(20).then((node20) => (nodes[20] = node20)),
  ])
  nodes[22] = node22
  nodes[24] = node24
  Object.assign(tarballs, packed)

  await writeFile(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }, null, 2)}\n`,
  )
  for (const file of APP_FILES) await copyFile(join(ROOT, 'test', 'consumer', 'app', file), join(app, file))
  const install = ['install', '--save-exact', '--no-audit', '--no-fund', '--loglevel=error']
  mustSucceed(
    'npm install of the tarballs',
    await run(
      'npm',
      [...install, ...Object.values(tarballs), `@types/node@${TYPES_NODE}`, `typescript@${TYPESCRIPT_5}`],
      { cwd: app, env: ENV, timeoutMs: 240_000 },
    ),
  )
}, 600_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe('the tarballs', () => {
  it.each(PACKAGES)(
    '%s: built JS, declarations, the license and changelog; no source, tests or tsconfig',
    async (name) => {
      const list = mustSucceed('tar', await run('tar', ['tzf', tarballs[name] as string]))
        .stdout.trim()
        .split('\n')
      const files = list.map((f) => f.replace(/^package\//, ''))
      // The CLI ships a bundle (dist/*.cjs, the source map AAC_DEBUG=1 uses, the licences of what it bundles),
      // not a library: no declarations.
      for (const file of files)
        expect(file).toMatch(
          name === 'cli'
            ? /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|bin\/aac-packed\.cjs|dist\/[\w-]+\.cjs|dist\/main\.cjs\.map|dist\/THIRD-PARTY-NOTICES\.txt)$/
            : /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|bin\/[\w-]+\.js|dist\/.+\.(js|d\.ts))$/,
        )
      expect(files).toContain('LICENSE')
      expect(files).toContain('CHANGELOG.md')
      expect(files.includes('README.md')).toBe(existsSync(join(ROOT, 'packages', name, 'README.md')))
      expect(files.filter((f) => /test/.test(f))).toEqual([])
      for (const f of files.filter((f) => f.endsWith('.js') && f.startsWith('dist/'))) {
        expect(files).toContain(f.replace(/\.js$/, '.d.ts'))
      }
    },
  )

  it.each(PACKAGES)(
    '%s: its installed manifest: dist/, versions not workspace:, the public fields',
    async (name) => {
      const dir = join(app, 'node_modules', '@aac', name)
      // The install copied the tarball: no link back into the repo.
      expect(relative(app, await realpath(dir)).startsWith('..')).toBe(false)
      const text = await readFile(join(dir, 'package.json'), 'utf8')
      const manifest = JSON.parse(text) as Record<string, unknown>
      expect(text).not.toMatch(/workspace:|\.\/src\/|"private"/)
      expect(manifest).toMatchObject({
        type: 'module',
        license: 'MIT',
        engines: { node: '>=20.11' },
        repository: { type: 'git', directory: `packages/${name}` },
        description: expect.any(String),
        keywords: expect.any(Array),
      })
      // Every file that exports and bin name is in the tarball.
      const targets = (value: unknown): string[] =>
        typeof value === 'string' ? [value] : Object.values(value ?? {}).flatMap(targets)
      const named = [...targets(manifest['exports']), ...targets(manifest['bin'])]
      expect(named.length).toBeGreaterThan(0)
      for (const target of named) expect(existsSync(join(dir, target)), target).toBe(true)
    },
  )

  it('npm pack refuses: it ignores publishConfig, so its tarball would point at src/*.ts', async () => {
    const result = await run('npm', ['pack', '--dry-run'], { cwd: join(ROOT, 'packages', 'core'), env: ENV })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('Pack and publish with pnpm')
  })

  it('the CLI bundles @aac/core and commander: it depends on neither, nor on tsx or esbuild', async () => {
    const cli = JSON.parse(await readFile(join(app, 'node_modules', '@aac', 'cli', 'package.json'), 'utf8'))
    // jq-web (aac api --jq) loads a .wasm file beside its own, so it is installed rather than bundled.
    expect(Object.keys(cli.dependencies ?? {})).toEqual(['jq-web'])
    for (const name of ['tsx', 'esbuild', 'commander', 'undici']) {
      expect(existsSync(join(app, 'node_modules', name)), name).toBe(false)
    }
    const notices = await readFile(
      join(app, 'node_modules', '@aac', 'cli', 'dist', 'THIRD-PARTY-NOTICES.txt'),
      'utf8',
    )
    expect(notices).toMatch(/^commander@\d+\.\d+\.\d+ \(MIT\)$/m)
    expect(notices).toMatch(/^undici@\d+\.\d+\.\d+ \(MIT\)$/m)
  })

  it('publint and attw (ESM-only profile) find nothing in any of them', async () => {
    const checks = PACKAGES.flatMap((name) => [
      async () => ({
        what: `publint ${name}`,
        result: await run(join(BIN, 'publint'), ['run', tarballs[name] as string, '--strict'], { env: ENV }),
      }),
      async () => ({
        what: `attw ${name}`,
        result: await run(
          join(BIN, 'attw'),
          [tarballs[name] as string, '--profile', 'esm-only', '--no-color'],
          {
            env: ENV,
          },
        ),
      }),
    ])
    // attw exits 1 on any problem in a resolution the profile keeps (node16 from ESM, bundler).
    for (const { what, result } of await inPool(2, checks)) {
      mustSucceed(what, result)
      if (what.startsWith('publint')) expect(result.stdout, what).toContain('All good!')
    }
  }, 120_000)
})

describe('an app using the installed packages', () => {
  async function runApp(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    const ws = await fakeWorkspace({ expired: true })
    try {
      const result = mustSucceed(
        `${command} ${args.join(' ')}`,
        await run(command, args, { cwd: app, env: { ...ENV, ...env, AAC_CONFIG_DIR: ws.dir } }),
      )
      expect(JSON.parse(result.stdout)).toEqual({ version: '0.1.0', workspace: 'Fake Workspace' })
      await expectOneSafeRotation(ws, 1)
    } finally {
      await ws.close()
    }
  }

  it.each([20, 22, 24])(
    'Node %i: loads the config, refreshes the expired token, gets the workspace',
    async (major) => {
      await runApp(nodes[major] as string, ['app.mjs'])
    },
  )

  it.each([22, 24])('Node %i: require() of the ESM packages', async (major) => {
    const result = mustSucceed(
      'require.cjs',
      await run(nodes[major] as string, ['require.cjs'], { cwd: app, env: ENV }),
    )
    expect(JSON.parse(result.stdout)).toEqual({
      createClient: 'function',
      loadConfig: 'function',
      startFakeCloud: 'function',
      version: '0.1.0',
    })
  })

  it('Deno, through node_modules', async () => {
    await runApp(join(BIN, 'deno'), [
      'run',
      '--allow-read',
      '--allow-write',
      '--allow-env',
      '--allow-net',
      'app.mjs',
    ])
  })

  it('Deno, through npm: specifiers from a registry (no node_modules)', async () => {
    const registry = await startLocalRegistry([tarballs['core'] as string])
    try {
      await runApp(
        join(BIN, 'deno'),
        ['run', '--no-config', '--node-modules-dir=none', '--allow-all', 'deno-npm.mjs'],
        // A cache of its own: the package must come from this registry, not from an earlier run.
        { NPM_CONFIG_REGISTRY: registry.url, DENO_DIR: join(work, 'deno-cache') },
      )
      // The package and its tarball; Deno also looks up the optional peers (the stores' clients), which the
      // registry does not hold: the app runs without them, as it must.
      const core = JSON.parse(
        await readFile(join(app, 'node_modules', '@aac', 'core', 'package.json'), 'utf8'),
      )
      const optionalPeers = Object.keys(core.peerDependenciesMeta ?? {})
      expect(registry.requests.filter((path) => !optionalPeers.includes(path))).toEqual([
        '@aac/core',
        '0.tgz',
      ])
    } finally {
      await registry.close()
    }
  })

  it('Bun', async () => {
    await runApp(join(BIN, 'bun'), ['app.mjs'])
  })

  it('a browser bundle of the main entry holds no Node built-in', async () => {
    const result = await build({
      absWorkingDir: app,
      entryPoints: ['browser.mjs'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs).toContain('node_modules/@aac/core/dist/index.js')
    expect(inputs.filter((input) => !input.startsWith('node_modules/@aac/core/dist/'))).toEqual([
      'browser.mjs',
    ])
    expect(result.outputFiles[0]?.text).not.toMatch(/from ["']node:/)
  })

  it('Vite builds a page that imports the main entry, with no Node built-in', async () => {
    const output = await viteBuild({
      root: app,
      configFile: false,
      logLevel: 'silent',
      build: {
        lib: { entry: join(app, 'browser.mjs'), formats: ['es'], fileName: 'page' },
        outDir: join(app, 'vite-dist'),
        write: false,
        minify: false,
      },
    })
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : []))
    const code = chunks.map((chunk) => ('code' in chunk ? chunk.code : '')).join('\n')
    expect(code).toMatch(/createClient/)
    expect(code).not.toMatch(/from ["']node:|require\(["']node:/)
  })
})

describe('the installed commands', () => {
  it('aac-fake-cloud writes a config with an expired token, and aac token refreshes it with plain Node', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aac-consumer-config-'))
    const fake = start(
      join(app, 'node_modules', '.bin', 'aac-fake-cloud'),
      ['--port', '0', '--config-dir', dir, '--expired'],
      { cwd: app, env: ENV },
    )
    try {
      let stdout = ''
      fake.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      for (let i = 0; i < 300 && !stdout.includes('wrote aac_url.txt'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(stdout).toContain('wrote aac_url.txt')
      const aac = join(app, 'node_modules', '.bin', 'aac')
      const version = mustSucceed('aac --version', await run(aac, ['--version'], { cwd: app, env: ENV }))
      expect(version.stdout).toBe('0.1.0\n')
      const first = mustSucceed(
        'aac token',
        await run(aac, ['token'], { cwd: app, env: { ...ENV, AAC_CONFIG_DIR: dir } }),
      )
      expect(first.stdout).toMatch(JWT)
      // The same bin under Node 22 and 24: the saved token is fresh now, so no second refresh.
      for (const major of [22, 24]) {
        const again = mustSucceed(
          `aac token (Node ${major})`,
          await run(
            nodes[major] as string,
            [join(app, 'node_modules', '@aac', 'cli', 'bin', 'aac-packed.cjs'), 'token'],
            {
              cwd: app,
              env: { ...ENV, AAC_CONFIG_DIR: dir },
            },
          ),
        )
        expect(again.stdout).toBe(first.stdout)
      }
    } finally {
      fake.child.kill('SIGTERM')
      await fake.done
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('tsc over a consumer file in each mode (node16, nodenext, bundler; strict on, off; no DOM lib)', () => {
  // TypeScript 7 includes no @types package unless `types` names it, so a Node user's tsconfig names "node".
  const node = { types: ['node'] }
  const noDom = { lib: ['ES2022'], skipLibCheck: true }
  const cases: Record<string, Record<string, unknown>> = {
    'node16, strict': { ...node, module: 'node16', strict: true },
    'node16, strict false': { ...node, module: 'node16', strict: false },
    'nodenext, strict': { ...node, module: 'nodenext', strict: true },
    'nodenext, strict false': { ...node, module: 'nodenext', strict: false },
    'bundler, strict': { ...node, module: 'esnext', moduleResolution: 'bundler', strict: true },
    'bundler, strict false': { ...node, module: 'esnext', moduleResolution: 'bundler', strict: false },
    'nodenext, no DOM lib': { ...node, ...noDom, module: 'nodenext', strict: true },
    'bundler, no DOM lib, no Node types, strict false': {
      ...noDom,
      types: [],
      module: 'esnext',
      moduleResolution: 'bundler',
      strict: false,
    },
  }
  // TypeScript 5 (what most users have) takes 4 to 10 s a run here, TypeScript 7 a tenth of that: 5 checks two
  // cases, every declaration under strict false (no skipLibCheck) and the config without the DOM lib.
  const compilers: Record<string, { tsc: () => string; cases: string[] }> = {
    'TypeScript 7': { tsc: () => join(BIN, 'tsc'), cases: Object.keys(cases) },
    [`TypeScript ${TYPESCRIPT_5}`]: {
      tsc: () => join(app, 'node_modules', '.bin', 'tsc'),
      cases: ['bundler, strict false', 'nodenext, no DOM lib'],
    },
  }

  it.each(Object.keys(compilers))(
    '%s: its cases pass',
    async (name) => {
      const compiler = compilers[name] as { tsc: () => string; cases: string[] }
      const checks = compiler.cases.map((label, i) => async () => {
        const config = join(app, `tsconfig.${name.replace(/\W+/g, '-')}.${i}.json`)
        const compilerOptions = { target: 'ES2022', noEmit: true, ...cases[label] }
        await writeFile(config, JSON.stringify({ compilerOptions, files: ['consumer.ts'] }))
        return { label, result: await run(compiler.tsc(), ['-p', config], { cwd: app, env: ENV }) }
      })
      const failures = (await inPool(2, checks))
        .filter(({ result }) => result.code !== 0)
        .map(({ label, result }) => `${label}:\n${result.stdout}${result.stderr}`)
      expect(failures).toEqual([])
    },
    180_000,
  )
})
