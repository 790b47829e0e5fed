// `npm run browser`: the example page at http://localhost:5173 (PORT overrides; BROWSER=none keeps the browser
// closed), with the dev-server bridge that shares creds.json with the Node, Deno and Bun examples.
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { aacBridge } from './server/plugin.ts'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  root: here('.'),
  plugins: [aacBridge()],
  // A path that is no file is a 404, not the page (the 'spa' default answers every path with index.html).
  appType: 'mpa',
  server: {
    // Loopback only: the page exchanges tokens with the dev server.
    host: 'localhost',
    port: Number(process.env['PORT']) || 5173,
    strictPort: true,
    open: true,
    // Other sites (any other localhost port included) get no CORS answer: Vite's default would let them read
    // every file it serves.
    cors: false,
    fs: {
      // What the page is made of, and no more: Vite's default is the whole workspace, creds.json included.
      allow: [here('.'), here('../../packages/core/src')],
      // In case a config folder (AAC_CONFIG_DIR) lies inside those: the token files, their lock, recovery,
      // corrupt and temp copies, and the files naming the API project. The first six are Vite's defaults,
      // which setting the list replaces.
      deny: [
        '.env',
        '.env.*',
        '*.{crt,pem,key,p12,pfx,cer,der}',
        '.npmrc',
        '.yarnrc.yml',
        '**/.git/**',
        '**/creds.json',
        '**/creds.json.*',
        '**/.creds.json.*',
        '**/client_id.txt',
        '**/api_project_id.txt',
        '**/aac_url.txt',
      ],
    },
  },
  clearScreen: false,
})
