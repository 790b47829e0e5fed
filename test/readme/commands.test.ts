// The README's npm commands, run as a user types them (through npm, from the repo root): every `npm run NAME`
// in the docs is a script of the root package.json, and the ones a user runs first work: the demo, the fake
// cloud with `aac token` against it, the browser example's dev server, and the benches. `npm test` runs itself; the
// `setup` step these scripts start with (`npm run demo` is `setup` then `demo:run`) is the same install
// `npm test` has just done, so it is not repeated here, where it would relink node_modules under other tests.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeWorkspace, ROOT, readPair, run, type Workspace } from '../helpers.ts'
import { freePort } from '../servers/common.ts'

const scripts = (
  JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts

/** The repo's own config files: no README command may change them (they may hold a user's real tokens). */
const REPO_FILES = ['creds.json', 'aac_url.txt', 'client_id.txt']
const repoFiles = () => Promise.all(REPO_FILES.map((name) => readFile(join(ROOT, name), 'utf8')))

/** Started programs, each the leader of its own process group: npm, its shell and what it runs. */
const groups: ChildProcess[] = []
afterEach(() => {
  // The whole group, even once npm has gone: npm does not wait for what it started when it gets a signal.
  for (const child of groups.splice(0)) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // ESRCH: every process of the group has exited.
    }
  }
})

/** `npm run NAME -- ARGS` in its own process group, output collected; stdin left open (Vite quits when it ends). */
function npmRun(name: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn('npm', ['run', '--silent', name, ...(args.length ? ['--', ...args] : [])], {
    cwd: ROOT,
    env: { ...process.env, AAC_DEBUG: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  })
  groups.push(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, output: () => string): Promise<T> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const found = await probe()
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}; output so far:\n${output()}`)
}

describe("the README's commands", () => {
  it('name scripts that exist: every `npm run NAME` of the READMEs and docs/', async () => {
    const docs = (await readdir(join(ROOT, 'docs'))).filter((n) => n.endsWith('.md')).map((n) => `docs/${n}`)
    const packages = (await readdir(join(ROOT, 'packages'))).map((name) => `packages/${name}/README.md`)
    const named = new Set<string>()
    for (const file of ['README.md', ...docs, ...packages]) {
      const text = await readFile(join(ROOT, file), 'utf8').catch(() => '')
      for (const [, name] of text.matchAll(/npm run ([a-z][\w:-]*)/g)) named.add(`${name}`)
    }
    expect([...named]).toEqual(expect.arrayContaining(['demo', 'browser', 'fake-cloud', 'bench']))
    expect([...named].filter((name) => !(name in scripts))).toEqual([])
    // What the two first commands run after the install: the scripts tested below.
    expect(scripts['demo']).toMatch(/^npm run setup --silent && npm run demo:run --silent$/)
    expect(scripts['browser']).toMatch(/^npm run setup --silent && npm run browser:run --silent$/)
  })

  it('npm run demo: every example against the fake cloud succeeds, the browser too, and the repo files stay as they were', async () => {
    const before = await repoFiles()
    const demo = npmRun('demo:run', [], {})
    const code = await demo.exited
    const output = demo.output()
    expect(code, output).toBe(0)
    const steps = output.match(/^▶ /gm)?.length ?? 0
    expect(steps, output).toBeGreaterThanOrEqual(8)
    // Each step ends with its own ✔ line: none failed, and none was skipped (chromium is installed for the tests).
    expect(
      output.match(/^ {2}✔ exit 0; the expired access token was refreshed 1 time;/gm)?.length,
      output,
    ).toBe(steps)
    expect(output).toMatch(/^▶ Browser/m)
    expect(output).toContain('Every example printed the workspace and rotated the token pair safely.')
    expect(await repoFiles()).toEqual(before)
  }, 240_000)

  it('npm run bench: every bench runs and prints its figures (they are read, never asserted)', async () => {
    const bench = npmRun('bench', [], {})
    const code = await bench.exited
    const output = bench.output()
    expect(code, output).toBe(0)
    for (const figure of [
      /^createClient \+ memoryStorage \(built package\): [\d.]+ kB minified, [\d.]+ kB min\+gzip$/m,
      /^import @aac\/core \(dist\): \d+ ms/m,
      /^ {2}concurrent \/ sequential wall time: [\d.]+$/m,
      /^installed aac token \/ node -e 0: [\d.]+/m,
      /^ {2}postgresStorage +\d+ ms for 64 waiters \(1 refresh\)$/m,
      /^ours \/ refresh-every-run: [\d.]+/m,
    ]) {
      expect(output).toMatch(figure)
    }
  }, 600_000)

  describe('with a fake cloud', () => {
    let ws: Workspace | undefined
    const temps: string[] = []
    afterEach(async () => {
      await ws?.close()
      ws = undefined
      for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true })
    })

    it('npm run fake-cloud -- --config-dir DIR --expired: the config it writes works with aac token', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'aac-test-'))
      temps.push(dir)
      const fake = npmRun('fake-cloud', ['--port', '0', '--config-dir', dir, '--expired'], {})
      const url = await until(
        'the fake cloud to write the config folder',
        async () =>
          /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*wrote aac_url\.txt/.exec(fake.output())?.[1],
        fake.output,
      )
      expect((await readFile(join(dir, 'aac_url.txt'), 'utf8')).trim()).toBe(url)
      const before = readPair(await readFile(join(dir, 'creds.json'), 'utf8'))
      const token = await run('node', ['packages/cli/bin/aac.js', 'token'], { env: { AAC_CONFIG_DIR: dir } })
      expect(token.code, token.stderr).toBe(0)
      const after = readPair(await readFile(join(dir, 'creds.json'), 'utf8'))
      // The expired token was refreshed through that fake cloud: aac printed the new access token and saved the pair.
      expect(after.refresh_token).not.toBe(before.refresh_token)
      expect(token.stdout.trim()).toBe(after.access_token)
    })

    it("PORT=N BROWSER=none npm run browser: prints the page's address with its key (not in the HTML), and stops cleanly on SIGTERM", async () => {
      ws = await fakeWorkspace()
      const port = await freePort()
      const browser = npmRun('browser:run', [], {
        PORT: String(port),
        BROWSER: 'none',
        AAC_CONFIG_DIR: ws.dir,
      })
      // The page's address, with this run's key after the #, as the terminal shows it.
      const address = await until(
        `the dev server on port ${port}`,
        async () =>
          new RegExp(`Page: +(http://localhost:${port}/#key=[\\w-]{40,})`).exec(browser.output())?.[1],
        browser.output,
      )
      const key = new URL(address).hash.slice('#key='.length)
      const html = await (await fetch(`http://localhost:${port}/`)).text()
      expect(html).toContain('<script type="module" src="/src/main.ts">')
      expect(html).not.toContain(key)
      // Never the token file, whatever path asks for it.
      expect((await fetch(`http://localhost:${port}/@fs${join(ws.dir, 'creds.json')}`)).status).not.toBe(200)
      const before = await readFile(join(ws.dir, 'creds.json'), 'utf8')
      if (browser.child.pid) process.kill(-browser.child.pid, 'SIGTERM')
      // npm exits at once on SIGTERM; Vite, which got it too, closes its server on its own.
      await until(
        'the dev server to close',
        () =>
          fetch(`http://localhost:${port}/`).then(
            () => undefined,
            () => true,
          ),
        browser.output,
      )
      // The pair untouched: the page never loaded, so nothing was refreshed.
      expect(await readFile(join(ws.dir, 'creds.json'), 'utf8')).toBe(before)
    })
  })
})
