import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { createWebhookManager, isHooklineError, memoryStore } from '../../src/index.js'
import { checkSignature, generateSecret, generateStandardSecret, sign, verifySignature } from '../../src/signature/index.js'
import { expectAnswerShape, expectPrototypeUntouched, fuzzParams, fuzzTimeout, nastyJson, nastyString, prototypeSnapshot, withinHangBound } from './fuzz-settings.js'

const NOW = Date.parse('2026-01-01T00:00:00Z')
const HEX = generateSecret()
const STD = generateStandardSecret()

const headerValue = fc.oneof(nastyString, fc.constantFrom('sha256=', 'sha256=' + 'a'.repeat(64), 'v1,', 'v1,' + 'A'.repeat(44), 'v1a,x', 't=1,v1=00', 'sha256=zz sha256=' + '0'.repeat(64)))
const headersArb = fc.dictionary(
  fc.constantFrom('x-webhook-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'svix-id', 'svix-timestamp', 'svix-signature', 'X-Webhook-Signature'),
  fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })),
  { maxKeys: 5 },
)

describe('verifySignature properties', () => {
  it('never throws for anything a request can carry, and never accepts a signature made with another secret', () => {
    fc.assert(
      fc.property(fc.constantFrom(HEX, STD, [HEX, STD]), fc.option(fc.constantFrom('hmac-sha256' as const, 'standard-webhooks' as const), { nil: undefined }), fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 })), headersArb, fc.option(headerValue, { nil: undefined }), (secret, scheme, body, headers, signature) => {
        const check = checkSignature({ scheme, secret, body, headers, signature, now: () => NOW })
        expect(typeof check.valid).toBe('boolean')
        if (!check.valid) expect(typeof check.message).toBe('string')
        // Random headers never carry a valid signature of this body with these secrets.
        expect(check.valid).toBe(false)
      }),
      fuzzParams(),
    )
  })

  it('what sign() makes, verifySignature() accepts with or without the scheme, and refuses for any other body', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.constantFrom('hmac-sha256' as const, 'standard-webhooks' as const), (body, other, scheme) => {
        const secret = scheme === 'standard-webhooks' ? STD : HEX
        const timestamp = NOW / 1000
        const value = sign({ scheme, secret, body, id: 'msg_1', timestamp })
        const headers = scheme === 'standard-webhooks' ? { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': value } : { 'x-webhook-signature': value }
        expect(verifySignature({ secret, body, headers, now: () => NOW })).toBe(true)
        expect(verifySignature({ scheme, secret, body, headers, now: () => NOW })).toBe(true)
        if (other !== body) expect(verifySignature({ secret, body: other, headers, now: () => NOW })).toBe(false)
      }),
      fuzzParams(),
    )
  })
})

const manager = createWebhookManager({ store: memoryStore(), clock: { now: () => NOW } })
afterAll(() => manager.close())

/** Templates from the language's pieces: tags, filters, names, and text that breaks them. */
const piece = fc.oneof(
  fc.constantFrom('{{ a }}', '{{ a.b }}', '{{ a | upper }}', '{{ a | default("x") }}', '{% if a %}y{% endif %}', '{% for i in a %}{{ i }}{% endfor %}', '{{ a | dump }}', '{{ "x" ~ a }}', '{{ a[0] }}'),
  fc.constantFrom('{{', '}}', '{%', '%}', '{{ constructor }}', '{{ a.constructor.constructor("return process")() }}', '{{ __proto__ }}', '{% raw %}', '{# c', '{{ range(1e9) }}', "{{ 'x' * 100000000 }}", '{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}'),
  nastyString,
)
const templateArb = fc.oneof(fc.array(piece, { maxLength: 5 }).map((parts) => parts.join('')), fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.array(piece, { maxLength: 3 }).map((p) => p.join('')), { maxKeys: 3 }))

describe('template properties (incoming transforms)', () => {
  it(
    'a template is saved or refused with a ValidationError; a saved one renders or answers 422, never 5xx',
    async () => {
      const proto = prototypeSnapshot()
      manager.onIncoming('r', () => ({ ok: true }))
      const handler = manager.incomingHandler()
      // Start the render process first: its cold start is not a hang.
      const warm = await manager.createIncomingHook({ name: 'warm', route: 'r', transform: '{{ a }}' })
      expect((await handler(new Request(`http://hooks.test${warm.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }))).status).toBe(200)
      // Rendering runs in a separate process: a tenth of the runs render, every run validates.
      let rendered = 0
      await fc.assert(
        fc.asyncProperty(templateArb, nastyJson, async (transform, payload) => {
          const context = JSON.stringify(transform).slice(0, 300)
          const hook = await manager.createIncomingHook({ name: 't', route: 'r', transform, rateLimitPerMinute: 100_000 }).catch((e: unknown) => e)
          if (hook instanceof Error) {
            expect(isHooklineError(hook) && hook.code === 'VALIDATION_ERROR', `${context}: ${String(hook)}`).toBe(true)
            return
          }
          const path = (hook as { path: string; id: string }).path
          if (rendered++ % 10 === 0) {
            const request = new Request(`http://hooks.test${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) })
            const response = await withinHangBound(handler(request), context)
            if (response.status !== 503) await expectAnswerShape(response, context)
          }
          await manager.deleteIncomingHook((hook as { id: string }).id)
          expectPrototypeUntouched(proto)
        }),
        fuzzParams(),
      )
    },
    fuzzTimeout(60),
  )
})
