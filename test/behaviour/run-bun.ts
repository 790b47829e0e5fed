// The behaviour suite under Bun. test/runtimes/behaviour.test.ts runs it with a fake cloud; by hand:
//
//   AAC_FAKE_CLOUD_URL=http://127.0.0.1:8787 npx bun test ./test/behaviour/run-bun.ts
import { behaviourSuite } from './suite.ts'

// Imported by a computed name: the root tsconfig checks this file with Node's types, which have no bun:test
// (and Bun's types there would leak Bun's globals into every other file).
const runner = 'bun:test'
const { test } = (await import(runner)) as { test(name: string, fn: () => Promise<void>): void }

behaviourSuite({ test: (name, fn) => test(name, fn) })
