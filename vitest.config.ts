import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start real processes (tsx, deno, bun) on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Env vars of the user's shell must not leak into tests, and no test may fall back on the repo's own files,
    // which may hold a user's real tokens: a test that forgets to name its config folder fails here.
    // AAC_STORE: a keychain chosen in the shell must not move the tests' pairs out of their temp creds.json.
    // NODE_PATH: pnpm's bin shims (node_modules/.bin/vitest) point it at every package of the workspace, so the
    // programs the tests start would find by require() what a user's install lacks (the aac bundle's optional
    // store clients); the tests' programs resolve packages as a user's do.
    env: {
      AAC_CONFIG_DIR: '/nonexistent/tests-must-set-AAC_CONFIG_DIR',
      AAC_DEBUG: '',
      AAC_STORE: '',
      NODE_PATH: '',
    },
  },
})
