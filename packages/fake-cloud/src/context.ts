import type { FaultQueue } from './faults.ts'
import type { JobBook } from './jobs.ts'
import type { JwtSigner } from './jwt.ts'
import type { TokenService } from './tokens.ts'
import type { FakeCloudStats } from './types.ts'

/** The token endpoint's pathname on the issuer's listener: `${issuer}/token` with `issuer = ${url}/as`. */
export const TOKEN_PATH = '/as/token'

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
  /** The server's clock in epoch milliseconds: this machine's plus the clock offset. */
  now(): number
  /** Waits `ms`, or less if the fake stops meanwhile; resolves at once once it is stopping. */
  sleep(ms: number): Promise<void>
}
