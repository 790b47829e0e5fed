// A real Secret Service for the keychain tests: a private D-Bus session bus and GNOME Keyring on it, unlocked
// with a password, its keyring files in a temp folder. Started per test file, stopped (by pid) after it. The
// programs under test reach it through DBUS_SESSION_BUS_ADDRESS, as on a desktop.
//
// The bus has no service files, so nothing is started behind the tests' back (the stock session bus would
// start a second keyring daemon for the real home folder on the first call to org.freedesktop.secrets).
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

const KEYRING_PASSWORD = 'aac-test-keyring-password'

/** The Debian packages behind the tools (scripts/ensure-test-tools.sh installs them). */
const TOOLS = {
  'dbus-daemon': 'dbus',
  'dbus-send': 'dbus',
  'gnome-keyring-daemon': 'gnome-keyring',
  'secret-tool': 'libsecret-tools',
} as const

export interface KeyringSession {
  /** The bus's address: put it in DBUS_SESSION_BUS_ADDRESS of every program that uses the keychain. */
  readonly address: string
  /** The environment a program needs to reach this keyring. */
  readonly env: { DBUS_SESSION_BUS_ADDRESS: string }
  /** Runs secret-tool on this keyring, to look at entries from outside; resolves its stdout. */
  secretTool(args: readonly string[], input?: string): Promise<string>
  /** Locks the keyring's default collection, as a screen lock or `seahorse` would. */
  lock(): Promise<void>
  /** Unlocks it again: restarts the daemon with the password on stdin, as logging in again does. */
  unlock(): Promise<void>
  /** Stops the keyring and the bus, and deletes the keyring files. */
  stop(): Promise<void>
}

export interface BusSession {
  readonly address: string
  stop(): Promise<void>
}

/**
 * Starts a bus and an unlocked GNOME Keyring on it. A missing tool is an error naming the script that installs
 * it: the keychain tests fail rather than skip.
 *
 * @example
 * const keyring = await startKeyring()
 * process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address
 */
export async function startKeyring(): Promise<KeyringSession> {
  assertTools()
  const bus = await startBus()
  const home = await mkdtemp(join(tmpdir(), 'aac-keyring-'))
  const env = {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR: join(home, 'run'),
    DBUS_SESSION_BUS_ADDRESS: bus.address,
  }
  await mkdir(env.XDG_RUNTIME_DIR, { mode: 0o700 })
  let daemon: ChildProcess | undefined
  const stop = async () => {
    if (daemon) await stopChild(daemon)
    await bus.stop()
    await rm(home, { recursive: true, force: true })
  }
  const startDaemon = async () => {
    daemon = spawnTool('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], env)
    // --unlock reads the password of the "login" keyring on stdin: it creates it (the default) or opens it.
    daemon.stdin?.end(KEYRING_PASSWORD)
    await waitFor(
      async () => (await defaultCollection(env)) !== '/',
      'the keyring to open its login collection',
    )
  }
  try {
    await startDaemon()
  } catch (error) {
    await stop()
    throw error
  }
  const secretTool = (args: readonly string[], input?: string) => runTool('secret-tool', args, env, input)
  return {
    address: bus.address,
    env: { DBUS_SESSION_BUS_ADDRESS: bus.address },
    secretTool,
    async lock() {
      const collection = await defaultCollection(env)
      await runTool(
        'dbus-send',
        [
          '--session',
          '--print-reply',
          '--dest=org.freedesktop.secrets',
          '/org/freedesktop/secrets',
          'org.freedesktop.Secret.Service.Lock',
          `array:objpath:${collection}`,
        ],
        env,
      )
    },
    async unlock() {
      if (daemon) await stopChild(daemon)
      await startDaemon()
    },
    stop,
  }
}

/** A session bus with nobody on it: what a headless box with D-Bus but no keyring offers. */
export async function startBus(): Promise<BusSession> {
  assertTools()
  const dir = await mkdtemp(join(tmpdir(), 'aac-bus-'))
  const config = join(dir, 'session.conf')
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  )
  const daemon = spawnTool(
    'dbus-daemon',
    [`--config-file=${config}`, '--nofork', '--print-address=1'],
    process.env,
  )
  const stop = async () => {
    await stopChild(daemon)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const address = await firstLine(daemon, 'dbus-daemon to print its address')
    return { address, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** The object path of the "default" alias, `/` when there is none yet. */
async function defaultCollection(env: NodeJS.ProcessEnv): Promise<string> {
  const reply = await runTool(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.secrets',
      '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service.ReadAlias',
      'string:default',
    ],
    env,
  )
  const match = /object path "([^"]+)"/.exec(reply)
  if (!match?.[1]) throw new Error(`unexpected ReadAlias reply: ${reply}`)
  return match[1]
}

function spawnTool(tool: keyof typeof TOOLS, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(tool, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
  child.on('error', () => undefined)
  child.stdin?.on('error', () => undefined)
  return child
}

function runTool(tool: keyof typeof TOOLS, args: readonly string[], env: NodeJS.ProcessEnv, input?: string) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', (error) => reject(missingTool(tool, error)))
    child.on('close', (code) => {
      if (code === 0) resolve(stdout)
      else reject(new Error(`${tool} ${args.join(' ')} exited ${code}: ${stderr.trim()}`))
    })
    // A tool that exits without reading its input must not fail the test with EPIPE.
    child.stdin?.on('error', () => undefined)
    child.stdin?.end(input)
  })
}

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${stderr}`)), 10_000)
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const line = text.split('\n')[0]
      if (text.includes('\n') && line) {
        clearTimeout(timer)
        resolve(line.trim())
      }
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(missingTool('dbus-daemon', error))
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what}: it exited ${code}: ${stderr}`))
    })
  })
}

/** Every tool on the PATH, or an error naming the missing ones and how to install them. */
function assertTools(): void {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean)
  const missing = (Object.keys(TOOLS) as Array<keyof typeof TOOLS>).filter(
    (tool) => !dirs.some((dir) => existsSync(join(dir, tool))),
  )
  if (missing.length > 0)
    throw missingTool(missing[0]!, Object.assign(new Error('missing'), { code: 'ENOENT' }), missing)
}

function missingTool(
  tool: keyof typeof TOOLS,
  error: Error,
  all: readonly (keyof typeof TOOLS)[] = [tool],
): Error {
  if ((error as { code?: unknown }).code !== 'ENOENT') return error
  const pkg = [...new Set(all.map((name) => TOOLS[name]))].join(' ')
  return new Error(
    `${all.join(', ')} ${all.length > 1 ? 'are' : 'is'} not installed, and the keychain tests need a real Secret Service: run \`bash scripts/ensure-test-tools.sh\` (as root it installs Debian's dbus, gnome-keyring and libsecret-tools), or \`sudo apt-get install -y ${pkg}\`.`,
  )
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
  await closed
  clearTimeout(timer)
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      if (await check()) return
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
