import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, memoryStore, type WebhookManager } from '../../src/index.js'
import type { ManagementHandler } from '../../src/management/create-management-handler.js'
import {
  expectAnswerShape,
  expectPrototypeUntouched,
  fuzzParams,
  fuzzTimeout,
  nastyJson,
  nastyString,
  prototypeSnapshot,
  withinHangBound,
} from './fuzz-settings.js'

let manager: WebhookManager
let api: ManagementHandler
let ids: { webhook: string; hook: string; delivery: string }
const unexpected: unknown[] = []

beforeAll(async () => {
  // No socket, no network: the handler is called directly, and test sends go to a stub.
  manager = createWebhookManager({ store: memoryStore(), fetch: async () => new Response('ok') })
  api = createManagementHandler(manager, { authorize: () => true, onError: (e) => unexpected.push(e) })
  const webhook = await manager.createEndpoint({ url: 'https://example.com/hook', events: ['a.*'] })
  const hook = await manager.createIncomingHook({ name: 'in', route: 'r' })
  const { deliveryIds } = await manager.emit('a.b', { n: 1 })
  ids = { webhook: webhook.id, hook: hook.id, delivery: deliveryIds[0]! }
})
afterAll(() => manager.close())

const QUERY_KEYS = ['limit', 'offset', 'status', 'webhook_id', 'since', 'until', 'event', 'include_secret', 'statuses', 'owner', 'x']
const WEBHOOK_FIELDS = ['url', 'events', 'name', 'description', 'method', 'filters', 'headers', 'auth', 'secret', 'signature_scheme', 'active', 'owner', 'timeout_ms', 'retry_policy', 'rate_limit', 'concurrency', 'metadata', 'event_types', 'is_active', 'target_url']

/** `text` percent-encoded; a lone surrogate (which encodeURIComponent refuses) as its WTF-8 bytes. */
function encodeSegment(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return encodeURIComponent(text.replace(/\p{Cs}/gu, '')) + '%ED%A0%80'
  }
}

const segment = fc.oneof(
  fc.constantFrom('webhooks', 'deliveries', 'incoming', 'events', 'event-types', 'stats', 'openapi.json', 'test', 'retry', 'replay', 'pause', 'resume', 'rotate-secret', 'rotate-token', 'logs'),
  nastyString.map(encodeSegment),
  fc.constantFrom('%00', '%ZZ', '%2F', '..', '%C0%AF', ''),
)
/** A path: a real route with its params filled (existing ids or junk), or random segments. */
const pathArb = fc.oneof(
  fc.record({ route: fc.nat(), id: fc.oneof(fc.constantFrom('webhook', 'hook', 'delivery'), segment) }).map(({ route, id }) => {
    const routes = api.routes
    const path = routes[route % routes.length]!.path
    return path.replace(/:([a-z_]+)/g, () => (id === 'webhook' || id === 'hook' || id === 'delivery' ? ids[id] : id))
  }),
  fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
)
const queryArb = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), fc.oneof(nastyString, fc.integer().map(String), fc.constantFrom('true', '-1', '1e400', 'NaN', '2026-01-01', 'dead,failed'))), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`))
const webhookBody = fc
  .dictionary(fc.constantFrom(...WEBHOOK_FIELDS), fc.oneof(nastyJson, nastyString, fc.constant('https://example.com/x'), fc.constant(['a.b', 'a.b'])), { maxKeys: 6 })
  .map((o) => JSON.stringify(o))
const bodyArb = fc.oneof(
  fc.constant(undefined),
  nastyJson.map((v) => JSON.stringify(v)),
  webhookBody,
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.integer({ min: 1, max: 5000 }).map((d) => `{"metadata":{"x":${'['.repeat(d)}${']'.repeat(d)}}}`),
)
const contentType = fc.option(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/merge-patch+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json; charset=latin1', '\u0000'), { nil: undefined })
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND')

describe('management API properties (every route, random requests)', () => {
  it(
    'no 5xx for a client mistake, the structured error shape, nothing stored after a refusal, Object.prototype untouched, no hang',
    async () => {
      const proto = prototypeSnapshot()
      await fc.assert(
        fc.asyncProperty(method, pathArb, queryArb, bodyArb, contentType, async (m, path, query, body, type) => {
          const headers = new Headers()
          if (type !== undefined) {
            try {
              headers.set('content-type', type)
            } catch {
              // a value Headers refuses is not sendable at all
            }
          }
          const withBody = body !== undefined && m !== 'GET' && m !== 'HEAD'
          const before = [(await manager.listEndpoints({ limit: 1000 })).length, (await manager.listIncomingHooks({ limit: 1000 })).length]
          let request: Request
          try {
            request = new Request(`http://api.test/api/v1${path}${query}`, { method: m, headers, body: withBody ? body : undefined })
          } catch {
            return // not a request any client could send (an invalid URL or method)
          }
          const context = `${m} ${path}${query} ${type ?? ''} ${String(body).slice(0, 200)}`
          const response = await withinHangBound(api(request), context)
          await expectAnswerShape(response, context)
          if (response.status >= 400) {
            const after = [(await manager.listEndpoints({ limit: 1000 })).length, (await manager.listIncomingHooks({ limit: 1000 })).length]
            expect(after, `stored after a refusal: ${context}`).toEqual(before)
          }
          expect(unexpected, context).toEqual([])
          expectPrototypeUntouched(proto)
        }),
        fuzzParams(),
      )
    },
    fuzzTimeout(20),
  )
})
