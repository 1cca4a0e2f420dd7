import { describe, expect, it } from 'vitest'
import * as verify from '../src/verify.js'
import { importGraph } from './helpers/import-graph.js'

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
