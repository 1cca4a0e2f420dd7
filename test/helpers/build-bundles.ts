import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import type { TestProject } from 'vitest/node'
import { CHILD_ENTRIES } from './child-entry.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory of the bundled child programs (`cli.js`, `worker.js`). */
    childBundleDir: string
  }
}

/**
 * Vitest global setup: bundles the CLI and the durable tests' worker process once, so each child
 * process starts plain JavaScript instead of compiling the sources through tsx (seconds per start
 * on a loaded machine, which made the CLI and multi-worker tests time out). The bundle sits two
 * levels under the repository root, like `src/console/`, so its relative paths and `node_modules`
 * resolve as from the sources; packages stay external.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const parent = join(ROOT, '.tmp')
  mkdirSync(parent, { recursive: true })
  const outDir = mkdtempSync(join(parent, 'child-bundles-'))
  await build({
    config: false,
    entry: Object.fromEntries(Object.entries(CHILD_ENTRIES).map(([name, path]) => [name, join(ROOT, path)])),
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    splitting: true,
    dts: false,
    sourcemap: true,
    skipNodeModulesBundle: true,
    silent: true,
  })
  project.provide('childBundleDir', outDir)
  return () => rmSync(outDir, { recursive: true, force: true })
}
