// responseType: binary answers come back byte for byte, as an ArrayBuffer, a Blob, a stream or text.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpResponse, http, passthrough } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../src/client.ts'
import { ApiError } from '../src/errors.ts'
import { readResponseBody } from '../src/http/body.ts'
import { DIRECT, FIXED_TOKENS, US1_CONFIG } from './us1-client.ts'

/** The start of a ZIP, then bytes that are not UTF-8: what text() turned into U+FFFD. */
const ZIP = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0xff, 0xfe, 0x00, 0x80, 0xc3])
const PATH = '/v4/flows/7/package'

const server = setupServer()
let requests = 0
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  server.resetHandlers()
  requests = 0
})
afterAll(() => server.close())

function serveZip() {
  server.use(
    http.get(`${DIRECT}${PATH}`, () => {
      requests++
      return new HttpResponse(ZIP, { headers: { 'content-type': 'application/zip' } })
    }),
    http.get(`${DIRECT}/v4/flows/8/package`, () =>
      HttpResponse.json(
        { exception: { name: 'NotFoundException', message: 'Not found', details: 'Flow 8 does not exist' } },
        { status: 404 },
      ),
    ),
    http.delete(`${DIRECT}/v4/flows/7`, () => new HttpResponse(null, { status: 204 })),
  )
}

describe('responseType', () => {
  const client = createClient({ config: US1_CONFIG, tokens: FIXED_TOKENS })

  it('arrayBuffer, blob, stream: the bytes as sent', async () => {
    serveZip()
    const buffer = await client.get<ArrayBuffer>(PATH, { responseType: 'arrayBuffer' })
    expect(buffer).toBeInstanceOf(ArrayBuffer)
    expect(new Uint8Array(buffer)).toEqual(ZIP)

    const blob = await client.get<Blob>(PATH, { responseType: 'blob' })
    expect(blob.type).toBe('application/zip')
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(ZIP)

    const raw = await client.requestRaw<ReadableStream<Uint8Array>>('GET', PATH, { responseType: 'stream' })
    expect(raw.status).toBe(200)
    expect(raw.headers.get('content-type')).toBe('application/zip')
    expect(new Uint8Array(await new Response(raw.data).arrayBuffer())).toEqual(ZIP)
  })

  it("'auto' (the default) still decodes, which is what corrupted binary answers", async () => {
    serveZip()
    const text = await client.get<string>(PATH)
    expect(typeof text).toBe('string')
    expect(new TextEncoder().encode(text)).not.toEqual(ZIP)
    expect(text).toContain('\ufffd')
    expect(await client.get<string>(PATH, { responseType: 'text' })).toBe(text)
  })

  it('an error answer is still an ApiError with its decoded body, whatever was asked', async () => {
    serveZip()
    const error = await client
      .get('/v4/flows/8/package', { responseType: 'arrayBuffer' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(404)
    expect((error as ApiError).body).toMatchObject({ exception: { details: 'Flow 8 does not exist' } })
  })

  it('a bodiless answer gives an empty value of the asked type', async () => {
    serveZip()
    expect(await client.delete('/v4/flows/7')).toBeUndefined()
    expect(
      (await client.delete<ArrayBuffer>('/v4/flows/7', { responseType: 'arrayBuffer' })).byteLength,
    ).toBe(0)
    expect((await client.delete<Blob>('/v4/flows/7', { responseType: 'blob' })).size).toBe(0)
    expect(await client.delete('/v4/flows/7', { responseType: 'text' })).toBe('')
    const stream = await client.delete<ReadableStream>('/v4/flows/7', { responseType: 'stream' })
    expect(await new Response(stream).text()).toBe('')
    const head = await readResponseBody(new Response('ignored'), 'HEAD', 'arrayBuffer')
    expect((head as ArrayBuffer).byteLength).toBe(0)
  })

  it('a responseType that does not exist is refused before anything is sent', async () => {
    serveZip()
    const error = await client
      .get(PATH, { responseType: 'buffer' as unknown as 'arrayBuffer' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(String(error)).toContain("responseType must be 'auto', 'text', 'arrayBuffer', 'blob' or 'stream'")
    expect(requests).toBe(0)
  })

  it('the caller signal still stops a stream after the answer arrived', async () => {
    // A real server (msw's mocked bodies ignore aborts): the first bytes, then a download that never ends.
    const local = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip' })
      res.write(ZIP)
    })
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(local.address() as AddressInfo).port}`
    server.use(http.get(`${base}/*`, () => passthrough()))
    try {
      const localClient = createClient({
        config: { ...US1_CONFIG, apiUrl: base, directUrl: base },
        tokens: FIXED_TOKENS,
      })
      const controller = new AbortController()
      const stream = await localClient.get<ReadableStream<Uint8Array>>(PATH, {
        responseType: 'stream',
        signal: controller.signal,
      })
      const reader = stream.getReader()
      expect((await reader.read()).value).toEqual(ZIP)
      const rest = reader.read()
      controller.abort()
      await expect(rest).rejects.toThrow()
    } finally {
      local.closeAllConnections()
      await new Promise((resolve) => local.close(resolve))
    }
  })
})
