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
    env: { AAC_CONFIG_DIR: '/nonexistent/tests-must-set-AAC_CONFIG_DIR', AAC_DEBUG: '', AAC_STORE: '' },
  },
})
