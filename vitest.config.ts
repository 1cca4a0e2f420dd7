import { availableParallelism } from 'node:os'
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
    // One test file per core the process may run on (vitest's own default is one fewer: a single
    // file at a time on a 2-core machine). Most files wait on child processes, Postgres and
    // receivers, not the CPU; under `taskset -c 0` this is still one.
    maxWorkers: availableParallelism(),
    reporters: ['default'],
  },
})
