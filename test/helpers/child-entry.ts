import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inject } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The programs the tests run in child processes, bundled once per `vitest run` by `build-bundles.ts`. */
export const CHILD_ENTRIES = {
  cli: 'src/cli/index.ts',
  worker: 'test/durable/worker-process.ts',
} as const

/**
 * The `node` arguments that start `name`: its bundle from the global setup, or the sources through
 * tsx when the setup did not run (a config without it).
 */
export function childEntry(name: keyof typeof CHILD_ENTRIES): string[] {
  const dir = inject('childBundleDir')
  return dir ? [join(dir, `${name}.js`)] : ['--import', 'tsx', join(ROOT, CHILD_ENTRIES[name])]
}
