import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

/**
 * Every module `entry` (a path below src/) reaches: files below src/, packages by name. Follows
 * static imports and re-exports (`import type` excluded), and `import('…')` unless `dynamic` is
 * false — what a module loads when it is imported, as opposed to what it may load later.
 */
export function importGraph(entry: string, options: { dynamic?: boolean } = {}): { files: string[]; packages: string[] } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const pattern =
    options.dynamic === false
      ? /(?:^|\n)\s*(?:import|export)\s(?!type\b)[^'"]*?from\s+'([^']+)'|(?:^|\n)\s*import\s+'([^']+)'/g
      : /(?:^|\n)\s*(?:import|export)\s(?!type\b)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(pattern)) {
      const spec = (m[1] ?? m[2])!
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')))
      else packages.add(spec)
    }
  }
  visit(join(SRC, entry))
  return { files: [...files].map((f) => relative(SRC, f)).sort(), packages: [...packages].sort() }
}
