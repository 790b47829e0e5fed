// Deno's sandbox refusals, found behind the library's own errors and turned into the flag to add. Unit level:
// test/runtimes/examples.test.ts checks the same messages from a real `deno run`.
import { describe, expect, it } from 'vitest'
import { ConfigError, formatError, StorageError } from '../../packages/core/src/index.ts'
import { isPermissionDenial, permissionDenial } from '../../packages/core/src/internal/permission-hint.ts'

/** An error shaped like the one Deno throws. */
function denied(message: string, name = 'NotCapable'): Error {
  const error = new Error(message)
  error.name = name
  return error
}

describe('permissionDenial', () => {
  it.each([
    ['read', '/home/me/aac/aac_url.txt', '--allow-read=/home/me/aac'],
    ['read', '/tmp/aac-test-x1Yz', '--allow-read=/tmp/aac-test-x1Yz'],
    ['write', '/home/me/aac/.creds.json.lock.1f2e.tmp', '--allow-write=/home/me/aac'],
    ['write', 'C:\\Users\\me\\aac\\creds.json', '--allow-write=C:\\Users\\me\\aac'],
    ['write', '/creds.json', '--allow-write=/'],
    ['net', 'api.us1.alteryxcloud.com:443', '--allow-net=api.us1.alteryxcloud.com'],
    ['net', '127.0.0.1:37181', '--allow-net=127.0.0.1'],
    ['env', 'AAC_CONFIG_DIR', '--allow-env=AAC_CONFIG_DIR'],
    ['sys', 'hostname', '--allow-sys=hostname'],
  ])('%s access to %s → %s', (kind, target, flag) => {
    const error = denied(`Requires ${kind} access to "${target}", run again with the --allow-${kind} flag`)
    expect(permissionDenial(error)).toEqual({ kind, target, flag })
  })

  it('names a permission without a target', () => {
    const error = denied('Requires run access, run again with the --allow-run flag')
    expect(permissionDenial(error)).toEqual({ kind: 'run', target: undefined, flag: '--allow-run' })
  })

  it('looks through the causes of the library’s own errors', () => {
    const cause = denied(
      'Requires write access to "/d/.creds.json.lock.9.tmp", run again with the --allow-write flag',
    )
    const error = new StorageError('STORAGE_ERROR', 'Could not create the lock file /d/creds.json.lock', {
      cause,
    })
    expect(permissionDenial(error)?.flag).toBe('--allow-write=/d')
    expect(formatError(error)).toBe(
      'error: Deno denied write access to "/d/.creds.json.lock.9.tmp": run again with --allow-write=/d added to the deno command.',
    )
  })

  it('takes Deno 1’s PermissionDenied, but not an operating system EACCES, for a sandbox refusal', () => {
    const deno1 = denied(
      'Requires read access to "/d/creds.json", run again with the --allow-read flag',
      'PermissionDenied',
    )
    expect(isPermissionDenial(deno1)).toBe(true)
    const os = denied("Permission denied (os error 13): open '/d/creds.json'", 'PermissionDenied')
    expect(isPermissionDenial(os)).toBe(false)
    expect(
      permissionDenial(new ConfigError('CONFIG_INVALID', '/d/creds.json', 'bad', { cause: os })),
    ).toBeUndefined()
  })

  it('leaves other errors to the usual format', () => {
    const error = new ConfigError('CONFIG_MISSING', '/d/aac_url.txt', '/d/aac_url.txt not found: create it.')
    expect(permissionDenial(error)).toBeUndefined()
    expect(formatError(error)).toBe('error [CONFIG_MISSING]: /d/aac_url.txt not found: create it.')
  })
})
