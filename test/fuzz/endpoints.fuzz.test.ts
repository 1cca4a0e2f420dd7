import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { createWebhookManager, isHooklineError, memoryStore, ValidationError } from '../../src/index.js'
import { expectPrototypeUntouched, fuzzParams, fuzzTimeout, nastyJson, nastyString, prototypeSnapshot, withinHangBound } from './fuzz-settings.js'

const manager = createWebhookManager({ store: memoryStore(), fetch: async () => new Response('ok') })
afterAll(() => manager.close())

const FIELDS = ['url', 'events', 'name', 'description', 'method', 'filters', 'headers', 'auth', 'secret', 'signatureScheme', 'active', 'owner', 'timeoutMs', 'retryPolicy', 'rateLimit', 'concurrency', 'metadata', 'colour']
const value = fc.oneof(
  nastyJson,
  nastyString,
  fc.constantFrom('https://example.com/h', 'http://[::1]:1/x', 'ftp://x', 'https://u:p@example.com', 'https://example.com/\r\nx'),
  fc.constantFrom(['a.b'], ['a.*', 'a.*'], ['*'], [''], ['a..b']),
  fc.constantFrom({ type: 'bearer', token: 't' }, { type: 'basic', username: 'u', password: '\u0000' }, { type: 'hmac', secret: 'short' }),
  fc.constantFrom({ strategy: 'expo' }, { maxAttempts: 0 }, { strategy: 'schedule' }, { max: 1 }),
  fc.bigInt().map((n) => ({ n })),
  fc.integer({ min: 30, max: 400 }).map((d) => ({ deep: JSON.parse('['.repeat(d) + ']'.repeat(d)) as unknown })),
)
/** Mostly-valid inputs with a few fields replaced by random values, or random objects. */
const input = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }).map((extra) => ({ url: 'https://example.com/hook', events: ['a.b'], ...extra })),
  fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }),
  nastyJson,
)

describe('endpoint create / update properties (library)', () => {
  it(
    'createEndpoint / updateEndpoint either succeed or throw a ValidationError naming fields; a refusal stores nothing',
    async () => {
      const proto = prototypeSnapshot()
      const base = await manager.createEndpoint({ url: 'https://example.com/base', events: ['a.b'], metadata: { keep: 1 } })
      await fc.assert(
        fc.asyncProperty(input, input, async (create, update) => {
          const before = (await manager.listEndpoints({ limit: 1000 })).length
          const context = JSON.stringify(create, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))?.slice(0, 300)
          const created = await withinHangBound(manager.createEndpoint(create as never), `createEndpoint ${context}`).catch((e: unknown) => e)
          if (created instanceof Error) {
            expect(created, `${context}: ${String(created)}`).toBeInstanceOf(ValidationError)
            expect((created as ValidationError).fields.length, context).toBeGreaterThan(0)
            expect((await manager.listEndpoints({ limit: 1000 })).length, context).toBe(before)
          } else {
            // What was stored is JSON and can be read back.
            const id = (created as { id: string }).id
            expect(JSON.parse(JSON.stringify(await manager.getEndpoint(id)))).toBeTruthy()
            await manager.deleteEndpoint(id) // keeps the store small, so each run costs the same
          }
          const previous = await manager.getEndpoint(base.id)
          const updated = await withinHangBound(manager.updateEndpoint(base.id, update as never), 'updateEndpoint').catch((e: unknown) => e)
          if (updated instanceof Error) {
            expect(isHooklineError(updated) && updated.code === 'VALIDATION_ERROR', String(updated)).toBe(true)
            expect(await manager.getEndpoint(base.id)).toEqual(previous)
          }
          expectPrototypeUntouched(proto)
        }),
        fuzzParams(),
      )
    },
    fuzzTimeout(10),
  )
})
