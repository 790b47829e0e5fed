import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start real processes (tsx, deno, bun) on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Env vars of the user's shell must not leak into tests.
    env: { AAC_CONFIG_DIR: '', AAC_DEBUG: '' },
  },
})
