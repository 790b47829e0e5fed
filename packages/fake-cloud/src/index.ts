export { startFakeCloud } from './server.ts'
export type { FakeCloud, FakeCloudOptions, FakeCloudStats, Fault, TokenPair } from './types.ts'
