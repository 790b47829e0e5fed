/**
 * What `aac init` needs, from options, the terminal or (unattended) stdin and environment variables, each checked
 * before anything is written and without spending the refresh token: the API URL (a region), the Client ID's
 * shape, the pair's shape, claims and issuer against the region. No token is ever taken from an argument or
 * quoted in a message.
 */

import {
  type AacConfig,
  apiProjectsPage,
  apiTokensPage,
  ConfigError,
  parseApiUrl,
  parseProjectId,
  type StoredTokens,
} from '@aac/core'
import { REGIONS } from '@aac/core/diagnostics'
import { decodePair, pairConfigError } from '@aac/core/storage/pair-codec'
import { refuseTokenValue } from '../creds/context.ts'
import { type ImportSource, readImportedPair } from '../creds/import-input.ts'
import { issuerProblem } from '../creds/issuer.ts'
import { UsageError } from '../exit-codes.ts'
import type { CliIo, Prompter } from '../io.ts'

/** The options of `aac init` that give answers. */
export interface InitAnswers extends ImportSource {
  region?: string | undefined
  apiUrl?: string | undefined
  clientId?: string | undefined
}

export type ApiUrl = Pick<AacConfig, 'apiUrl' | 'directUrl' | 'region'>

/** The API URL of a region: `https://api.us1.alteryxcloud.com`. */
export function regionApiUrl(region: string): string {
  return `https://api.${region}.alteryxcloud.com`
}

/** --api-url (any URL the toolkit accepts, the fake cloud's too), else --region, else asked, else an error. */
export async function chooseApiUrl(options: InitAnswers, prompter: Prompter | undefined): Promise<ApiUrl> {
  if (options.apiUrl !== undefined) return parseApiUrl(options.apiUrl, '--api-url')
  if (options.region !== undefined) return parseApiUrl(regionApiUrl(knownRegion(options.region)), '--region')
  if (!prompter) {
    throw new UsageError(
      `aac init needs the region when stdin is not a terminal: add --region ${REGIONS.map((r) => r.id).join('|')} (the part of your Alteryx Cloud address before .alteryxcloud.com), or --api-url URL.`,
    )
  }
  const list = REGIONS.map(
    (r, i) => `  ${i + 1}. ${r.id}  ${r.name} (https://${r.id}.alteryxcloud.com)`,
  ).join('\n')
  for (;;) {
    const answer = (await prompter.ask(`Region of your Alteryx Cloud:\n${list}\nRegion [1]: `)).trim()
    const byNumber = REGIONS[Number(answer || '1') - 1]
    const region = /^\d+$/.test(answer || '1')
      ? byNumber?.id
      : REGIONS.find((r) => r.id === answer.toLowerCase())?.id
    if (region) return parseApiUrl(regionApiUrl(region), 'the region')
    prompter.write(`"${answer.slice(0, 20)}" is not one of them: type its number or its name (us1…).\n`)
  }
}

function knownRegion(value: string): string {
  const region = REGIONS.find((r) => r.id === value.trim().toLowerCase())
  if (region) return region.id
  throw new UsageError(
    `--region ${JSON.stringify(value.slice(0, 20))} is not a region of Alteryx Cloud: use one of ${REGIONS.map((r) => `${r.id} (${r.name})`).join(', ')}, or --api-url for another address.`,
  )
}

/** --client-id, else asked (until it has the shape of one), else an error. */
export async function chooseClientId(
  options: InitAnswers,
  url: ApiUrl,
  prompter: Prompter | undefined,
): Promise<string> {
  if (options.clientId !== undefined) {
    refuseTokenValue(options.clientId, '--client-id')
    return parseProjectId(options.clientId, '--client-id', url.region)
  }
  if (!prompter) {
    throw new UsageError(
      `aac init needs the Client ID when stdin is not a terminal: add --client-id ID (the Client ID of your API project, from ${apiProjectsPage(url.region)}).`,
    )
  }
  for (;;) {
    const answer = await prompter.ask(`Client ID of your API project (from ${apiProjectsPage(url.region)}): `)
    try {
      return parseProjectId(answer, 'The Client ID', url.region)
    } catch (error) {
      // The core's message never quotes a token-shaped value.
      prompter.write(`${(error as Error).message}\n`)
    }
  }
}

/** The pair: asked without echo on a terminal, else from stdin or the variables --from-env names. */
export async function choosePair(
  io: CliIo,
  options: InitAnswers,
  url: ApiUrl,
  prompter: Prompter | undefined,
): Promise<StoredTokens> {
  if (!prompter) return (await readImportedPair(io, options, url)).tokens
  const page = apiTokensPage(url.region)
  prompter.write(
    `Generate a token pair at ${page} ("+ Generate") and paste both tokens (they are not shown).\n`,
  )
  for (;;) {
    const access = await prompter.ask('Access token: ', { hidden: true })
    const refresh = await prompter.ask('Refresh token: ', { hidden: true })
    const where = 'the pasted pair'
    const read = decodePair(
      { access_token: access, refresh_token: refresh },
      { where, region: url.region, claims: true, fix: `generate a pair at ${page} and paste both tokens` },
    )
    try {
      if (!read.ok) throw pairConfigError(read.problem, where)
      checkIssuer(read.tokens, url)
      return { accessToken: read.tokens.accessToken, refreshToken: read.tokens.refreshToken }
    } catch (error) {
      prompter.write(`${(error as Error).message}\nTry again (Ctrl-C to stop).\n`)
    }
  }
}

/** The issuer must be trusted, and of the chosen region when its host names one. */
function checkIssuer(tokens: StoredTokens, url: ApiUrl): void {
  const problem = issuerProblem(tokens.accessToken, url.region)
  if (problem?.kind === 'untrusted') {
    throw new ConfigError(
      'CONFIG_INVALID',
      'the pasted pair',
      `This pair cannot be refreshed: ${problem.reason}`,
    )
  }
  if (problem?.kind === 'other-region') {
    const { issued, host } = problem
    throw new ConfigError(
      'CONFIG_INVALID',
      'the pasted pair',
      `This pair was issued for region ${issued} (${host}), not ${url.region}: generate one at ${apiTokensPage(url.region)}, or choose region ${issued}.`,
    )
  }
}
