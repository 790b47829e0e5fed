// The token-pair codec (src/storage/pair-codec.ts): one reading of a stored pair for every path. The same bad
// creds.json is the same error through loadConfig / loadCreds and through fileStorage().read(), in or out of
// the lock; what only one path does (moving unparsable JSON aside, checking the access token's claims) is
// asserted below the table.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AacError, ConfigError, StorageError } from '../src/errors.ts'
import { fileStorage, loadConfig, loadCreds } from '../src/fs.ts'
import {
  decodePair,
  decodePairText,
  encodePair,
  encodePairText,
  isPlaceholder,
  writablePair,
} from '../src/storage/pair-codec.ts'
import { createTokenManager } from '../src/token-manager.ts'
import { makeJwt } from './tokens.ts'

const jwt = makeJwt({ iss: 'https://pingauth-eu1.alteryxcloud.com/as' })
const json = (value: unknown) => JSON.stringify(value)

/** Files that can never work, each with what its message must say. None may quote a token. */
const BAD_FILES: Array<[name: string, text: string, message: RegExp]> = [
  ['an empty file', '', /creds\.json is empty: generate a token pair at https:\/\/eu1\./],
  ['only a BOM and line breaks', '\uFEFF \r\n\r\n', /creds\.json is empty/],
  ['a JSON array', json([jwt, 'rt-SECRET']), /does not hold a JSON object/],
  ['a JSON string', json('rt-SECRET'), /does not hold a JSON object/],
  ['JSON null', 'null', /does not hold a JSON object/],
  [
    "the token endpoint's error answer",
    json({ error: 'invalid_grant', error_description: 'Refresh token rt-SECRET was revoked' }),
    /holds a token endpoint's error answer \("error": "invalid_grant"\) instead of a token pair/,
  ],
  [
    'an error answer with a code of its own',
    json({ error: 'rt-SECRET' }),
    /holds a token endpoint's error answer instead of a token pair/,
  ],
  [
    'the shipped placeholders',
    json({ access_token: 'Your access token here', refresh_token: 'Your refresh token here' }),
    /still holds the placeholder tokens: generate a token pair at .*OAuth 2\.0 API Tokens/,
  ],
  [
    'one placeholder beside a real token',
    json({ access_token: jwt, refresh_token: 'Your refresh token here' }),
    /still holds the placeholder tokens/,
  ],
  ['no access token', json({ refresh_token: 'rt-SECRET' }), /creds\.json has no "access_token": generate/],
  ['no refresh token', json({ access_token: jwt }), /creds\.json has no "refresh_token": generate/],
  [
    'two empty tokens',
    json({ access_token: '', refresh_token: ' ', note: 'SECRET' }),
    /has no "access_token" string \(only an empty "access_token"\) and no "refresh_token" string/,
  ],
  [
    'tokens that are not strings',
    json({ access_token: 42, refresh_token: null }),
    /has no "access_token" string \(it holds a number\) and no "refresh_token" string \(it holds null\)/,
  ],
  [
    'a zero-width space in the access token',
    json({ access_token: `${jwt}\u200b`, refresh_token: 'rt-SECRET' }),
    /^The access_token in .*creds\.json holds a zero-width space \(U\+200B\) at character \d+ of \d+/,
  ],
  [
    'a no-break space in the refresh token',
    json({ access_token: jwt, refresh_token: 'rt-SECR\u00a0ET' }),
    /^The refresh_token in .*creds\.json holds a no-break space \(U\+00A0\) at character 8 of 10/,
  ],
]

let dir: string
let creds: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aac-codec-'))
  creds = join(dir, 'creds.json')
  await writeFile(join(dir, 'aac_url.txt'), 'https://api.eu1.alteryxcloud.com\n')
  await writeFile(join(dir, 'client_id.txt'), 'my-client-id\n')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function failure(run: () => Promise<unknown>): Promise<AacError> {
  const error = await run().then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(AacError)
  return error as AacError
}

/** What a caller can tell errors apart by: the class, the code, the file and the message. */
function seen(error: AacError) {
  return {
    class: error.constructor.name,
    code: error.code,
    file: error instanceof ConfigError ? error.file : undefined,
    message: error.message,
  }
}

describe('the same bad creds.json, the same error through every path', () => {
  it.each(BAD_FILES)('%s', async (_name, text, message) => {
    await writeFile(creds, text)
    const storage = fileStorage({ path: creds, region: 'eu1' })
    const paths = {
      loadConfig: await failure(() => loadConfig({ dir, env: {} })),
      loadCreds: await failure(() => loadCreds(creds, 'eu1')),
      'fileStorage().read()': await failure(() => storage.read()),
      'read() inside withLock': await failure(() => storage.withLock(() => storage.read())),
      "loadConfig's storage": await failure(async () => (await loadConfigAnyway()).read()),
    }
    const expected = {
      class: 'ConfigError',
      code: 'CONFIG_INVALID',
      file: creds,
      message: paths.loadCreds.message,
    }
    for (const [path, error] of Object.entries(paths)) expect(seen(error), path).toEqual(expected)
    expect(paths.loadCreds.message).toMatch(message)
    expect(paths.loadCreds.message).toContain(creds)
    expect(paths.loadCreds.message).not.toContain('SECRET')
    expect(paths.loadCreds.message).not.toContain(jwt)
    // Left alone: it is the user's to fix, and nothing was moved aside.
    expect(await readFile(creds, 'utf8')).toBe(text)
    expect(await readdir(dir)).toEqual(['aac_url.txt', 'client_id.txt', 'creds.json'])
  })

  /** The storage loadConfig hands out, on a file that went bad after loading. */
  async function loadConfigAnyway() {
    const bad = await readFile(creds, 'utf8')
    await writeFile(creds, json({ access_token: jwt, refresh_token: 'rt-1' }))
    const { storage } = await loadConfig({ dir, env: {} })
    await writeFile(creds, bad)
    return storage
  }

  it('unparsable JSON: a ConfigError when loading, a storage concern (moved aside under the lock) for the store', async () => {
    const garbage = '{"access_token": "SECRET-A",'
    await writeFile(creds, garbage)
    expect(seen(await failure(() => loadCreds(creds)))).toEqual({
      class: 'ConfigError',
      code: 'CONFIG_INVALID',
      file: creds,
      message: `${creds} is not valid JSON: it must look like {"access_token": "...", "refresh_token": "..."}.`,
    })
    const storage = fileStorage({ path: creds })
    expect(await failure(() => storage.read())).toBeInstanceOf(StorageError)
    expect(await readFile(creds, 'utf8')).toBe(garbage)
    const locked = await failure(() => storage.withLock(() => storage.read()))
    expect(locked).toMatchObject({ name: 'StorageError', code: 'STORAGE_ERROR' })
    expect(locked.message).toMatch(/was moved to .*creds\.json\.corrupt-/)
  })

  it("the access token's claims are checked where the user's pair comes in, not by the store", async () => {
    await writeFile(creds, json({ access_token: 'not-a-jwt', refresh_token: 'rt-1' }))
    const error = await failure(() => loadCreds(creds, 'eu1'))
    expect(seen(error)).toMatchObject({ class: 'ConfigError', code: 'CONFIG_INVALID', file: creds })
    expect(error.message).toMatch(/The access_token in .*creds\.json is not a JWT/)
    // A store keeps any pair: the token manager judges the access token when it uses it, in the same words.
    const storage = fileStorage({ path: creds })
    expect(await storage.read()).toEqual({ accessToken: 'not-a-jwt', refreshToken: 'rt-1' })
    const viaManager = await failure(() => createTokenManager({ storage, region: 'eu1' }).getAccessToken())
    expect(seen(viaManager)).toEqual(seen(error))
  })
})

describe('pair codec', () => {
  it('reads both forms, trimming the tokens and keeping a well-formed meta', () => {
    const meta = { clockOffsetMs: 1500 }
    expect(
      decodePairText(
        '\uFEFF{"access_token": " a ", "refresh_token": "r\\n", "aac": {"clock_offset_ms": 1500}}',
        {
          where: 'x',
        },
      ),
    ).toEqual({ ok: true, tokens: { accessToken: 'a', refreshToken: 'r', meta } })
    expect(decodePair({ accessToken: 'a', refreshToken: 'r', meta }, { where: 'x', form: 'wire' })).toEqual({
      ok: true,
      tokens: { accessToken: 'a', refreshToken: 'r', meta },
    })
    const wrong = decodePair({ access_token: 'a' }, { where: 'the page', form: 'wire' })
    expect(wrong).toMatchObject({ ok: false, problem: { kind: 'fields' } })
    expect(!wrong.ok && wrong.problem.message).toMatch(/^the page has no "accessToken" and no "refreshToken"/)
  })

  it('checks claims only when asked', () => {
    expect(decodePair({ access_token: 'a', refresh_token: 'r' }, { where: 'x' }).ok).toBe(true)
    expect(decodePair({ access_token: 'a', refresh_token: 'r' }, { where: 'x', claims: true })).toMatchObject(
      {
        ok: false,
        problem: { kind: 'claims' },
      },
    )
    expect(decodePair({ access_token: jwt, refresh_token: 'r' }, { where: 'x', claims: true }).ok).toBe(true)
  })

  it('writes what a store may write, and nothing empty', () => {
    expect(writablePair({ access_token: 'a', refresh_token: 'r', token_type: 'Bearer' })).toEqual({
      accessToken: 'a',
      refreshToken: 'r',
    })
    expect(writablePair({ access_token: '', refresh_token: 'r' })).toBeUndefined()
    expect(writablePair({ accessToken: 'a', refreshToken: 'r' }, 'wire')).toEqual({
      accessToken: 'a',
      refreshToken: 'r',
    })
    expect(writablePair('a')).toBeUndefined()
  })

  it("encodes creds.json: the user's keys kept in place, the old meta and an error answer's keys dropped", () => {
    const tokens = { accessToken: 'a2', refreshToken: 'r2', meta: { clockOffsetMs: 5 } }
    expect(encodePair(tokens)).toEqual({
      access_token: 'a2',
      refresh_token: 'r2',
      aac: { clock_offset_ms: 5 },
    })
    const existing = { note: 'mine', access_token: 'a1', refresh_token: 'r1', aac: { clock_offset_ms: 9 } }
    expect(encodePairText({ accessToken: 'a2', refreshToken: 'r2' }, existing)).toBe(
      '{\n  "note": "mine",\n  "access_token": "a2",\n  "refresh_token": "r2"\n}\n',
    )
    expect(encodePairText({ accessToken: 'a', refreshToken: 'r' }, { error: 'invalid_grant' })).toBe(
      '{\n  "access_token": "a",\n  "refresh_token": "r"\n}\n',
    )
  })

  it('knows the placeholders', () => {
    expect(isPlaceholder('Your access token here')).toBe(true)
    expect(isPlaceholder(' your refresh token here ')).toBe(true)
    expect(isPlaceholder(jwt)).toBe(false)
  })
})
