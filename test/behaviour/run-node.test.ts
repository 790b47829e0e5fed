// The behaviour suite under Node (vitest), against a fake cloud in this process.
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'
import { afterAll, beforeAll, it } from 'vitest'
import { behaviourSuite } from './suite.ts'

let cloud: FakeCloud
beforeAll(async () => {
  cloud = await startFakeCloud()
})
afterAll(() => cloud?.stop())

behaviourSuite({ test: (name, fn) => it(name, fn) }, () => cloud.url)
