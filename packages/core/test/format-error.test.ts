import { describe, expect, it } from 'vitest'
import { parseCreds } from '../src/config.ts'
import { JobError } from '../src/endpoints/jobs.ts'
import { AacError, ConfigError, formatError, isAacError } from '../src/index.ts'
import { makeJwt } from './tokens.ts'

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('formatError', () => {
  it('prints one line with the code and the message', () => {
    const error = new ConfigError('CONFIG_INVALID', 'creds.json', 'creds.json is empty: generate a pair.')
    expect(formatError(error)).toBe('error [CONFIG_INVALID]: creds.json is empty: generate a pair.')
  })

  it('adds a request id only when the message does not already quote it', () => {
    const withId = Object.assign(new AacError('SERVER_ERROR', 'The API failed.'), { requestId: 'req-1' })
    expect(formatError(withId)).toBe('error [SERVER_ERROR]: The API failed. (request id req-1)')
    const quoted = Object.assign(new AacError('SERVER_ERROR', 'The API failed (request id req-2).'), {
      requestId: 'req-2',
    })
    expect(formatError(quoted).match(/req-2/g)).toHaveLength(1)
  })

  it('redacts tokens from errors of other libraries', () => {
    const token = makeJwt()
    const line = formatError(new Error(`upstream said: Authorization: Bearer ${token}`))
    expect(line).not.toContain(token)
    expect(line).toMatch(/^error: upstream said/)
  })

  it("prints the library's own sentences as they are, placeholders and all", () => {
    const noAccess = errorOf(() => parseCreds(JSON.stringify({ refresh_token: 'rt-123456789' })))
    expect(noAccess.message).toMatch(/has no "access_token": generate a token pair/)
    expect(formatError(noAccess)).toBe(`error [CONFIG_INVALID]: ${noAccess.message}`)
    expect(formatError(noAccess)).toContain('{"access_token": "...", "refresh_token": "..."}')
    const errorBody = errorOf(() => parseCreds(JSON.stringify({ error: 'invalid_grant' })))
    expect(formatError(errorBody)).toBe(`error [CONFIG_INVALID]: ${errorBody.message}`)
  })

  it('still removes known tokens and JWTs from our own messages, and everything token-like from outside text', () => {
    const token = makeJwt()
    const own = new AacError('HTTP_ERROR', `saw ${token} and rt-opaque-1234 here`)
    expect(formatError(own, { secrets: ['rt-opaque-1234'] })).toBe(
      'error [HTTP_ERROR]: saw [REDACTED] and [REDACTED] here',
    )
    const cause = new Error('upstream: refresh_token=opaque123&x=1')
    const wrapped = new AacError('NETWORK_ERROR', 'The request failed.', { cause })
    const line = formatError(wrapped, { stack: true })
    expect(line).toContain('caused by: Error: upstream: refresh_token=[REDACTED]&x=1')
    expect(formatError(new Error('form refresh_token=opaque123'))).toBe(
      'error: form refresh_token=[REDACTED]',
    )
    expect(formatError('password=hunter2')).toBe('error: password=[REDACTED]')
  })

  it("removes a known token's signature quoted on its own", () => {
    const token = makeJwt()
    const signature = `${token.split('.')[2]}-more-signature-bytes`
    const withLongSignature = `${token.split('.').slice(0, 2).join('.')}.${signature}`
    const line = formatError(new Error(`bad signature ${signature}`), { secrets: [withLongSignature] })
    expect(line).toBe('error: bad signature [REDACTED]')
  })

  it('adds the stack trace only when asked', () => {
    const error = new AacError('TIMEOUT', 'Too slow.')
    expect(formatError(error)).not.toContain('\n')
    expect(formatError(error, { stack: true })).toMatch(/\n\s+at /)
  })
})

describe('isAacError', () => {
  it('recognises errors from another realm by name and code', () => {
    expect(isAacError({ name: 'JobError', code: 'JOB_FAILED', message: 'x' })).toBe(true)
    expect(isAacError({ name: 'TypeError', code: 'ERR_X', message: 'x' })).toBe(false)
    expect(isAacError(new JobError('JOB_FAILED', 'failed', { jobId: 1, status: 'Failed' }))).toBe(true)
  })
})
