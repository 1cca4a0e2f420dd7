import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as verify from '../src/verify.js'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

/** Every module `entry` reaches by static or dynamic import: files below src/, packages by name. */
function importGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s(?!type\b)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = (m[1] ?? m[2])!
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')))
      else packages.add(spec)
    }
  }
  visit(join(SRC, entry))
  return { files: [...files].map((f) => relative(SRC, f)).sort(), packages: [...packages].sort() }
}

describe('hookline/verify', () => {
  it('reaches only the signature helpers, the errors and node:crypto (no queue, store, nunjucks, undici)', () => {
    const graph = importGraph('verify.ts')
    expect(graph.packages).toEqual(['node:crypto'])
    expect(graph.files.every((f) => f === 'verify.ts' || f === 'errors.ts' || f.startsWith('signature/'))).toBe(true)
  })

  it('signs and verifies like the main entry, bare hex included', () => {
    const body = '{"event":"task.completed"}'
    const signature = verify.sign({ secret: 'your-webhook-secret', body, prefix: '' })
    expect(signature).toMatch(/^[0-9a-f]{64}$/)
    expect(verify.verifySignature({ secret: 'your-webhook-secret', body, signature })).toBe(true)
    expect(verify.verifySignature({ secret: 'your-webhook-secret', body, signature: `sha256=${signature}` })).toBe(true)
  })
})
