import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebhookManager, memoryStore, sign, type WebhookManager } from '../../src/index.js'
import { generateStandardSecret } from '../../src/signature/index.js'
import { expectAnswerShape, expectPrototypeUntouched, fuzzParams, fuzzTimeout, nastyJson, nastyString, prototypeSnapshot, withinHangBound } from './fuzz-settings.js'

let manager: WebhookManager
let handler: (request: Request, connection?: { remoteAddress?: string }) => Promise<Response>
const NOW = Date.parse('2026-01-01T00:00:00Z')
const STD = generateStandardSecret()
const paths: string[] = []
const unexpected: unknown[] = []

beforeAll(async () => {
  manager = createWebhookManager({ store: memoryStore(), clock: { now: () => NOW } })
  manager.onIncoming('r', (event) => ({ got: typeof event.body }))
  manager.onIncoming('throws', () => {
    throw Object.assign(new Error('nope'), { status: 422 })
  })
  handler = manager.incomingHandler({ onError: (e) => unexpected.push(e), unknownTokenLogsPerMinute: 1_000_000 })
  const hooks = await Promise.all([
    manager.createIncomingHook({ name: 'open', route: 'r', rateLimitPerMinute: 100_000 }),
    manager.createIncomingHook({ name: 'std', route: 'r', rateLimitPerMinute: 100_000, verification: { type: 'standard-webhooks', secret: STD }, dedupeWindowMs: 60_000 }),
    manager.createIncomingHook({ name: 'gh', route: 'r', rateLimitPerMinute: 100_000, verification: { type: 'github', secret: 'gh-secret' } }),
    manager.createIncomingHook({ name: 'stripe', route: 'r', rateLimitPerMinute: 100_000, verification: { type: 'stripe', secret: 'whsec_stripe' } }),
    manager.createIncomingHook({ name: 'hmac', route: 'throws', rateLimitPerMinute: 100_000, verification: { type: 'hmac', secret: 's', header: 'x-sig', encoding: 'base64', prefix: 'v=' } }),
    manager.createIncomingHook({ name: 'small', route: 'r', rateLimitPerMinute: 100_000, maxBodyBytes: 64, allowedIps: ['127.0.0.0/8'] }),
    manager.createIncomingHook({ name: 'tpl', route: 'r', rateLimitPerMinute: 100_000, transform: { v: '{{ a }}', n: '{{ b | default(1) }}' } }),
  ])
  for (const hook of hooks) paths.push(hook.path!)
  // Start the render process before timing anything: its cold start is not a hang.
  const warm = await handler(new Request(`http://hooks.test${hooks[6]!.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }))
  expect(warm.status).toBe(200)
})
afterAll(() => manager.close())

const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/cloudevents+json', 'text/json', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', '']
const bodyArb = fc.oneof(
  nastyJson.map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(fc.tuple(nastyString, nastyString), { maxLength: 30 }).map((pairs) => new URLSearchParams(pairs).toString()),
  fc.integer({ min: 900, max: 3000 }).map((n) => Array.from({ length: n }, () => 'a=1').join('&')),
  fc.integer({ min: 1, max: 20_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
)
/** Signature headers: right ones (for some hooks), wrong ones and junk. */
const signatureHeaders = (body: string) =>
  fc.oneof(
    fc.constant({} as Record<string, string>),
    fc.constant({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW / 1000), 'webhook-signature': sign({ scheme: 'standard-webhooks', secret: STD, body, id: 'msg_1', timestamp: NOW / 1000 }) }),
    fc.constant({ 'x-hub-signature-256': `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`, 'x-github-delivery': 'd1' }),
    fc.constant({ 'stripe-signature': `t=${NOW / 1000},v1=${createHmac('sha256', 'whsec_stripe').update(`${NOW / 1000}.${body}`).digest('hex')}` }),
    fc.constant({ 'x-sig': `v=${createHmac('sha256', 's').update(body).digest('base64')}` }),
    fc.dictionary(
      fc.constantFrom('webhook-id', 'webhook-timestamp', 'webhook-signature', 'svix-signature', 'x-hub-signature-256', 'stripe-signature', 'x-sig', 'x-forwarded-for', 'content-length', 'idempotency-key'),
      fc.oneof(nastyString, fc.constantFrom('v1,', 'sha256=zz', 't=1,v1=00', 'v1,' + 'A'.repeat(44), String(NOW / 1000), '-1', '99999999999999999999')),
      { maxKeys: 4 },
    ),
  )

describe('incoming handler properties (tokens, bodies, headers, content types, signature headers)', () => {
  it(
    'no 5xx for a sender mistake, the structured error shape, Object.prototype untouched, no hang',
    async () => {
      const proto = prototypeSnapshot()
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.nat().map((i) => paths[i % paths.length]!), nastyString.map((t) => `/webhook/${t}`), fc.constantFrom('/webhook/', '/webhook', '/other/x', '/webhook/whk_' + 'a'.repeat(40))),
          fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE'),
          fc.constantFrom(...CONTENT_TYPES),
          bodyArb,
          fc.option(fc.constantFrom('127.0.0.1', '10.0.0.1', '::1', 'garbage'), { nil: undefined }),
          async (path, method, type, body, remoteAddress) => {
            const headerSets = fc.sample(signatureHeaders(body), { numRuns: 1, seed: body.length })[0]!
            const headers = new Headers()
            if (type !== '') headers.set('content-type', type)
            for (const [name, value] of Object.entries(headerSets)) {
              try {
                headers.set(name, value)
              } catch {
                // a value no client can send
              }
            }
            let request: Request
            try {
              request = new Request(`http://hooks.test${path.startsWith('/') ? '' : '/'}${path}`, { method, headers, body: method === 'GET' ? undefined : body })
            } catch {
              return
            }
            const context = `${method} ${path} ${type} ${JSON.stringify(headerSets).slice(0, 200)} ${body.slice(0, 120)}`
            const response = await withinHangBound(handler(request, { remoteAddress }), context)
            await expectAnswerShape(response, context)
            expect(unexpected, context).toEqual([])
            expectPrototypeUntouched(proto)
          },
        ),
        fuzzParams(),
      )
    },
    fuzzTimeout(30),
  )
})
