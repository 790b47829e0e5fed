// A real PostgreSQL (Debian's postgresql, installed by scripts/ensure-test-tools.sh) on a free loopback port,
// its cluster in a temp folder, for the PostgreSQL store's tests and benchmarks. PostgreSQL refuses to run as
// root, so as root (CI, these machines) initdb and the server run as the `postgres` user the package creates
// (else `nobody`), through spawn's uid/gid: no su, runuser or sudo needed.
import { chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, missingServer, runCommand, serverProcess } from './common.ts'

/** The superuser's password (TCP logins need one: scram-sha-256). */
export const POSTGRES_PASSWORD = 'postgres-test-secret'
/** A role that may log in and read the database but create nothing in it: for permission tests. */
export const POSTGRES_LIMITED = { name: 'aac_limited', password: 'limited-test-secret' } as const

export interface PostgresServer {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres`: the superuser. */
  readonly url: string
  readonly port: number
  /** The URL for another user, password or database. */
  urlFor(options?: { user?: string; password?: string; database?: string }): string
  /** Runs SQL through psql as the superuser; returns psql's unaligned output. */
  psql(sql: string): Promise<string>
  /** Stops the server (fast shutdown: sessions are cut, data kept); `start()` brings it back. */
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops it and removes its folder. */
  close(): Promise<void>
}

/**
 * Creates a cluster and starts it. Throws (never skips) when PostgreSQL is not installed.
 *
 * @example
 * const pg = await startPostgresServer()
 * const storage = postgresStorage({ url: pg.url })
 * await pg.close()
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = await postgresBinDir()
  const owner = await serverUser()
  const dir = await mkdtemp(join(tmpdir(), 'aac-postgres-'))
  const data = join(dir, 'data')
  const port = await freePort()
  const asOwner = { ...owner, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' } }
  const psql = (sql: string) =>
    runCommand(
      join(bin, 'psql'),
      [
        '-X',
        '-q',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        dir,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-c',
        sql,
      ],
      asOwner,
    )
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1']
  // Speed over durability (a test cluster): data survives a server stop, not a machine crash.
  args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off')
  // The benchmark's 64 waiters each hold a connection.
  args.push('-c', 'max_connections=300')
  const { start, stop } = serverProcess({
    command: join(bin, 'postgres'),
    args,
    spawnOptions: asOwner,
    what: `postgres on port ${port}`,
    ready: async () => (await psql('select 1')).trim() === '1',
    // SIGINT: fast shutdown, which ends the sessions and checkpoints, as an administrator's restart does.
    stopSignal: 'SIGINT',
  })

  try {
    if (owner.uid !== undefined) await chown(dir, owner.uid, owner.gid!)
    const pwfile = join(dir, 'pwfile')
    await writeFile(pwfile, POSTGRES_PASSWORD, { mode: 0o600 })
    if (owner.uid !== undefined) await chown(pwfile, owner.uid, owner.gid!)
    await runCommand(
      join(bin, 'initdb'),
      [
        '-D',
        data,
        '-N',
        '-U',
        'postgres',
        '--pwfile',
        pwfile,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
      ],
      { ...asOwner, env: { ...asOwner.env } },
    ).catch((error) => {
      throw new Error(`initdb failed: ${(error as Error).message}`)
    })
    await start()
    await psql(
      `create role ${POSTGRES_LIMITED.name} login password '${POSTGRES_LIMITED.password}'; revoke create on schema public from public;`,
    )
  } catch (error) {
    await stop()
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  const urlFor = ({ user = 'postgres', password = POSTGRES_PASSWORD, database = 'postgres' } = {}) =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
  return {
    url: urlFor(),
    port,
    urlFor,
    psql,
    stop,
    start,
    async close() {
      await stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** /usr/lib/postgresql/<version>/bin of the newest version installed. */
async function postgresBinDir(): Promise<string> {
  const root = '/usr/lib/postgresql'
  const versions = await readdir(root).catch(() => [] as string[])
  const newest = versions
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a))
    .find(() => true)
  if (!newest) throw missingServer(`PostgreSQL (${root}/<version>/bin)`, 'postgresql')
  return join(root, newest, 'bin')
}

/** Whom the server runs as: ourselves, or when we are root the `postgres` user (else `nobody`). */
async function serverUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {}
  for (const name of ['postgres', 'nobody']) {
    const line = await runCommand('getent', ['passwd', name]).catch(() => '')
    const [, , uid, gid] = line.trim().split(':')
    if (uid && gid) return { uid: Number(uid), gid: Number(gid) }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as')
}
