// Builds the `aac` command as JavaScript with esbuild: the CLI, @aac/core and commander bundled into dist/main.cjs
// (and undici, for proxies, into dist/proxy-agent.cjs), so an installed `aac` starts with plain Node, loads no
// TypeScript loader and installs no dependency. prepack runs it for the tarball; in the repository bin/aac.js
// runs it into a cache whenever a source file changed. Plain JavaScript, so plain Node runs it.
//
//   node packages/cli/scripts/bundle.mjs [outdir]     (default: packages/cli/dist)

import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { escapeNonAscii } from './ascii-only.mjs'

export const CLI_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** Beside the bundle: the licences of the packages bundled into it (their MIT licences ask for it). */
export const NOTICES_FILE = 'THIRD-PARTY-NOTICES.txt'

async function readJson(path) {
  return JSON.parse(await readFile(path, 'utf8'))
}

/**
 * Packages left outside the bundle: the CLI's own runtime `dependencies` (installed beside it) and the core's
 * optional peers (loaded only when a store that needs them is chosen, from wherever the user installed them).
 */
async function externals() {
  const cli = await readJson(join(CLI_ROOT, 'package.json'))
  const core = await readJson(join(CLI_ROOT, '..', 'core', 'package.json'))
  return [...Object.keys(cli.dependencies ?? {}), ...Object.keys(core.peerDependencies ?? {})]
}

/**
 * Built-in modules the bundle needs only now and then, replaced by stand-ins whose functions load the real module
 * at their first call. commander requires node:child_process when it loads, for executable subcommands, which aac
 * has none of (net and dgram come with it); the core's node:crypto serves only a refresh or a lock, and its
 * node:fs/promises (which loads readline, streams and fs watchers) only a write, a lock or the doctor: config
 * files are read with synchronous calls (readTextFile says why); node:os serves a missing HOME, a lock's host
 * name or a temp folder. Together they cost every run a few ms. The stand-in exports every function of the real module (esbuild drops the unused ones); a
 * non-function import from it fails the build.
 */
const LAZY_BUILTINS = /^(node:)?(child_process|crypto|fs\/promises|os)$/

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: LAZY_BUILTINS }, (args) =>
      // The stand-in's own import is the real module.
      args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: `node:${args.path.replace(/^node:/, '')}`, namespace: 'lazy-builtin' },
    )
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const real = await import(args.path)
      const names = Object.keys(real).filter((name) => name !== 'default' && typeof real[name] === 'function')
      const lines = [
        'let loaded',
        `const real = () => (loaded ??= require(${JSON.stringify(args.path)}))`,
        ...names.map((name) => `export function ${name}(...args) { return real().${name}(...args) }`),
      ]
      return { contents: lines.join('\n'), loader: 'js' }
    })
  },
}

/**
 * `import process from 'node:process'` (the core's way, so that Deno needs no global) is the global process: as
 * a CommonJS require, esbuild would copy its hundred-odd properties for each module that imports it. Only for
 * our own source: commander requires node:process as CommonJS.
 */
const globalProcess = {
  name: 'global-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?process$/ }, (args) =>
      /[\\/]node_modules[\\/]/.test(args.importer)
        ? undefined
        : { path: 'process', namespace: 'global-process' },
    )
    build.onLoad({ filter: /.*/, namespace: 'global-process' }, () => ({
      contents: 'export default globalThis.process',
      loader: 'js',
    }))
  },
}

/**
 * The proxy agent (undici, a few hundred kB) is a file of its own, required only when a proxy variable is set
 * (src/proxy.ts): the bundle's import of it becomes `require('./proxy-agent.cjs')`.
 */
const PROXY_AGENT = 'proxy-agent.cjs'
const separateProxyAgent = {
  name: 'separate-proxy-agent',
  setup(build) {
    build.onResolve({ filter: /[\\/]proxy[\\/]agent\.ts$/ }, () => ({
      path: `./${PROXY_AGENT}`,
      external: true,
    }))
  },
}

const COMMON = {
  absWorkingDir: CLI_ROOT,
  // import.meta.url in CommonJS (the source is ES modules): this file's URL, computed when first asked.
  define: { 'import.meta.url': '__aacImportMeta.url' },
  banner: {
    js: "const __aacImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href } };",
  },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'eof',
  // import() becomes require(): bin/aac-packed.cjs compiles the bundle through vm.Script (for V8's code cache),
  // where import() would need a loader. What it loads (jq-web, the proxy agent, the keychain binding, the Redis
  // and PostgreSQL clients) can all be required.
  supported: { 'dynamic-import': false },
  metafile: true,
  logLevel: 'warning',
}

/**
 * Bundles src/main.ts into `outdir`/main.cjs and the proxy agent into `outdir`/proxy-agent.cjs (CommonJS for
 * Node 20: no ES module loader to start, and built-ins without ESM facades, which saves a third of the start-up),
 * replacing whatever was there (main.cjs in ASCII only: scripts/ascii-only.mjs says why), and writes the bundled
 * packages' licences beside them. Each command's code runs only when that command does (esbuild defers the
 * modules behind a dynamic import). Resolves to the inputs of both: every file the bundle was made from
 * (bin/aac.js keys its cache on them). `options.sourcemap`: esbuild's `sourcemap` (default: `linked` for
 * main.cjs, a .map beside it, which Node reads only once source maps are enabled, as both bins do for
 * AAC_DEBUG=1; none for the proxy agent).
 *
 * @example
 * const inputs = await bundle('/tmp/aac-build', { sourcemap: 'linked' })
 */
export async function bundle(outdir = join(CLI_ROOT, 'dist'), options = {}) {
  const { build } = await import('esbuild')
  await rm(outdir, { recursive: true, force: true })
  const sourcemap = options.sourcemap ?? 'linked'
  const [main, agent] = await Promise.all([
    build({
      ...COMMON,
      entryPoints: ['src/main.ts'],
      outfile: join(outdir, 'main.cjs'),
      external: await externals(),
      plugins: [lazyBuiltins, globalProcess, separateProxyAgent],
      // Short local names: a third less source for V8 to read and check against its code cache, 1.5 ms of each
      // run. Property names stay, and every error class of ours names itself, so messages are unchanged; stack
      // traces (AAC_DEBUG=1) go through the source map, which gives the file and line in src/ of each frame.
      minifyIdentifiers: true,
      sourcemap,
      sourcesContent: false,
    }),
    build({
      ...COMMON,
      entryPoints: ['src/proxy/agent.ts'],
      outfile: join(outdir, PROXY_AGENT),
      // Not minified: its stack traces read as they are.
      sourcemap: options.sourcemap ?? false,
      sourcesContent: false,
    }),
  ])
  await escapeNonAscii(join(outdir, 'main.cjs'))
  const inputs = [...Object.keys(main.metafile.inputs), ...Object.keys(agent.metafile.inputs)]
  await writeFile(join(outdir, NOTICES_FILE), await notices(inputs))
  return inputs
}

/** The name, version and licence text of every package from node_modules that the bundle holds. */
async function notices(inputs) {
  const roots = new Set()
  for (const input of inputs) {
    const match = /^(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/@.][^\\/]*)[\\/]/.exec(input)
    if (match) roots.add(resolve(CLI_ROOT, match[1]))
  }
  const sections = []
  for (const root of [...roots].sort()) {
    const manifest = await readJson(join(root, 'package.json'))
    const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license'].find((name) =>
      existsSync(join(root, name)),
    )
    const text = file ? await readFile(join(root, file), 'utf8') : `License: ${manifest.license}`
    sections.push(`${manifest.name}@${manifest.version} (${manifest.license})\n\n${text.trim()}\n`)
  }
  const head = 'The aac command bundles these packages; their licences follow.\n\n'
  return head + sections.join(`\n${'-'.repeat(78)}\n\n`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await bundle(process.argv[2] ? resolve(process.argv[2]) : undefined)
}
