// The behaviour suite under Deno. test/runtimes/behaviour.test.ts runs it with a fake cloud; by hand:
//
//   AAC_FAKE_CLOUD_URL=http://127.0.0.1:8787 npx deno test --no-prompt --config test/behaviour/deno.json \
//     --allow-env --allow-net=127.0.0.1 --allow-read --allow-write test/behaviour/run-deno.ts
import { behaviourSuite } from './suite.ts'

// Reached through globalThis: the root tsconfig checks this file with Node's types, which have no Deno.
const { Deno } = globalThis as unknown as {
  Deno: { test(name: string, fn: () => Promise<void>): void }
}

behaviourSuite({ test: (name, fn) => Deno.test(name, fn) })
