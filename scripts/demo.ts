// The demo: every example against the built-in fake Alteryx Cloud, in a temporary config folder whose access
// token has already expired, so each run shows a real refresh and rotation. Never touches the repo's own files.
//
//   npm run demo
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { styleText } from 'node:util'
import { startFakeCloud } from '@aac/fake-cloud'
import { CHROMIUM, launchChromium, startDevServer } from './browser.ts'
import { demoRuns, type ExampleRun } from './runtimes.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const colour = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (style: Parameters<typeof styleText>[0], text: string) =>
  colour ? styleText(style, text) : text

/** A step's exit code when it could not run here (chromium missing): shown, not counted. */
const SKIPPED = -1

interface Step {
  title: string
  /** The command as a user would type it. */
  display: string
  run(dir: string): Promise<{ code: number; output: string }>
}

const cloud = await startFakeCloud()
const dir = await mkdtemp(join(tmpdir(), 'aac-demo-'))
const steps: Step[] = [...demoRuns(root, dir).map(processStep), browserStep()]
let failures = 0
try {
  console.log(paint('bold', `Fake Alteryx Cloud at ${cloud.url}; config folder ${dir}`))
  for (const step of steps) {
    await cloud.writeConfig(dir, { expired: true })
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    cloud.reset()
    console.log(`\n${paint('bold', `▶ ${step.title}`)}  ${paint('dim', `$ ${step.display}`)}`)
    const { code, output } = await step.run(dir)
    process.stdout.write(indent(output))
    if (code === SKIPPED) continue
    const stats = cloud.stats()
    const afterText = await readFile(join(dir, 'creds.json'), 'utf8')
    const after = JSON.parse(afterText) as { refresh_token: string }
    const rotated = before !== afterText
    const chainAlive = cloud.isRefreshTokenValid(after.refresh_token)
    const ok = code === 0 && stats.refreshes === 1 && rotated && chainAlive && stats.reuseDetected === 0
    if (!ok) failures++
    console.log(
      `  ${ok ? paint('green', '✔') : paint('red', '✘')} exit ${code}; the expired access token was refreshed ` +
        `${stats.refreshes} time${stats.refreshes === 1 ? '' : 's'}; ` +
        `${rotated ? 'the rotated pair was saved to creds.json' : 'creds.json was NOT updated'}; ` +
        `${chainAlive ? 'its refresh token works' : 'its refresh token is NOT valid'}; ` +
        `${stats.apiRequests} API request${stats.apiRequests === 1 ? '' : 's'}.`,
    )
  }
} finally {
  await cloud.stop()
  await rm(dir, { recursive: true, force: true })
}
console.log(
  failures === 0
    ? paint('green', '\nEvery example printed the workspace and rotated the token pair safely.')
    : paint('red', `\n${failures} example(s) did not behave as expected.`),
)
process.exitCode = failures === 0 ? 0 : 1

function processStep(run: ExampleRun): Step {
  return {
    title: run.title,
    display: run.display,
    async run(configDir) {
      const missing = (run.requires ?? []).filter((tool) => !onPath(tool))
      if (missing.length > 0) {
        return {
          code: SKIPPED,
          output: `skipped: needs ${missing.join(', ')} (apt-get install -y ${missing.join(' ')}).\n`,
        }
      }
      const result = await execute(run.command, run.args, {
        ...process.env,
        ...run.env,
        AAC_CONFIG_DIR: configDir,
      })
      return { ...result, output: firstLines(result.output, run.maxLines) }
    },
  }
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, tool)))
}

function firstLines(text: string, max = Number.POSITIVE_INFINITY): string {
  const lines = text.split('\n')
  if (text.endsWith('\n')) lines.pop()
  if (lines.length <= max) return text
  return `${lines.slice(0, max).join('\n')}\n… (${lines.length - max} more lines)\n`
}

/** The web page in headless chromium, served by the example's own dev server (`npm run browser`). */
function browserStep(): Step {
  return {
    title: 'Browser',
    display: 'npm run browser  (here: headless chromium)',
    async run(configDir) {
      if (!existsSync(CHROMIUM)) {
        return {
          code: SKIPPED,
          output: `skipped: Debian's chromium is not installed (apt-get install -y chromium); \`npm run browser\` works with any browser.\n`,
        }
      }
      // The dev server reads AAC_CONFIG_DIR at each request, as every example reads it at start.
      process.env.AAC_CONFIG_DIR = configDir
      const server = await startDevServer(root)
      const browser = await launchChromium()
      try {
        const page = await browser.newPage()
        await page.goto(server.url)
        await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 })
        const ready = (await page.getAttribute('body', 'data-state')) === 'ready'
        const field = async (id: string) => ((await page.textContent(`#${id}`)) ?? '').trim()
        const fields: Array<[string, string]> = ready
          ? [
              ['workspace', 'workspace-name'],
              ['tier', 'workspace-tier'],
              ['members', 'workspace-members'],
              ['custom url', 'workspace-url'],
              ['created', 'workspace-created'],
              ['token expires in', 'token-expires'],
              ['last rotation', 'token-rotated'],
            ]
          : [['error', 'error-message']]
        const shown = await Promise.all(fields.map(async ([label, id]) => `${label}: ${await field(id)}`))
        return { code: ready ? 0 : 1, output: `page at ${server.origin}\n${shown.join('\n')}\n` }
      } finally {
        await browser.close()
        await server.close()
        process.env.AAC_CONFIG_DIR = ''
      }
    },
  }
}

function execute(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code: code ?? 1, output }))
  })
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ').replace(/ {2}$/, '')
}
