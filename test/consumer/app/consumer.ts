// A user's TypeScript, type-checked by tsc against the installed declarations in every resolution mode, with
// strict on and off, and without the DOM lib: it touches every entry of the packages.
import {
  type AacConfig,
  AacError,
  type Client,
  createClient,
  formatError,
  getCurrentWorkspace,
  isAacError,
  listPeople,
  memoryStorage,
  type Person,
  type TokenStorage,
  VERSION,
  type Workspace,
  webStorage,
} from '@aac/core'
import { apiErrorFromResponse } from '@aac/core/diagnostics'
import { type LoadConfigOptions, loadConfig } from '@aac/core/fs'
import { runMain } from '@aac/core/process'
import { fileStorage } from '@aac/core/storage/file'
import { memoryStorage as memoryStorageToo } from '@aac/core/storage/memory'
import { decodePairText } from '@aac/core/storage/pair-codec'
import { indexedDbArea } from '@aac/core/storage/web'
import { type FakeCloud, startFakeCloud } from '@aac/fake-cloud'

export async function workspaceName(options: LoadConfigOptions): Promise<string> {
  const { config, storage } = await loadConfig(options)
  const client: Client = createClient({ config, storage })
  const workspace: Workspace = await getCurrentWorkspace(client)
  const people: Person[] = []
  for await (const person of listPeople(client, { limit: 10 })) people.push(person)
  const raw = await client.get<{ id: number }>('/iam/v1/workspaces/current', { query: { a: 1 } })
  return `${workspace.name} ${raw.id} ${people.length} ${VERSION}`
}

export function stores(config: AacConfig): TokenStorage[] {
  createClient({ config, tokens: { getAccessToken: async () => 'token' } as never })
  return [
    memoryStorage({ accessToken: 'a', refreshToken: 'r' }),
    memoryStorageToo({ accessToken: 'a', refreshToken: 'r' }),
    webStorage(),
    webStorage({ area: indexedDbArea({ database: 'app' }) }),
    fileStorage({ path: 'creds.json' }),
  ]
}

export function describe(error: unknown): string {
  if (isAacError(error)) return `${error.code}: ${formatError(error)}`
  if (error instanceof AacError) return error.message
  return String(error)
}

export const helpers = { apiErrorFromResponse, decodePairText, runMain }

export async function withFake(dir: string): Promise<string> {
  const cloud: FakeCloud = await startFakeCloud({ accessTokenTtlSeconds: 60 })
  try {
    await cloud.writeConfig(dir, { expired: true })
    return await workspaceName({ dir })
  } finally {
    await cloud.stop()
  }
}
