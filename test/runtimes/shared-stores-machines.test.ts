// "Many machines, one token chain": three machines (UTS namespaces with host names of their own), each running 8
// examples at once (Node, Deno and Bun mixed) with AAC_STORE naming one Redis or PostgreSQL chain whose access
// token has expired. The fake cloud (which revokes a token family on reuse) must see 24 of 24 succeed with one
// refresh between them.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { postgresStorage } from '../../packages/core/src/storage/postgres.ts'
import { redisStorage } from '../../packages/core/src/storage/redis.ts'
import type { TokenStorage } from '../../packages/core/src/storage/types.ts'
import { type RuntimeName, runtimeBinary } from '../../scripts/runtimes.ts'
import { fakeWorkspace, ROOT, readPair, type Workspace } from '../helpers.ts'
import { type MachineRun, runMachines } from '../servers/machines.ts'
import { useSharedStoreServers } from '../servers/shared-stores.ts'

const MACHINES = ['machine-a', 'machine-b', 'machine-c'] as const
/** 8 programs per machine; over the three machines, 8 of each runtime. */
const PER_MACHINE = 8

const servers = useSharedStoreServers()

/** The example of `runtime`, on the config folder `dir`, with the pair in the store `AAC_STORE` names. */
function example(runtime: RuntimeName, dir: string, store: string, label: string): MachineRun {
  const env = { AAC_CONFIG_DIR: dir, AAC_STORE: store, NO_COLOR: '1', AAC_DEBUG: '' }
  if (runtime === 'node') {
    return {
      label,
      command: process.execPath,
      args: ['--import', 'tsx', join(ROOT, 'examples/node/get_workspace.ts')],
      cwd: ROOT,
      env,
    }
  }
  if (runtime === 'bun') {
    const args = ['run', join(ROOT, 'examples/bun/get_workspace.ts')]
    return { label, command: runtimeBinary(ROOT, 'bun'), args, cwd: ROOT, env }
  }
  // The clients come from node_modules (test/servers/deno.ts); the store's permissions besides the example's.
  const args = [
    'run',
    ...servers.deno.flags,
    `--allow-read=${dir}`,
    '--allow-env=AAC_CONFIG_DIR,AAC_DEBUG,AAC_STORE,REDIS_DEBUG_MAINTENANCE,PGAPPNAME',
    '--allow-net=127.0.0.1',
    '--allow-sys=hostname',
    join(ROOT, 'examples/deno/get_workspace.ts'),
  ]
  return { label, command: runtimeBinary(ROOT, 'deno'), args, cwd: servers.deno.cwd, env }
}

/** Puts the workspace's expired pair in `storage`, as `aac creds move` would. */
async function seed(ws: Workspace, storage: TokenStorage & { close(): Promise<void> }): Promise<string> {
  const { access_token, refresh_token } = readPair(await ws.readCreds())
  await storage.write({ accessToken: access_token, refreshToken: refresh_token })
  await storage.close()
  return refresh_token
}

async function manyMachines(ws: Workspace, store: string): Promise<void> {
  const runtimes: RuntimeName[] = ['node', 'deno', 'bun']
  const machines = Object.fromEntries(
    MACHINES.map((host, m) => [
      host,
      Array.from({ length: PER_MACHINE }, (_, i) => {
        const runtime = runtimes[(i + m) % 3]!
        return example(runtime, ws.dir, store, `${host} ${runtime} #${i + 1}`)
      }),
    ]),
  )
  const reports = await runMachines(machines)
  expect(reports.map((report) => report.host).sort()).toEqual([...MACHINES])
  const results = reports.flatMap((report) => report.results)
  expect(results).toHaveLength(MACHINES.length * PER_MACHINE)
  const failed = results.filter((r) => r.code !== 0 || !r.stdout.includes('"id": 31429'))
  expect(
    failed.map((r) => `${r.label} exit ${r.code}: ${r.stderr.trim().slice(0, 400)}`),
    'runs that did not print the workspace',
  ).toEqual([])
  for (const runtime of ['node', 'deno', 'bun']) {
    expect(results.filter((r) => r.label.includes(` ${runtime} `))).toHaveLength(PER_MACHINE)
  }
  // One refresh between the 24 of them, no refresh token spent twice: the fake cloud revokes on reuse.
  expect(ws.cloud.stats()).toMatchObject({
    refreshes: 1,
    reuseDetected: 0,
    invalidGrants: 0,
    apiRequests: MACHINES.length * PER_MACHINE,
  })
}

/** The two stores, each on the chain `machines` of its server; `url` is what AAC_STORE gives before `#machines`. */
const STORES = [
  {
    name: 'Redis',
    url: () => servers.redis.url,
    open: () => redisStorage({ url: servers.redis.url, name: 'machines' }),
  },
  {
    name: 'PostgreSQL',
    url: () => servers.postgres.url,
    open: () => postgresStorage({ url: servers.postgres.url, name: 'machines' }),
  },
]

describe('many machines on one token chain', () => {
  for (const store of STORES) {
    it(`${store.name}: 3 machines × 8 programs (Node, Deno, Bun) on an expired chain: 24 of 24, one refresh`, {
      timeout: 180_000,
    }, async () => {
      const ws = await fakeWorkspace({ expired: true })
      try {
        const storage = store.open()
        const spent = await seed(ws, storage)
        await manyMachines(ws, `${store.url()}#machines`)
        const saved = await storage.read()
        await storage.close()
        expect(saved?.refreshToken).not.toBe(spent)
        expect(ws.cloud.isRefreshTokenValid(saved!.refreshToken)).toBe(true)
        // creds.json was left alone: every program used the store.
        expect(readPair(await ws.readCreds()).refresh_token).toBe(spent)
      } finally {
        await ws.close()
      }
    })
  }
})
