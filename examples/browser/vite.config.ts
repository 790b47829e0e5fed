// `npm run browser`: the example page at http://localhost:5173 (PORT overrides; BROWSER=none keeps the browser
// closed), with the dev-server bridge that shares creds.json with the Node, Deno and Bun examples.
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { aacBridge } from './server/plugin.ts'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [aacBridge()],
  // Loopback only: the page exchanges tokens with the dev server.
  server: { host: 'localhost', port: Number(process.env['PORT']) || 5173, strictPort: true, open: true },
  clearScreen: false,
})
