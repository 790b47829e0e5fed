// Where the browser example's dev server forwards the page's requests (examples/browser/server/forward.ts).
import { describe, expect, it } from 'vitest'
import { type Allowed, classify } from '../../examples/browser/server/forward.ts'

describe('browser example dev server: where the proxy sends token requests', () => {
  const config = {
    apiUrl: 'https://api.us1.alteryxcloud.com',
    directUrl: 'https://us1.alteryxcloud.com',
    projectId: 'p',
    region: 'us1',
  }
  const real: Allowed = { config, issuer: 'https://pingauth.alteryxcloud.com/as', trustedTokenHosts: [] }
  const fake: Allowed = { config, issuer: 'http://127.0.0.1:4000/as', trustedTokenHosts: [] }
  const to = (href: string, method = 'POST', allowed = real) => classify(new URL(href), method, allowed)

  it("the issuer's token endpoint, exactly", () => {
    expect(to('https://pingauth.alteryxcloud.com/as/token')).toBe('token')
    expect(to('http://127.0.0.1:4000/as/token', 'POST', fake)).toBe('token')
    expect(to('https://pingauth.alteryxcloud.com/as/token', 'GET')).toBeUndefined()
    expect(to('https://pingauth.alteryxcloud.com/as/token?x=1')).toBeUndefined()
    expect(to('https://pingauth.alteryxcloud.com/other/token')).toBeUndefined()
    expect(to('https://evil.alteryxcloud.com/as/token')).toBeUndefined()
    expect(to('https://us1.alteryxcloud.com.evil.example/as/token')).toBeUndefined()
    expect(to('http://127.0.0.1:4001/as/token', 'POST', fake)).toBeUndefined()
    // Alteryx's issuers, for standalone pages when creds.json names none (placeholders).
    const none: Allowed = { ...real, issuer: undefined }
    expect(to('https://pingauth-eu1.alteryxcloud.com/as/token', 'POST', none)).toBe('token')
    expect(to('http://pingauth.alteryxcloud.com/as/token', 'POST', none)).toBeUndefined()
  })

  it('the configured hosts, any method and path', () => {
    expect(to('https://api.us1.alteryxcloud.com/iam/v1/workspaces/current', 'GET')).toBe('api')
    expect(to('https://us1.alteryxcloud.com/v4/jobGroups', 'POST')).toBe('api')
    expect(to('https://eu1.alteryxcloud.com/v4/people', 'GET')).toBeUndefined()
  })
})
