// The demo: every example against the built-in fake Alteryx Cloud, in a temporary config folder whose access
// token has already expired, so each run shows a real refresh and rotation. Never touches the repo's own files.
//
//   npm run demo
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { styleText } from 'node:util'
import { startFakeCloud } from '@aac/fake-cloud'
import { demoRuns } from './runtimes.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const colour = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (style: Parameters<typeof styleText>[0], text: string) =>
  colour ? styleText(style, text) : text

const cloud = await startFakeCloud()
const dir = await mkdtemp(join(tmpdir(), 'aac-demo-'))
let failures = 0
try {
  console.log(paint('bold', `Fake Alteryx Cloud at ${cloud.url}; config folder ${dir}`))
  for (const run of demoRuns(root, dir)) {
    await cloud.writeConfig(dir, { expired: true })
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    cloud.reset()
    console.log(`\n${paint('bold', `▶ ${run.title}`)}  ${paint('dim', `$ ${run.display}`)}`)
    const { code, output } = await execute(run.command, run.args, { ...process.env, AAC_CONFIG_DIR: dir })
    process.stdout.write(indent(output))
    const stats = cloud.stats()
    const after = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')) as { refresh_token: string }
    const rotated = before !== (await readFile(join(dir, 'creds.json'), 'utf8'))
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
