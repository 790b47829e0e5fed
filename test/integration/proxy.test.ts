// HTTPS_PROXY, HTTP_PROXY and NO_PROXY for the aac command and the Node examples on Node 20, whose own fetch
// ignores them: through a real proxy started here (node:http, tunnelling CONNECT), against the fake cloud.
// The proxy tunnels to loopback only and answers 502 to anything else, so no request leaves the machine.
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { nodeExample } from '../../scripts/runtimes.ts'
import { fakeWorkspace, ROOT, run, type Workspace } from '../helpers.ts'

const AAC = join(ROOT, 'packages', 'cli', 'bin', 'aac.js')

interface Proxy {
  url: string
  /** `CONNECT host:port` or `GET http://…`, in order. */
  seen: string[]
  server: Server
}

async function startProxy(): Promise<Proxy> {
  const seen: string[] = []
  const server = createServer((request, response) => {
    // A plain request with an absolute URL: never forwarded in these tests (undici tunnels even http://).
    seen.push(`${request.method} ${request.url}`)
    response.writeHead(502).end()
  })
  server.on('connect', (request, socket, head) => {
    const target = request.url ?? ''
    seen.push(`CONNECT ${target}`)
    const [host, port] = [
      target.slice(0, target.lastIndexOf(':')),
      Number(target.slice(target.lastIndexOf(':') + 1)),
    ]
    if (host !== '127.0.0.1') {
      socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n')
      return
    }
    const upstream = connect(port, host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(socket)
      socket.pipe(upstream)
    })
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address() as { port: number }
  return { url: `http://127.0.0.1:${address.port}`, seen, server }
}

let proxy: Proxy
let ws: Workspace | undefined
beforeAll(async () => {
  proxy = await startProxy()
})
afterAll(async () => {
  proxy.server.closeAllConnections()
  await new Promise((resolve) => proxy.server.close(resolve))
})
afterEach(async () => {
  await ws?.close()
  ws = undefined
  proxy.seen.length = 0
})

/** No proxy variable of the test runner's own shell leaks in: each test names its own. */
const NONE = { HTTPS_PROXY: '', HTTP_PROXY: '', NO_PROXY: '', https_proxy: '', http_proxy: '', no_proxy: '' }

describe('aac through a proxy', () => {
  it('HTTP_PROXY: the refresh and the call go through the proxy (a CONNECT tunnel to the fake cloud)', async () => {
    ws = await fakeWorkspace({ expired: true })
    const origin = new URL(ws.cloud.url).host
    const result = await run(process.execPath, [AAC, 'api', '/iam/v1/workspaces/current'], {
      env: { ...NONE, AAC_CONFIG_DIR: ws.dir, HTTP_PROXY: proxy.url },
    })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'Fake Workspace' })
    expect(ws.cloud.stats()).toMatchObject({ refreshes: 1 })
    expect(proxy.seen.length).toBeGreaterThan(0)
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${origin}`]))
  })

  it('lowercase http_proxy works the same', async () => {
    ws = await fakeWorkspace({ expired: true })
    const result = await run(process.execPath, [AAC, 'token'], {
      env: { ...NONE, AAC_CONFIG_DIR: ws.dir, http_proxy: proxy.url },
    })
    expect(result.code).toBe(0)
    expect(proxy.seen).toContain(`CONNECT ${new URL(ws.cloud.url).host}`)
  })

  it('NO_PROXY: a host it names is reached directly', async () => {
    ws = await fakeWorkspace({ expired: true })
    const result = await run(process.execPath, [AAC, 'api', '/iam/v1/workspaces/current'], {
      env: { ...NONE, AAC_CONFIG_DIR: ws.dir, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' },
    })
    expect(result.code).toBe(0)
    expect(ws.cloud.stats()).toMatchObject({ refreshes: 1 })
    expect(proxy.seen).toEqual([])
  })

  it('HTTPS_PROXY: an https:// API host is asked of the proxy (CONNECT host:443), and the doctor names the proxy', async () => {
    ws = await fakeWorkspace({ expired: false })
    // Alteryx's real host: the proxy answers 502 to it, so nothing leaves the machine.
    await writeFile(join(ws.dir, 'aac_url.txt'), 'https://api.us1.alteryxcloud.com\n')
    const result = await run(process.execPath, [AAC, 'doctor', '--timeout', '5000'], {
      env: { ...NONE, AAC_CONFIG_DIR: ws.dir, HTTPS_PROXY: `http://user:secret@${new URL(proxy.url).host}` },
    })
    expect(proxy.seen).toContain('CONNECT api.us1.alteryxcloud.com:443')
    expect(result.stdout).toMatch(
      /✔ proxy +https:\/\/ through http:\/\/\*\*\*@127\.0\.0\.1:\d+ \(HTTPS_PROXY\)/,
    )
    expect(result.stdout).not.toContain('secret')
    expect(result.stdout).toMatch(/✘ API host reachable/)
    expect(result.code).toBe(5)
  })
})

describe('the Node example through a proxy', () => {
  it('HTTP_PROXY goes through it; NO_PROXY bypasses it', async () => {
    ws = await fakeWorkspace({ expired: true })
    const { command, args } = nodeExample(ROOT)
    const through = await run(command, args, {
      env: { ...NONE, AAC_CONFIG_DIR: ws.dir, HTTP_PROXY: proxy.url },
    })
    expect(through.stderr).toBe('')
    expect(JSON.parse(through.stdout)).toMatchObject({ name: 'Fake Workspace' })
    expect(proxy.seen).toContain(`CONNECT ${new URL(ws.cloud.url).host}`)

    proxy.seen.length = 0
    const direct = await run(command, args, {
      env: { ...NONE, AAC_CONFIG_DIR: ws.dir, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
    })
    expect(direct.code).toBe(0)
    expect(proxy.seen).toEqual([])
  })
})
