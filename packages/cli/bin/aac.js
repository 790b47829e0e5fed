#!/usr/bin/env node
// The `aac` command in the repository (`npx aac`, `npm run aac`, node_modules/.bin/aac). It runs the same bundle
// as the published package (scripts/bundle.mjs), built on demand into node_modules/.cache/aac-cli: a run checks
// the size and mtime of every file the cached bundle was made from (a few ms) and rebuilds it (about 0.2 s) when
// one changed, so there is no build step to forget and a run starts in about the time of the installed command
// (through tsx it took 4x as long). The tarball ships bin/aac-packed.js and dist/ instead.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const cache = join(cliRoot, 'node_modules', '.cache', 'aac-cli')
const manifestPath = join(cache, 'manifest.json')
/** Files that shape the bundle without being in it: the build scripts and the manifests naming the externals. */
const buildFiles = [
  join(cliRoot, 'scripts', 'bundle.mjs'),
  join(cliRoot, 'scripts', 'ascii-only.mjs'),
  join(cliRoot, 'package.json'),
  join(cliRoot, '..', 'core', 'package.json'),
]

/** `size:mtime` of a file, or '' when it is gone. */
function stamp(path) {
  try {
    const stats = statSync(path)
    return `${stats.size}:${stats.mtimeMs}`
  } catch {
    return ''
  }
}

/** The cached bundle's main.cjs if every file it was made from is unchanged, else undefined. */
function cachedEntry() {
  let manifest
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  } catch {
    return undefined
  }
  for (const [path, recorded] of Object.entries(manifest.stamps))
    if (stamp(path) !== recorded) return undefined
  return join(cache, manifest.build, 'main.cjs')
}

/**
 * Builds into a folder of its own and then points the manifest at it (written to a temporary file and renamed),
 * so runs that start meanwhile, or build at the same time, always see one complete bundle.
 */
async function rebuild() {
  const { bundle } = await import('../scripts/bundle.mjs')
  const build = `build-${Date.now()}-${process.pid}`
  // Stamped before bundling: a file saved while esbuild reads it makes the next run build again.
  const before = new Map(buildFiles.map((path) => [path, stamp(path)]))
  mkdirSync(cache, { recursive: true })
  const inputs = await bundle(join(cache, build), { sourcemap: 'linked' })
  const stamps = Object.fromEntries(before)
  for (const input of inputs) {
    // esbuild's virtual modules (the lazy built-in stand-ins), not a Windows drive.
    if (/^[a-z-]{2,}:/.test(input)) continue
    const path = resolve(cliRoot, input)
    stamps[path] = stamp(path)
  }
  const temporary = `${manifestPath}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify({ build, stamps }))
  renameSync(temporary, manifestPath)
  // Builds made more than a minute ago: a run still using one has long loaded main.cjs.
  for (const name of readdirSync(cache)) {
    const age = Date.now() - Number(/^build-(\d+)-/.exec(name)?.[1] ?? Date.now())
    if (name !== build && age > 60_000) rmSync(join(cache, name), { recursive: true, force: true })
  }
  return join(cache, build, 'main.cjs')
}

// Stack traces (AAC_DEBUG=1) point into src/*.ts.
const debug = process.env.AAC_DEBUG?.trim().toLowerCase()
if (debug && !['0', 'false', 'no', 'off'].includes(debug)) process.setSourceMapsEnabled(true)
const entry = cachedEntry() ?? (await rebuild())
await createRequire(import.meta.url)(entry).main()
