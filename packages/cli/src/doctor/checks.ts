/**
 * The doctor's checks, in the order a setup is built: folder, the files, the token store in force and its pair,
 * the token's claims and issuer, the lock, the network, the clock, then real API calls. Each failure says what to
 * do, in the core's words wherever the core has them. Each check reads what the ones before it found (check.ts)
 * and is a few lines of its own module: files.ts, store.ts, copies.ts, claims.ts, lock.ts (store-lock.ts),
 * network.ts, refresh.ts, calls.ts.
 */

import { join } from 'node:path'
import { CREDS_FILE } from '@aac/core/fs'
import { closeStore } from '../creds/context.ts'
import type { CliIo } from '../io.ts'
import { apiCalls } from './calls.ts'
import type { Check, DoctorOptions, DoctorSession, Findings } from './check.ts'
import { accessToken, region, tokenEndpoint } from './claims.ts'
import { secondCopy } from './copies.ts'
import { credsFile, findFolder, projectIdFile, urlFile } from './files.ts'
import { credsInGit } from './git.ts'
import { lockFile } from './lock.ts'
import {
  apiHostReachable,
  apiProjectId,
  clock,
  directHostReachable,
  tokenEndpointReachable,
} from './network.ts'
import { proxy } from './proxy.ts'
import { refreshToken } from './refresh.ts'
import type { Step } from './steps.ts'
import { storedPair, storeSetting } from './store.ts'

/** Every check after the config folder, in the order the checklist shows them. */
const CHECKS: readonly Check[] = [
  urlFile,
  projectIdFile,
  storeSetting,
  credsFile,
  storedPair,
  secondCopy,
  credsInGit,
  accessToken,
  region,
  tokenEndpoint,
  lockFile,
  proxy,
  tokenEndpointReachable,
  apiHostReachable,
  apiProjectId,
  directHostReachable,
  clock,
  refreshToken,
  apiCalls,
]

/**
 * Runs every check, handing each step to `report` as soon as it is known, and resolves to all of them.
 *
 * @example
 * const steps = await runChecks(io, { offline: true }, (step) => console.log(step.name, step.status))
 */
export async function runChecks(
  io: CliIo,
  options: DoctorOptions,
  report: (step: Step) => void,
): Promise<Step[]> {
  const steps: Step[] = []
  const add = (step: Step) => {
    steps.push(step)
    report(step)
  }
  const folder = await findFolder(io)
  add(folder.step)
  if (folder.dir === undefined) return steps
  const found: Findings = {}
  const session: DoctorSession = {
    io,
    refresh: options.refresh === true,
    offline: options.offline === true,
    timeoutMs: options.timeoutMs ?? 10_000,
    dir: folder.dir,
    credsPath: join(folder.dir, CREDS_FILE),
    found,
  }
  try {
    for (const check of CHECKS) {
      const outcome = await check(session)
      for (const step of outcome.steps) add(step)
      Object.assign(found, outcome.found)
    }
  } finally {
    // A Redis or PostgreSQL store keeps connections until the API calls, which may renew through it, are done.
    await closeStore(found.store?.storage)
  }
  return steps
}
