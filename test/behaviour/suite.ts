// The behaviour suite every runtime runs: run-node.test.ts (vitest), run-deno.ts (deno test), run-bun.ts
// (bun test). Each entry only adapts its runner's `test` to the Harness.
import process from 'node:process'
import { clientBehaviour } from './client.ts'
import type { Harness } from './harness.ts'
import { storageBehaviour } from './storage.ts'
import { tokenManagerBehaviour } from './token-manager.ts'

export const FAKE_CLOUD_ENV = 'AAC_FAKE_CLOUD_URL'

export function behaviourSuite(t: Harness, cloudUrl: () => string = cloudUrlFromEnv): void {
  tokenManagerBehaviour(t)
  storageBehaviour(t)
  clientBehaviour(t, cloudUrl)
}

/** Where the Deno and Bun entries find the fake cloud that test/runtimes/behaviour.test.ts started. */
function cloudUrlFromEnv(): string {
  const url = process.env[FAKE_CLOUD_ENV]
  if (!url) {
    throw new Error(
      `${FAKE_CLOUD_ENV} is not set: start a fake cloud (npm run fake-cloud -- --port 8787) and set ` +
        `${FAKE_CLOUD_ENV}=http://127.0.0.1:8787, or run npx vitest run test/runtimes/behaviour.test.ts.`,
    )
  }
  return url
}
