// `aac creds status | move | import` against the fake cloud and a real Secret Service (GNOME Keyring on a private
// session bus, test/keyring.ts). This process connects to that bus; the failures that need another bus (none, a
// locked keyring) run aac in processes of their own, in creds-failures.test.ts.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { keychainAccount, keychainStorage } from '@aac/core/storage/keychain'
import { afterEach, describe, expect, it } from 'vitest'
import { useKeyring } from '../../../test/use-keyring.ts'
import {
  aacWithInput,
  asPair,
  expectExit,
  expectNoTokenIn,
  expectNoTokenUnder,
  movedNote,
  type Pair,
} from './creds-helpers.ts'
import { useCloud } from './helpers.ts'

const fake = useCloud()
const secrets = useKeyring('aac-creds-state-')

/** Every entry a test may have written: the config's default one and the named ones. */
const accounts = new Set<string>()
afterEach(async () => {
  for (const account of accounts)
    await keychainStorage({ account, stateDir: secrets.state })
      .remove()
      .catch(() => undefined)
  accounts.clear()
})

/** The default entry of the fake cloud's config, removed after the test. */
function defaultAccount(): string {
  const account = keychainAccount({ apiUrl: fake.cloud.url, projectId: fake.cloud.projectId })
  accounts.add(account)
  return account
}

/** The entry as another program sees it (secret-tool), or undefined. */
async function entry(account: string): Promise<Record<string, unknown> | undefined> {
  const text = await secrets.keyring
    .secretTool(['lookup', 'service', 'aac', 'username', account])
    .catch(() => '')
  return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>)
}

async function setup(opts: { expired?: boolean } = {}): Promise<{ dir: string; pair: Pair }> {
  const dir = await fake.tempDir()
  const pair = asPair(await fake.cloud.writeConfig(dir, opts))
  return { dir, pair }
}

const envFor = (dir: string, extra: Record<string, string | undefined> = {}) => ({
  AAC_CONFIG_DIR: dir,
  XDG_STATE_HOME: secrets.state,
  ...extra,
})

function creds(
  dir: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string | Uint8Array | Error } = {},
) {
  return aacWithInput(['creds', ...args], { env: envFor(dir, options.env), input: options.input })
}

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>

describe('aac creds status', () => {
  it('on creds.json: where, why, expiry and last rotation from the claims; --json for scripts; no token', async () => {
    const { dir, pair } = await setup()
    const text = await creds(dir, ['status'])
    expectExit(text, 0)
    expect(text.stderr).toBe('')
    expect(text.stdout).toContain(`store      ${join(dir, 'creds.json')}`)
    expect(text.stdout).toMatch(
      /setting +file \(the default: neither AAC_STORE nor store\.txt says otherwise\)/,
    )
    expect(text.stdout).toMatch(/access +valid for \d+ min( \d+ s)? \(until /)
    expect(text.stdout).toMatch(/rotated +\S+Z \(\d+ (ms|s) ago; when its access token was issued/)
    expect(text.stdout).toMatch(/refresh +no interrupted refresh on record/)
    expectNoTokenIn(text, pair)

    const json = await creds(dir, ['status', '--json'])
    expectExit(json, 0)
    const report = JSON.parse(json.stdout)
    expect(report).toMatchObject({
      store: { setting: 'file', source: 'default', source_file: null, location: join(dir, 'creds.json') },
      pair: {
        access_token: { expired: false, issuer: `${fake.cloud.url}/as` },
        last_rotated: { known_from: 'access token iat' },
        interrupted_refresh: null,
      },
      problem: null,
    })
    expect(report.pair.access_token.expires_in_seconds).toBeGreaterThan(250)
    expectNoTokenIn(json, pair)
  })

  it('an expired token and an interrupted refresh on record: both said, the record matched to this pair', async () => {
    const { dir, pair } = await setup({ expired: true })
    const { createHash } = await import('node:crypto')
    const tokenId = createHash('sha256').update(pair.refresh_token).digest('hex').slice(0, 16)
    const record = {
      at: '2026-01-02T03:04:05.000Z',
      program: 'get_workspace.ts',
      pid: 4242,
      host: 'box',
      state: 'sent',
      token_id: tokenId,
    }
    await writeFile(
      join(dir, 'creds.json'),
      JSON.stringify({ ...pair, aac: { clock_offset_ms: -5000, refresh: record } }),
    )
    const text = await creds(dir, ['status'])
    expectExit(text, 0)
    expect(text.stdout).toMatch(/access +expired \d+ \w+/)
    expect(text.stdout).toContain(
      'interrupted: sent at 2026-01-02T03:04:05.000Z by get_workspace.ts (pid 4242 on box), sent; its refresh token may have been spent',
    )
    expect(text.stdout).toMatch(/clock +this machine is 5 s ahead of the token server/)
    const report = JSON.parse((await creds(dir, ['status', '--json'])).stdout)
    expect(report.pair.interrupted_refresh).toEqual({
      at: record.at,
      program: record.program,
      pid: 4242,
      host: 'box',
      state: 'sent',
      about_this_pair: true,
    })
    expect(report.pair.clock_offset_ms).toBe(-5000)
    expectNoTokenIn(text, pair)
  })

  it('placeholders, and the note a move leaves: the store part printed, the problem on stderr, exit 3', async () => {
    const { dir } = await setup()
    await writeFile(join(dir, 'creds.json'), JSON.stringify(movedNote('keychain'), null, 2))
    const result = await creds(dir, ['status', '--json'])
    expectExit(result, 3)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({ pair: null, problem: { code: 'CONFIG_INVALID' } })
    expect(report.problem.message).toContain('it was moved to keychain (aac creds move)')
    expect(result.stderr).toMatch(/error \[CONFIG_INVALID\]: .*it was moved to keychain .*AAC_STORE=keychain/)
  })

  it('a keychain store with no entry: exit 3 naming the entry and the two commands that fill it', async () => {
    const { dir } = await setup()
    const account = defaultAccount()
    const result = await creds(dir, ['status'], { env: { AAC_STORE: 'keychain' } })
    expectExit(result, 3)
    expect(result.stdout).toContain(`store      keychain entry "aac" › "${account}"`)
    expect(result.stdout).toMatch(/setting +keychain \(from AAC_STORE\)/)
    expect(result.stderr).toContain('holds no token pair: store one with aac creds move --to keychain')
  })

  it('an unknown store setting in store.txt: exit 3 naming the file and what is accepted', async () => {
    const { dir } = await setup()
    await writeFile(join(dir, 'store.txt'), 'vault\n')
    const result = await creds(dir, ['status'])
    expectExit(result, 3)
    expect(result.stderr).toMatch(/store\.txt says "vault", but it names no token store: put file .*keychain/)
  })
})

describe('aac creds move', () => {
  it('--to keychain: the pair in the entry, creds.json left with the placeholders and the note, store.txt written', async () => {
    const { dir, pair } = await setup()
    const account = defaultAccount()
    await writeFile(
      join(dir, 'creds.json'),
      `${JSON.stringify({ ...pair, note: 'mine', aac: { clock_offset_ms: 1200 } }, null, 2)}\n`,
    )
    const result = await creds(dir, ['move', '--to', 'keychain'])
    expectExit(result, 0)
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe(
      [
        `Moved the token pair from ${join(dir, 'creds.json')} to keychain entry "aac" › "${account}" (read back and verified).`,
        `${join(dir, 'creds.json')} now holds the placeholders and a note that the pair is in keychain.`,
        `${join(dir, 'store.txt')} now says keychain: aac, the examples and the browser page's dev server read the pair there.`,
        '',
      ].join('\n'),
    )
    expect(await entry(account)).toEqual({ ...pair, aac: { clock_offset_ms: 1200 } })
    expect(await readJson(join(dir, 'creds.json'))).toEqual(movedNote('keychain', { note: 'mine' }))
    expect(await readFile(join(dir, 'store.txt'), 'utf8')).toMatch(/^# .*\nkeychain\n$/)
    await expectNoTokenUnder(dir, pair)
    await expectNoTokenUnder(secrets.state, pair)
    expectNoTokenIn(result, pair)

    const status = JSON.parse((await creds(dir, ['status', '--json'])).stdout)
    expect(status).toMatchObject({
      store: { setting: 'keychain', source: 'store.txt', source_file: join(dir, 'store.txt') },
      pair: { clock_offset_ms: 1200, access_token: { expired: false } },
    })
    expect(status.store.location).toBe(`keychain entry "aac" › "${account}"`)
  })

  it('--to file: back into creds.json (the note gone, other keys kept), the entry deleted, store.txt deleted', async () => {
    const { dir, pair } = await setup()
    const account = defaultAccount()
    expectExit(await creds(dir, ['move', '--to', 'keychain']), 0)
    const back = await creds(dir, ['move', '--to', 'file'])
    expectExit(back, 0)
    expect(back.stdout).toBe(
      [
        `Moved the token pair from keychain entry "aac" › "${account}" to ${join(dir, 'creds.json')} (read back and verified).`,
        `keychain entry "aac" › "${account}" was deleted.`,
        `${join(dir, 'store.txt')} was deleted: every program reads creds.json, the default.`,
        '',
      ].join('\n'),
    )
    expect(await readJson(join(dir, 'creds.json'))).toEqual(pair)
    expect(await entry(account)).toBeUndefined()
    await expect(readFile(join(dir, 'store.txt'))).rejects.toMatchObject({ code: 'ENOENT' })
    expectNoTokenIn(back, pair)
  })

  it('keychain:<name> both ways, with an interrupted-refresh record carried along', async () => {
    const { dir, pair } = await setup()
    accounts.add('work')
    const record = {
      at: '2026-01-02T03:04:05.000Z',
      program: 'aac',
      state: 'uncertain',
      detail: 'HTTP 502',
      token_id: '0123456789abcdef',
    }
    await writeFile(join(dir, 'creds.json'), JSON.stringify({ ...pair, aac: { refresh: record } }))
    expectExit(await creds(dir, ['move', '--to', 'keychain:work']), 0)
    expect(await entry('work')).toEqual({ ...pair, aac: { refresh: record } })
    expect(await readFile(join(dir, 'store.txt'), 'utf8')).toMatch(/\nkeychain:work\n$/)
    expectExit(await creds(dir, ['move', '--to', 'file']), 0)
    expect(await readJson(join(dir, 'creds.json'))).toEqual({ ...pair, aac: { refresh: record } })
    expect(await entry('work')).toBeUndefined()
  })

  it('with AAC_STORE set: store.txt left alone, and a warning saying what to set', async () => {
    const { dir, pair } = await setup()
    const account = defaultAccount()
    const result = await creds(dir, ['move', '--to', 'keychain'], { env: { AAC_STORE: 'file' } })
    expectExit(result, 0)
    expect(await entry(account)).toEqual(pair)
    await expect(readFile(join(dir, 'store.txt'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(result.stderr).toContain(
      'warning: AAC_STORE is set to file, which wins over store.txt, so it was left to you: set AAC_STORE=keychain wherever you set it',
    )
    // The examples, with the setting still on creds.json, get the note instead of a placeholder message.
    const stale = await aacWithInput(['token'], { env: envFor(dir, { AAC_STORE: 'file' }) })
    expectExit(stale, 3)
    expect(stale.stderr).toContain('it was moved to keychain (aac creds move)')
    const fixed = await aacWithInput(['token'], { env: envFor(dir, { AAC_STORE: 'keychain' }) })
    expectExit(fixed, 0)
    expect(fixed.stdout).toBe(`${pair.access_token}\n`)
  })

  it('store.txt written by hand first: the message says to move, and move takes the pair from creds.json', async () => {
    const { dir, pair } = await setup()
    const account = defaultAccount()
    await writeFile(join(dir, 'store.txt'), 'keychain\n')
    const before = await aacWithInput(['token'], { env: envFor(dir) })
    expectExit(before, 3)
    expect(before.stderr).toContain('store one with `aac creds move --to keychain` (from creds.json)')
    const moved = await creds(dir, ['move', '--to', 'keychain'])
    expectExit(moved, 0)
    expect(moved.stdout).toContain(`from ${join(dir, 'creds.json')} to keychain entry "aac" › "${account}"`)
    expect(await entry(account)).toEqual(pair)
    const again = await creds(dir, ['move', '--to', 'keychain'])
    expectExit(again, 0)
    expect(again.stdout).toMatch(/The pair is already in keychain entry .*: nothing to move\./)
    const token = await aacWithInput(['token'], { env: envFor(dir) })
    expectExit(token, 0)
  })

  it('creds.json that is not JSON: exit 3, nothing moved, the file left exactly as it is (not moved aside)', async () => {
    const { dir } = await setup()
    defaultAccount()
    const broken = '{"access_token": "eyJ'
    await writeFile(join(dir, 'creds.json'), broken)
    const result = await creds(dir, ['move', '--to', 'keychain'])
    expectExit(result, 3)
    expect(result.stderr).toContain('creds.json is not valid JSON')
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(broken)
    expect((await import('node:fs/promises').then((fs) => fs.readdir(dir))).sort()).toEqual([
      'aac_url.txt',
      'client_id.txt',
      'creds.json',
    ])
  })

  it('nothing to move: the pair already there, or no pair at the source', async () => {
    const { dir } = await setup()
    const same = await creds(dir, ['move', '--to', 'file'])
    expectExit(same, 0)
    expect(same.stdout).toMatch(
      /The pair is already in .*creds\.json \(file \(the default.*\)\): nothing to move\./,
    )
    defaultAccount()
    const empty = await creds(dir, ['move', '--from', 'keychain', '--to', 'file'])
    expectExit(empty, 3)
    expect(empty.stderr).toMatch(/keychain entry "aac" › ".*" holds no token pair .*nothing to move/)
  })

  it('a target holding another pair: refused (exit 1), nothing changed; --force replaces it', async () => {
    const { dir, pair } = await setup()
    const account = defaultAccount()
    const other = asPair(fake.cloud.issueTokens())
    await secrets.keyring.secretTool(
      ['store', '--label', 'aac', 'service', 'aac', 'username', account],
      JSON.stringify(other),
    )
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    const refused = await creds(dir, ['move', '--to', 'keychain'])
    expectExit(refused, 1)
    expect(refused.stderr).toMatch(
      /already holds another token pair \(its access token valid for .* by http:\/\/127\.0\.0\.1:\d+\/as\)\. Replacing it would throw it away.*pass --force/,
    )
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
    expect(await entry(account)).toEqual(other)
    expectNoTokenIn(refused, pair, other)
    expectExit(await creds(dir, ['move', '--to', 'keychain', '--force']), 0)
    expect(await entry(account)).toEqual(pair)
  })

  it('an entry that is not a pair: status says so (exit 6); move refuses it (exit 1) unless --force', async () => {
    const { dir, pair } = await setup()
    const account = defaultAccount()
    const secret = 'not-a-pair-but-a-Secret-0123456789abcdef'
    await secrets.keyring.secretTool(
      ['store', '--label', 'aac', 'service', 'aac', 'username', account],
      secret,
    )
    const status = await creds(dir, ['status'], { env: { AAC_STORE: 'keychain' } })
    expectExit(status, 6)
    expect(status.stderr).toContain(`keychain entry "aac" › "${account}" is not valid JSON`)
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    const refused = await creds(dir, ['move', '--to', 'keychain'])
    expectExit(refused, 1)
    expect(refused.stderr).toContain(
      `keychain entry "aac" › "${account}" holds something that is not a token pair`,
    )
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
    for (const result of [status, refused]) expect(result.stderr).not.toContain('Secret-0123456789')
    expectExit(await creds(dir, ['move', '--to', 'keychain', '--force']), 0)
    expect(await entry(account)).toEqual(pair)
  })

  it('a target write that fails (creds.json hard-linked): the keychain keeps the pair, creds.json unchanged', async () => {
    const { dir, pair } = await setup()
    const account = defaultAccount()
    expectExit(await creds(dir, ['move', '--to', 'keychain']), 0)
    const { link } = await import('node:fs/promises')
    await link(join(dir, 'creds.json'), join(dir, 'second-name.json'))
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    const result = await creds(dir, ['move', '--to', 'file'])
    expectExit(result, 6)
    expect(result.stderr).toMatch(/Refusing to write the tokens to .*creds\.json.*hard link/is)
    expect(await entry(account)).toEqual(pair)
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
    expect(await readFile(join(dir, 'store.txt'), 'utf8')).toMatch(/\nkeychain\n$/)
  })

  it('a failure after the copy (store.txt cannot be written): the entry removed again, creds.json byte-identical', async () => {
    const { dir, pair } = await setup()
    const account = defaultAccount()
    const { symlink } = await import('node:fs/promises')
    // A link into a folder that does not exist: read as "no store.txt", but writing through it fails.
    await symlink(join(dir, 'missing', 'store.txt'), join(dir, 'store.txt'))
    const before = await readFile(join(dir, 'creds.json'))
    const result = await creds(dir, ['move', '--to', 'keychain'])
    expectExit(result, 6)
    expect(result.stderr).toMatch(
      /Could not write .*store\.txt .*Undone: what was written to keychain entry .* was deleted\./,
    )
    expect(await entry(account)).toBeUndefined()
    expect((await readFile(join(dir, 'creds.json'))).equals(before)).toBe(true)
    expectNoTokenIn(result, pair)
  })

  it('an unknown --to: exit 2 listing what is accepted; a token as --to: exit 2, never shown', async () => {
    const { dir, pair } = await setup()
    const unknown = await creds(dir, ['move', '--to', 'vault'])
    expectExit(unknown, 2)
    expect(unknown.stderr).toMatch(
      /--to "vault" names no token store: pass one of file \(creds\.json, the default\); keychain or keychain:<name>/,
    )
    const token = await creds(dir, ['move', '--to', pair.access_token])
    expectExit(token, 2)
    expect(token.stderr).toContain(
      'The value of --to looks like a token, and aac never takes a token from the command line',
    )
    expectNoTokenIn(token, pair)
  })
})

describe('aac creds import', () => {
  it('from stdin, as JSON or two lines, into the keychain store.txt names: checked, stored, read back', async () => {
    const { dir } = await setup()
    const account = defaultAccount()
    await writeFile(join(dir, 'store.txt'), 'keychain\n')
    const fresh = asPair(fake.cloud.issueTokens())
    const json = await creds(dir, ['import'], { input: JSON.stringify(fresh) })
    expectExit(json, 0)
    expect(json.stdout).toMatch(
      new RegExp(
        `^Stored the token pair from stdin in keychain entry "aac" › "${account.replace('.', '\\.')}" \\(read back and verified\\): its access token valid for`,
      ),
    )
    expect(json.stderr).toBe('')
    expect(await entry(account)).toEqual(fresh)
    expectNoTokenIn(json, fresh)

    const again = await creds(dir, ['import'], { input: JSON.stringify(fresh) })
    expectExit(again, 0)
    expect(again.stdout).toContain('already holds this pair: nothing to do')

    const next = asPair(fake.cloud.issueTokens())
    const lines = await creds(dir, ['import', '--force'], {
      input: `\uFEFF${next.access_token}\r\n${next.refresh_token}\r\n`,
    })
    expectExit(lines, 0)
    expect(await entry(account)).toEqual(next)
    // The stored pair works: aac token from the keychain, no refresh needed.
    const token = await aacWithInput(['token'], { env: envFor(dir) })
    expectExit(token, 0)
    expect(token.stdout).toBe(`${next.access_token}\n`)
  })

  it('from the environment: the default names, or others; into --to, with a note when the setting is elsewhere', async () => {
    const { dir, pair } = await setup()
    const account = defaultAccount()
    const fresh = asPair(fake.cloud.issueTokens())
    const result = await creds(dir, ['import', '--from-env', '--to', 'keychain'], {
      env: { AAC_ACCESS_TOKEN: fresh.access_token, AAC_REFRESH_TOKEN: fresh.refresh_token },
    })
    expectExit(result, 0)
    expect(result.stdout).toContain(
      'from the environment variables AAC_ACCESS_TOKEN and AAC_REFRESH_TOKEN in keychain entry',
    )
    expect(result.stderr).toMatch(
      /warning: The setting in force is file \(the default.*\), not keychain: programs keep reading the pair from there/,
    )
    expect(await entry(account)).toEqual(fresh)
    expect(await readJson(join(dir, 'creds.json'))).toEqual(pair)

    accounts.add('ci')
    const named = asPair(fake.cloud.issueTokens())
    const custom = await creds(
      dir,
      ['import', '--access-token-env', 'CI_AT', '--refresh-token-env', 'CI_RT', '--to', 'keychain:ci'],
      { env: { CI_AT: named.access_token, CI_RT: named.refresh_token } },
    )
    expectExit(custom, 0)
    expect(await entry('ci')).toEqual(named)
    expectNoTokenIn(result, fresh)
    expectNoTokenIn(custom, named)

    const unset = await creds(dir, ['import', '--from-env'])
    expectExit(unset, 2)
    expect(unset.stderr).toContain('AAC_ACCESS_TOKEN and AAC_REFRESH_TOKEN are not set (or empty)')
  })

  it('into creds.json: refuses to replace a pair that may still work, unless --force', async () => {
    const { dir, pair } = await setup()
    const fresh = asPair(fake.cloud.issueTokens())
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    const refused = await creds(dir, ['import'], { input: JSON.stringify(fresh) })
    expectExit(refused, 1)
    expect(refused.stderr).toContain(`${join(dir, 'creds.json')} already holds another token pair`)
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
    expectNoTokenIn(refused, pair, fresh)
    const forced = await creds(dir, ['import', '--force'], { input: JSON.stringify(fresh) })
    expectExit(forced, 0)
    expect(await readJson(join(dir, 'creds.json'))).toEqual(fresh)
  })

  it('into creds.json holding the placeholders (or the note): no --force needed', async () => {
    const { dir } = await setup()
    await writeFile(join(dir, 'creds.json'), JSON.stringify(movedNote('keychain')))
    const fresh = asPair(fake.cloud.issueTokens())
    expectExit(await creds(dir, ['import'], { input: JSON.stringify(fresh) }), 0)
    expect(await readJson(join(dir, 'creds.json'))).toEqual(fresh)
  })

  it('a bad pair is refused before any store is touched: placeholders, not a JWT, another region, no input', async () => {
    const { dir, pair } = await setup()
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    const placeholders = await creds(dir, ['import', '--force'], {
      input: '{"access_token": "Your access token here", "refresh_token": "Your refresh token here"}',
    })
    expectExit(placeholders, 3)
    expect(placeholders.stderr).toContain('stdin still holds the placeholder tokens')
    const notJwt = await creds(dir, ['import', '--force'], { input: 'abc\ndef\n' })
    expectExit(notJwt, 3)
    expect(notJwt.stderr).toContain('The access_token in stdin is not a JWT')
    const three = await creds(dir, ['import'], { input: 'a\nb\nc\n' })
    expectExit(three, 3)
    expect(three.stderr).toContain('stdin holds 3 non-empty lines')
    const empty = await creds(dir, ['import'], { input: '' })
    expectExit(empty, 2)
    expect(empty.stderr).toContain('Nothing came on stdin')
    const unreadable = await creds(dir, ['import'], {
      input: Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' }),
    })
    expectExit(unreadable, 2)
    expect(unreadable.stderr).toContain(
      'Could not read stdin (EISDIR): pipe the pair in (aac creds import < pair.json), or use --from-env.',
    )
    const binary = await creds(dir, ['import'], { input: new Uint8Array([0xff, 0xfe, 0x00, 0x7b]) })
    expectExit(binary, 2)
    expect(binary.stderr).toContain('stdin is not UTF-8 text')
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
    expectNoTokenIn(notJwt, pair)
  })

  it('a pair issued for another region than aac_url.txt names: refused, naming both', async () => {
    const dir = await fake.tempDir()
    await writeFile(join(dir, 'aac_url.txt'), 'https://api.us1.alteryxcloud.com\n')
    await writeFile(join(dir, 'client_id.txt'), 'project-1\n')
    const { base64UrlEncode } = await import('../../core/src/jwt.ts')
    const now = Math.floor(Date.now() / 1000)
    const payload = {
      iss: 'https://pingauth-eu1.alteryxcloud.com/as',
      client_id: 'c',
      iat: now,
      exp: now + 300,
    }
    const access = `eyJhbGciOiJSUzI1NiJ9.${base64UrlEncode(JSON.stringify(payload))}.c2ln`
    const result = await creds(dir, ['import'], { input: `${access}\nrefresh-0123456789\n` })
    expectExit(result, 3)
    expect(result.stderr).toContain(
      'was issued for region eu1 (pingauth-eu1.alteryxcloud.com), but aac_url.txt points at https://api.us1.alteryxcloud.com (region us1)',
    )
    await expect(readFile(join(dir, 'creds.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a token passed as an argument, however it is passed: refused with why, never shown, nothing stored', async () => {
    const { dir, pair } = await setup()
    const before = await readFile(join(dir, 'creds.json'), 'utf8')
    for (const args of [
      ['import', pair.access_token],
      ['import', `--access-token=${pair.access_token}`],
      ['import', '--refresh-token', 'short'],
      ['import', '--access-token-env', pair.refresh_token],
      ['status', pair.refresh_token],
      [pair.refresh_token],
    ]) {
      const result = await creds(dir, args)
      expectExit(result, 2)
      expect(result.stderr).toMatch(
        /looks like a token, and aac never takes a token from the command line: every user of this machine can read a program's arguments/,
      )
      expect(result.stderr).not.toContain('short')
      expectNoTokenIn(result, pair)
    }
    const other = await creds(dir, ['import', '--bogus=value'])
    expectExit(other, 2)
    expect(other.stderr).toContain('aac creds import has no option --bogus: see aac creds import --help.')
    expect(other.stderr).not.toContain('value')
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe(before)
  })
})
