import type { FakeCloudStats } from './types.ts'

export function emptyStats(): FakeCloudStats {
  return {
    requests: 0,
    apiRequests: 0,
    tokenRequests: 0,
    refreshes: 0,
    invalidGrants: 0,
    reuseDetected: 0,
    unauthorized: 0,
    byRoute: {},
  }
}

/** A copy, so callers can keep a snapshot and compare it with a later one. */
export function snapshot(stats: FakeCloudStats): FakeCloudStats {
  return { ...stats, byRoute: { ...stats.byRoute } }
}
