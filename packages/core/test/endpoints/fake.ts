// A fake cloud with the two host families on two listeners, as the real service has them, and a client on it
// whose every request is recorded: the endpoint tests assert the host and path each function calls.
import { type FakeCloud, type FakeCloudOptions, startFakeCloud } from '@aac/fake-cloud'
import { type Client, createClient } from '../../src/client.ts'
import { memoryStorage } from '../../src/storage/memory.ts'
import type { FetchLike } from '../../src/types.ts'

export interface Sent {
  method: string
  /** Origin and path, without the query: `http://127.0.0.1:4321/v4/people`. */
  url: string
  query: URLSearchParams
  headers: Headers
}

export interface SplitCloud {
  cloud: FakeCloud
  client: Client
  /** API requests sent by `client`, in order (token refreshes left out). */
  sent: Sent[]
}

export async function startSplitCloud(options: FakeCloudOptions = {}): Promise<SplitCloud> {
  const cloud = await startFakeCloud({ ...options, splitHosts: true })
  const sent: Sent[] = []
  const recording: FetchLike = (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (!url.pathname.startsWith('/as/')) {
      sent.push({
        method: request.method,
        url: url.origin + url.pathname,
        query: url.searchParams,
        headers: request.headers,
      })
    }
    return fetch(input, init)
  }
  const { accessToken, refreshToken } = cloud.issueTokens()
  const client = createClient({
    config: { apiUrl: cloud.url, directUrl: cloud.directUrl, projectId: cloud.projectId, region: undefined },
    storage: memoryStorage({ accessToken, refreshToken }),
    fetch: recording,
  })
  return { cloud, client, sent }
}

/** Every item of an async iterable (Array.fromAsync, which Node 20 lacks). */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}
