import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI and the multi-worker tests' worker process, bundled once for every child process they start.
    globalSetup: ['test/helpers/build-bundles.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: true,
    reporters: ['default'],
  },
})
