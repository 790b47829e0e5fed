// What a test needs to build a client whose requests msw answers: the us1 region's URLs and an access token that
// never changes (no token manager, no refresh).
import type { AacConfig, AccessTokenSource } from '../src/types.ts'

/** us1's direct URL: the host the `/v4/…` requests go to. */
export const DIRECT = 'https://us1.alteryxcloud.com'

export const US1_CONFIG: AacConfig = {
  apiUrl: 'https://api.us1.alteryxcloud.com',
  directUrl: DIRECT,
  projectId: 'project-1',
  region: 'us1',
}

/** One access token for every request, renewed to itself. */
export const FIXED_TOKENS: AccessTokenSource = {
  getAccessToken: async () => 'access-token-for-tests',
  renewAccessToken: async () => 'access-token-for-tests',
}
