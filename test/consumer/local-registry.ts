// A package registry on loopback serving the packed tarballs, for consumers that install by name rather than from
// a file: Deno's `npm:` specifiers read the registry from NPM_CONFIG_REGISTRY. It answers the two requests an
// install makes (the package document, then the tarball) from each tarball's own package.json, and 404 otherwise,
// so a dependency it does not hold fails the install instead of reaching out.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { run } from '../helpers.ts'

export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/`, for NPM_CONFIG_REGISTRY. */
  url: string
  /** Package documents and tarballs served: `@aac/core`, `core.tgz`… */
  requests: string[]
  close(): Promise<void>
}

export async function startLocalRegistry(tarballs: readonly string[]): Promise<LocalRegistry> {
  const packages = new Map<string, { manifest: Record<string, unknown>; tarball: Buffer; file: string }>()
  for (const [i, path] of tarballs.entries()) {
    const listing = await run('tar', ['-xOzf', path, 'package/package.json'])
    if (listing.code !== 0) throw new Error(`cannot read package.json from ${path}: ${listing.stderr}`)
    const manifest = JSON.parse(listing.stdout) as Record<string, unknown>
    packages.set(String(manifest['name']), { manifest, tarball: await readFile(path), file: `${i}.tgz` })
  }
  const requests: string[] = []
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname).slice(1)
    requests.push(path)
    const byName = packages.get(path)
    const byFile = [...packages.values()].find((p) => p.file === path)
    if (byName) {
      const { manifest, tarball, file } = byName
      const dist = {
        tarball: `${url}${file}`,
        shasum: createHash('sha1').update(tarball).digest('hex'),
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
      }
      const version = String(manifest['version'])
      response.setHeader('content-type', 'application/json')
      response.end(
        JSON.stringify({
          name: manifest['name'],
          'dist-tags': { latest: version },
          versions: { [version]: { ...manifest, dist } },
        }),
      )
    } else if (byFile) {
      response.setHeader('content-type', 'application/octet-stream')
      response.end(byFile.tarball)
    } else {
      response.statusCode = 404
      response.end('{"error":"not found"}')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  return {
    url,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
