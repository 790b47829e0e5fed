import { describe, expect, it } from 'vitest'
import { AacError, ConfigError, formatError, isAacError } from '../src/index.ts'
import { JobError } from '../src/jobs.ts'
import { makeJwt } from './tokens.ts'

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
