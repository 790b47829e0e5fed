// The current Alteryx Cloud workspace, from a web page: the same createClient call as the Node, Deno and Bun
// examples. Two modes:
//   shared (default)    the tokens stay in the root creds.json; the dev server bridges reads, writes and the lock
//   ?mode=standalone    the tokens live in this browser's IndexedDB; tabs take turns through Web Locks
import {
  type AacConfig,
  apiTokensPage,
  type Client,
  createClient,
  createTokenManager,
  formatError,
  getCurrentWorkspace,
  type IndexedDbArea,
  indexedDbArea,
  isAacError,
  type TokenManager,
  type TokenStorage,
  webStorage,
} from '@aac/core'
import {
  type BridgeStorage,
  bridgedFetch,
  bridgeStorage,
  loadBridgeConfig,
  takeBridgeKey,
  toError,
} from './bridge.ts'
import { byId, setState, showError, showOnly, showToken, showWorkspace } from './view.ts'

const STANDALONE_KEY = 'aac.tokens'
// Out of the address bar before anything else: the dev server's key (#key=…), kept for this tab.
takeBridgeKey()
const params = new URLSearchParams(location.search)
const standalone = params.get('mode') === 'standalone'
const debug = params.has('debug')

interface Session {
  client: Client
  tokens: TokenManager
}

let session: Session | undefined
/** Standalone mode's store and its IndexedDB area, kept to forget the pair under the lock. */
let standaloneStore: { storage: TokenStorage; area: IndexedDbArea } | undefined

/** `shared`: creds.json through the dev server, whose lease then goes along with each refresh. */
function connect(config: AacConfig, storage: TokenStorage, shared?: BridgeStorage): Session {
  const fetch = bridgedFetch(shared ? { storage: shared } : {})
  const logger = debug ? (message: string) => console.debug(`[aac] ${message}`) : undefined
  const tokens = createTokenManager({ storage, fetch, region: config.region, ...(logger && { logger }) })
  const client = createClient({ config, tokens, fetch, secrets: tokens.secrets, ...(logger && { logger }) })
  return { client, tokens }
}

async function loadWorkspace({ client, tokens }: Session): Promise<void> {
  setState('loading')
  const workspace = await getCurrentWorkspace(client)
  // One request: the answer states its member count (`workspace_member_count`) itself.
  showWorkspace(workspace)
  showToken(tokens)
  setState('ready')
}

async function start(): Promise<void> {
  byId('mode-label').textContent = standalone ? 'Standalone: tokens in this browser' : 'Shared creds.json'
  const toggle = byId<HTMLAnchorElement>('mode-switch')
  toggle.textContent = standalone ? 'Switch to shared creds.json' : 'Switch to standalone mode'
  toggle.href = standalone ? '?' : '?mode=standalone'
  byId('about-shared').hidden = standalone
  byId('about-standalone').hidden = !standalone

  const bridge = await loadBridgeConfig()
  if (!standalone) {
    // The very line the CLI examples print for the same files.
    if (bridge.error || !bridge.config || !bridge.credsPath) {
      return fail(bridge.error ? toError(bridge.error) : new Error('The dev server sent no config.'))
    }
    const storage = bridgeStorage({ location: bridge.credsPath })
    session = connect(bridge.config, storage, storage)
    return loadWorkspace(session)
  }

  // Standalone needs aac_url.txt and client_id.txt only: a placeholder creds.json does not matter here.
  if (!bridge.config) {
    return fail(bridge.error ? toError(bridge.error) : new Error('The dev server sent no config.'))
  }
  const config = bridge.config
  const area = indexedDbArea()
  const storage = webStorage({ key: STANDALONE_KEY, area })
  standaloneStore = { storage, area }
  byId('forget').hidden = false
  byId('error-forget').hidden = false
  if (await storage.read()) {
    session = connect(config, storage)
    return loadWorkspace(session)
  }
  byId<HTMLAnchorElement>('seed-link').href = apiTokensPage(config.region)
  showOnly('seed')
  setState('needs-tokens')
  byId<HTMLFormElement>('seed-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const pair = {
      accessToken: byId<HTMLTextAreaElement>('seed-access').value.trim(),
      refreshToken: byId<HTMLTextAreaElement>('seed-refresh').value.trim(),
    }
    run(async () => {
      await storage.write(pair)
      session = connect(config, storage)
      await loadWorkspace(session)
    })
  })
}

function fail(error: unknown): void {
  if (debug) console.error(error)
  showError(error, formatError(error, { secrets: session?.tokens.secrets() ?? [] }))
  setState('error')
}

function run(task: () => Promise<void>): void {
  task().catch(fail)
}

function forget(): void {
  run(async () => {
    // Under the lock: a tab in the middle of a refresh would otherwise store its new pair right after.
    const store = standaloneStore
    await store?.storage.withLock(() => store.area.delete(STANDALONE_KEY))
    location.reload()
  })
}

byId('reload').addEventListener('click', () => run(async () => session && loadWorkspace(session)))
byId('rotate').addEventListener('click', () =>
  run(async () => {
    if (!session) return
    await session.tokens.refresh()
    showToken(session.tokens)
  }),
)
byId('forget').addEventListener('click', forget)
byId('error-forget').addEventListener('click', forget)
// The dev server re-reads the files at every request: after fixing one, a reload is all it takes.
byId('error-retry').addEventListener('click', () => location.reload())
setInterval(() => session && showToken(session.tokens), 1_000)

run(start)

// A page error that escaped the handlers above still deserves the panel rather than a blank page.
addEventListener('unhandledrejection', (event) => {
  if (isAacError(event.reason)) fail(event.reason)
})
