#!/usr/bin/env node
// The `aac` command as packed and published (publishConfig.bin): the bundle prepack built into dist/ (the CLI,
// @aac/core and commander in one CommonJS file; scripts/bundle.mjs says why), so it starts with plain Node and
// installs no dependency. The repository runs bin/aac.js, which builds the same bundle on demand.
//
// Half of what a run costs beyond Node's own start is V8 compiling the bundle. V8's code cache keeps that work
// between runs, in the per-user cache folder (~/.cache/aac, $XDG_CACHE_HOME/aac, %LOCALAPPDATA%\aac\cache,
// ~/Library/Caches/aac): Node 22.1+ does it itself (module.enableCompileCache); on Node 20 this file does the
// same through vm.Script's cachedData. NODE_DISABLE_COMPILE_CACHE=1 turns both off.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
// The loader's own class, which node:module exports: loading that module costs a run 0.3 ms.
const Module = module.constructor

const bundle = path.join(__dirname, '..', 'dist', 'main.cjs')

/** os.homedir(), which is $HOME when set (but on Windows): node:os is loaded only when it is not. */
function homedir() {
  return (process.platform !== 'win32' && process.env.HOME) || require('node:os').homedir()
}

function cacheDir() {
  const env = process.env
  if (process.platform === 'win32') {
    return path.join(env.LOCALAPPDATA || path.join(homedir(), 'AppData', 'Local'), 'aac', 'cache')
  }
  if (process.platform === 'darwin') return path.join(homedir(), 'Library', 'Caches', 'aac')
  const xdg = env.XDG_CACHE_HOME
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.cache'), 'aac')
}

/** Loads the bundle as require() would, but compiled from (and then into) V8's code cache. */
function requireCached(dir) {
  const vm = require('node:vm')
  const source = fs.readFileSync(bundle, 'utf8')
  const stats = fs.statSync(bundle)
  // V8 rejects a cache made from other source or by another V8; the name keeps versions apart.
  const key = `${process.version}-${process.arch}-${stats.size}-${Math.trunc(stats.mtimeMs)}`
  const cacheFile = path.join(dir, `main-${key}.v8`)
  let cachedData
  try {
    cachedData = fs.readFileSync(cacheFile)
  } catch {}
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData })
  if (cachedData === undefined || script.cachedDataRejected) {
    // At exit, when the functions this run needed are compiled too.
    process.once('exit', () => {
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
        const temporary = `${cacheFile}.${process.pid}.tmp`
        fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 })
        fs.renameSync(temporary, cacheFile)
      } catch {}
    })
  }
  const mod = new Module(bundle, module)
  mod.filename = bundle
  mod.paths = Module._nodeModulePaths(path.dirname(bundle))
  const load = script.runInThisContext()
  load.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle))
  mod.loaded = true
  return mod.exports
}

/** AAC_DEBUG read as the CLI reads it (`0`, `false`, `no`, `off` and empty are off). */
function debugRequested() {
  const value = process.env.AAC_DEBUG?.trim().toLowerCase()
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value)
}

function load() {
  if (debugRequested()) {
    // Stack traces give the file and line in src/ of each frame (the bundle's own names are short): Node maps
    // them through dist/main.cjs.map for the files it loads itself, so this run skips the code cache.
    process.setSourceMapsEnabled(true)
    return require(bundle)
  }
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return require(bundle)
  let dir
  try {
    dir = cacheDir()
  } catch {
    return require(bundle)
  }
  const enableCompileCache = nativeCompileCache()
  if (enableCompileCache) {
    enableCompileCache(dir)
    return require(bundle)
  }
  return requireCached(dir)
}

/** Node 22.1+'s module.enableCompileCache (node:module is loaded for it on Node 22 and later only). */
function nativeCompileCache() {
  if (Number(process.versions.node.split('.')[0]) < 22) return undefined
  const { enableCompileCache } = require('node:module')
  return typeof enableCompileCache === 'function' ? enableCompileCache : undefined
}

load().main()
