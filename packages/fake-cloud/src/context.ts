import type { FaultQueue } from './faults.ts'
import type { JobBook } from './jobs.ts'
import type { JwtSigner } from './jwt.ts'
import type { TokenService } from './tokens.ts'
import type { FakeCloudStats } from './types.ts'

/** The state one fake's request handlers share. */
export interface ServerContext {
  readonly signer: JwtSigner
  readonly tokens: TokenService
  readonly faults: FaultQueue
  readonly jobs: JobBook
  readonly projectId: string
  readonly oauthClientId: string
  readonly people: number
  stats: FakeCloudStats
}
