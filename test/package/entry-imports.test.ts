import { describe, expect, it } from 'vitest'
import { importGraph } from '../helpers/import-graph.js'

// What `import('hookline')` evaluates: the template engine and the HTTP client load on first use
// (a template checked or rendered, a transport made), so receivers and tools that only import the
// package do not pay for them. Import times are measured in bench/startup.ts.
describe('the main entry', () => {
  it('imports neither nunjucks nor undici statically; both are loaded where they are used', () => {
    const graph = importGraph('index.ts', { dynamic: false })
    expect(graph.packages).not.toContain('nunjucks')
    expect(graph.packages).not.toContain('undici')
    expect(graph.files).toContain('incoming/template-check.ts')
    expect(graph.files).toContain('dispatch/undici-module.ts')
  })

  it('imports neither ofetch nor @opentelemetry/api statically: a manager loads them on its first send, emit or start', () => {
    for (const entry of ['index.ts', 'cli/commands/endpoints.ts', 'cli/open-manager.ts']) {
      const graph = importGraph(entry, { dynamic: false })
      expect(graph.packages).not.toContain('ofetch')
      expect(graph.packages).not.toContain('@opentelemetry/api')
      expect(graph.files).not.toContain('dispatch/send-request.ts')
    }
    expect(importGraph('index.ts').packages).toEqual(expect.arrayContaining(['ofetch', '@opentelemetry/api']))
  })
})
