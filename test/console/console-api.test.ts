import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as v from 'valibot'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConsoleHandler, createWebhookManager, memoryStore, type WebhookManager, type WebhookStore } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { createPgTestContext, PG_URL, pgAvailable } from '../helpers/pg.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { apiClient, serve, type TestServer } from '../management/helpers.js'
import { buildAssets } from './browser.js'
import { allowLoopback } from '../helpers/egress.js'

// The console's server side on every store: the page and its assets under a strict CSP, the API it
// mounts, and portal links that confine every call to one tenant.
const pgCtx = createPgTestContext()
let tmp: string
let assets: Awaited<ReturnType<typeof buildAssets>>

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hookline-console-api-'))
  assets = await buildAssets()
})
afterAll(async () => {
  await pgCtx.dispose()
  await assets?.remove()
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

const stores: [string, boolean, () => WebhookStore][] = [
  ['memory', true, () => memoryStore()],
  ['sqlite', true, () => sqliteStore({ filename: join(tmp, `c-${Math.random().toString(36).slice(2)}.db`) })],
  ['postgres', pgAvailable, () => postgresStore({ connectionString: PG_URL, schema: pgCtx.schema(), max: 4 })],
]

describe.each(stores)('console handler (%s store)', (_name, available, makeStore) => {
  let manager: WebhookManager
  let receiver: Receiver
  let server: TestServer
  let call: ReturnType<typeof apiClient>
  let acmeHook: string
  let globexHook: string
  let globexDelivery: string
  let acmeDelivery: string

  beforeAll(async () => {
    if (!available) return
    receiver = await startReceiver()
    receiver.respond((req) => (req.url.includes('globex') ? { status: 500, body: 'down' } : { status: 200 }))
    manager = createWebhookManager({ egress: allowLoopback, store: makeStore(), pollIntervalMs: 50, retryPolicy: { maxAttempts: 1 } })
    manager.registerEventType('order.paid', { description: 'Paid.', schema: v.object({ n: v.number() }) })
    await manager.start()
    server = await serve(createConsoleHandler(manager, { authorize: (req) => req.headers.get('x-operator') === 'yes', assetsDir: assets.dir }))
    call = apiClient(`${server.url}/console`)
    acmeHook = (await manager.createEndpoint({ url: `${receiver.url}/acme`, events: ['order.*'], owner: 'acme' })).id
    globexHook = (await manager.createEndpoint({ url: `${receiver.url}/globex`, events: ['order.*'], owner: 'globex' })).id
    acmeDelivery = (await manager.emit('order.paid', { n: 1 }, { owner: 'acme' })).deliveryIds[0]!
    globexDelivery = (await manager.emit('order.paid', { n: 2 }, { owner: 'globex' })).deliveryIds[0]!
    await receiver.waitFor(2, 10_000)
    for (let i = 0; i < 100; i++) {
      const [a, g] = await Promise.all([manager.store.getDelivery(acmeDelivery), manager.store.getDelivery(globexDelivery)])
      if (a?.status === 'succeeded' && g?.status === 'dead') break
      await new Promise((r) => setTimeout(r, 50))
    }
  })
  afterAll(async () => {
    await server?.close()
    await manager?.close()
    await receiver?.close()
  })

  it.skipIf(!available)('serves the page and its assets with a strict CSP, without asking authorize', async () => {
    const page = await fetch(`${server.url}/console/`)
    expect(page.status).toBe(200)
    const csp = page.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    const html = await page.text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/<style|style=/)
    const js = await fetch(`${server.url}/console/assets/app.js`)
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    const etag = js.headers.get('etag')!
    expect((await fetch(`${server.url}/console/assets/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304)
    expect((await fetch(`${server.url}/console/assets/../../etc/passwd`)).status).toBe(404)
    expect((await fetch(`${server.url}/console/assets/missing.js`)).status).toBe(404)
    const redirect = await fetch(`${server.url}/console`, { redirect: 'manual' })
    expect(redirect.status).toBe(308)
    expect(redirect.headers.get('location')).toBe('/console/')
  })

  it.skipIf(!available)('asks authorize for operator API calls and the session', async () => {
    expect((await call('GET', '/api/webhooks')).status).toBe(401)
    expect((await call('GET', '/session')).status).toBe(401)
    const session = await call('GET', '/session', undefined, { 'x-operator': 'yes' })
    expect(session.body).toEqual({ mode: 'operator', owner: null, expires_at: null })
    const list = await call('GET', '/api/webhooks', undefined, { 'x-operator': 'yes' })
    expect(list.body.webhooks.map((w: { id: string }) => w.id).sort()).toEqual([acmeHook, globexHook].sort())
  })

  it.skipIf(!available)('confines a portal token to its tenant: other tenants’ ids read as not found', async () => {
    const { token } = manager.portalLink({ owner: 'acme', expiresIn: 60_000 })
    const auth = { authorization: `Bearer ${token}` }
    expect((await call('GET', '/session', undefined, auth)).body).toMatchObject({ mode: 'portal', owner: 'acme' })
    const list = await call('GET', '/api/webhooks', undefined, auth)
    expect(list.body.webhooks.map((w: { id: string }) => w.id)).toEqual([acmeHook])
    expect((await call('GET', `/api/webhooks/${acmeHook}`, undefined, auth)).status).toBe(200)
    expect((await call('GET', `/api/webhooks/${acmeHook}/deliveries/${acmeDelivery}`, undefined, auth)).status).toBe(200)
    // Every way to another tenant's records answers 404, and nothing changes.
    for (const [method, path] of [
      ['GET', `/api/webhooks/${globexHook}`],
      ['GET', `/api/webhooks/${globexHook}/deliveries`],
      ['GET', `/api/webhooks/${globexHook}/stats`],
      ['GET', `/api/webhooks/${globexHook}/timeline`],
      ['GET', `/api/webhooks/${globexHook}/breaker`],
      ['GET', `/api/deliveries/${globexDelivery}`],
      ['POST', `/api/deliveries/${globexDelivery}/retry`],
      ['POST', `/api/webhooks/${globexHook}/pause`],
      ['POST', `/api/webhooks/${globexHook}/rotate-secret`],
      ['DELETE', `/api/webhooks/${globexHook}`],
      ['GET', `/api/webhooks/${acmeHook}/deliveries/${globexDelivery}`],
    ] as const) {
      const res = await call(method, path, undefined, auth)
      expect(res.status, `${method} ${path}`).toBe(404)
    }
    expect((await manager.getEndpoint(globexHook)).status).toBe('active')
    expect((await call('GET', '/api/deliveries', undefined, auth)).body.deliveries.map((d: { id: string }) => d.id)).toEqual([acmeDelivery])
    // A tenant creates webhooks for itself only.
    const created = await call('POST', '/api/webhooks', { url: `${receiver.url}/acme2`, events: ['order.paid'] }, auth)
    expect(created.body.owner).toBe('acme')
    expect((await call('POST', '/api/webhooks', { url: `${receiver.url}/x`, events: ['order.paid'], owner: 'globex' }, auth)).status).toBe(403)
    // Operator-only operations are refused in the portal.
    expect((await call('POST', '/api/events', { event: 'order.paid', data: {} }, auth)).status).toBe(403)
    expect((await call('GET', '/api/metrics', undefined, auth)).status).toBe(403)
  })

  it.skipIf(!available)('lists the event catalog with each type’s JSON schema', async () => {
    const types = await call('GET', '/api/event-types', undefined, { 'x-operator': 'yes' })
    expect(types.body.event_types).toMatchObject([
      { name: 'order.paid', description: 'Paid.', has_schema: true, schema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } },
    ])
  })

  it.skipIf(!available)('refuses tampered, foreign and expired portal tokens with 401', async () => {
    const { token } = manager.portalLink({ owner: 'acme', expiresIn: 60_000 })
    const [prefix, payload, mac] = token.split('.') as [string, string, string]
    const forged = `${prefix}.${Buffer.from(JSON.stringify({ o: 'globex', e: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')}.${mac}`
    const other = createWebhookManager({ egress: allowLoopback, portalSecret: 'another-secret-another-secret-another' }).portalLink({ owner: 'acme', expiresIn: 60_000 }).token
    for (const bad of [forged, other, `${prefix}.${payload}.${mac.slice(0, -2)}xx`, 'hlp1.x.y']) {
      const res = await call('GET', '/api/webhooks', undefined, { authorization: `Bearer ${bad}` })
      expect(res.status, bad).toBe(401)
      expect(res.body.error.code).toBe('UNAUTHORIZED')
    }
  })

  it.skipIf(!available)('answers breaker state, a timeline and Prometheus metrics', async () => {
    const op = { 'x-operator': 'yes' }
    const breaker = await call('GET', `/api/webhooks/${globexHook}/breaker`, undefined, op)
    expect(breaker.body).toMatchObject({ webhook_id: globexHook, state: 'closed', consecutive_failures: 1, retry_at: null })
    const timeline = await call('GET', `/api/webhooks/${globexHook}/timeline?buckets=4`, undefined, op)
    expect(timeline.status).toBe(200)
    expect(timeline.body.buckets).toHaveLength(4)
    const last = timeline.body.buckets[3]
    expect(last).toMatchObject({ dead: 1, success_rate: 0, attempts: 1 })
    expect(last.p95_duration_ms).toBeGreaterThanOrEqual(0)
    expect((await call('GET', `/api/webhooks/${globexHook}/timeline?since=2030-01-01T00:00:00Z&until=2029-01-01T00:00:00Z`, undefined, op)).status).toBe(400)
    const metrics = await fetch(`${server.url}/console/api/metrics`, { headers: op })
    expect(metrics.headers.get('content-type')).toContain('text/plain')
    const text = await metrics.text()
    expect(text).toContain('hookline_delivery_attempts_total{outcome="succeeded"} 1')
    expect(text).toContain('hookline_delivery_attempts_total{outcome="dead"} 1')
    expect(text).toContain('hookline_attempt_duration_seconds_count 2')
    expect(text).toContain('hookline_emitted_messages_total 2')
  })
})
