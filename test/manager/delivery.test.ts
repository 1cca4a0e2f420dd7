import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { createWebhookManager, memoryStore, verifySignature, type WebhookManager } from '../../src/index.js'
import { eventually } from '../helpers/receiver.js'
import { useDeliveryFixture } from '../helpers/delivery-fixture.js'

const fx = useDeliveryFixture()
/** The test's main manager (made with `fx.manage`, closed by the fixture). */
let manager: WebhookManager
const fast = { strategy: 'fixed' as const, initialDelayMs: 30, jitter: 0 }

describe('outgoing delivery', () => {
  it('signaturePrefix: "" (endpoint or manager) sends the bare hex seed 002 compares; verifySignature accepts both forms', async () => {
    manager = fx.manage({ pollIntervalMs: 50, signaturePrefix: '' })
    await manager.start()
    const bare = await manager.createEndpoint({ url: fx.receiver.url, events: ['a.bare'] })
    const prefixed = await manager.createEndpoint({ url: fx.receiver.url, events: ['a.prefixed'], signaturePrefix: 'sha256=' })
    expect(bare.signaturePrefix).toBeNull()
    expect(prefixed.signaturePrefix).toBe('sha256=')
    await manager.emit('a.bare', { n: 1 })
    const [b] = await fx.receiver.waitFor(1)
    const hexOf = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex')
    expect(b!.headers['x-webhook-signature']).toBe(hexOf(bare.secret!, b!.rawBody))
    expect(verifySignature({ secret: bare.secret!, body: b!.rawBody, headers: b!.headers })).toBe(true)
    await manager.emit('a.prefixed', { n: 2 })
    const [, p] = await fx.receiver.waitFor(2)
    expect(p!.headers['x-webhook-signature']).toBe('sha256=' + hexOf(prefixed.secret!, p!.rawBody))
    expect(verifySignature({ secret: prefixed.secret!, body: p!.rawBody, headers: p!.headers })).toBe(true)
    // Back to the manager's default, and refusals of prefixes that would break the header.
    expect((await manager.updateEndpoint(prefixed.id, { signaturePrefix: null })).signaturePrefix).toBeNull()
    await expect(manager.createEndpoint({ url: fx.receiver.url, events: ['x'], signaturePrefix: 'sha 256=' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR', fields: [{ field: 'signaturePrefix' }] })
    expect(() => createWebhookManager({ signaturePrefix: 'a,b' })).toThrow(/signaturePrefix/)
  })

  it('.emit() reaches a real receiver with a signature standardwebhooks and node:crypto accept', async () => {
    manager = fx.manage({ pollIntervalMs: 50 })
    await manager.start()
    const std = await manager.createEndpoint({ url: fx.receiver.url, events: ['agent.*'], signatureScheme: 'standard-webhooks' })
    const hmac = await manager.createEndpoint({ url: fx.receiver.url, events: ['agent.created'], headers: { 'X-Tenant': 'acme' } })
    const res = await manager.emit('agent.created', { agent_id: 'agent_123', agent_name: 'Bot' }, { metadata: { source: 'test' } })
    expect(res.deliveryIds).toHaveLength(2)
    const got = await fx.receiver.waitFor(2)
    const byScheme = (scheme: string) => got.find((r) => (scheme === 'std' ? r.headers['webhook-signature'] : r.headers['x-webhook-signature']))!

    const s = byScheme('std')
    const payload = s.rawBody.toString('utf8')
    expect(() => new Webhook(std.secret!).verify(payload, s.headers as Record<string, string>)).not.toThrow()
    expect(verifySignature({ scheme: 'standard-webhooks', secret: std.secret!, body: s.rawBody, headers: s.headers })).toBe(true)
    expect(s.body).toMatchObject({ id: res.messageId, event: 'agent.created', webhook_id: std.id, data: { agent_id: 'agent_123' }, metadata: { source: 'test' } })

    const h = byScheme('hmac')
    const expected = 'sha256=' + createHmac('sha256', hmac.secret!).update(h.rawBody).digest('hex')
    expect(h.headers['x-webhook-signature']).toBe(expected)
    expect(h.headers).toMatchObject({
      'content-type': 'application/json',
      'x-webhook-event': 'agent.created',
      'x-webhook-id': res.messageId,
      'x-tenant': 'acme',
    })
    expect(h.headers['user-agent']).toMatch(/^hookline\//)
    expect(Date.parse(h.headers['x-webhook-timestamp'] as string)).not.toBeNaN()
  })

  it('a receiver that fails twice then succeeds yields three logged attempts and a success', async () => {
    manager = fx.manage({ pollIntervalMs: 50, retryPolicy: fast })
    fx.receiver.respond((_r, i) => (i < 2 ? { status: 500, body: 'nope' } : { status: 200, body: 'thanks' }))
    await manager.start()
    const ep = await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    const { deliveryIds } = await manager.emit('order.paid', { id: 1 })
    await fx.receiver.waitFor(3)
    const detail = await eventually(async () => {
      const d = await manager.getDelivery(deliveryIds[0]!)
      return d.status === 'succeeded' ? d : null
    })
    expect(detail.attempts).toBe(3)
    expect(detail.attemptLog.map((a) => [a.attempt, a.responseStatus, a.succeeded])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ])
    expect(detail.attemptLog[0]).toMatchObject({ error: 'HTTP 500 Internal Server Error', responseBody: 'nope', method: 'POST', url: fx.receiver.url })
    expect(detail.attemptLog[2]!.responseBody).toBe('thanks')
    // the same bytes every time: the message id and body do not change between attempts
    const bodies = new Set(fx.receiver.requests.map((r) => r.rawBody.toString()))
    expect(bodies.size).toBe(1)
    const stats = await manager.getStats(ep.id)
    expect(stats).toMatchObject({ total: 1, succeeded: 1, attempts: 3, successRate: 1 })
  })

  it('gives up after maxAttempts and marks the delivery dead', async () => {
    manager = fx.manage({ pollIntervalMs: 50, retryPolicy: { ...fast, maxAttempts: 2 }, breaker: { enabled: false } })
    fx.receiver.respond(() => ({ status: 503 }))
    const dead: string[] = []
    manager.on('delivery.dead', (e) => dead.push(e.deliveryId))
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    const { deliveryIds } = await manager.emit('x.y', {})
    await eventually(() => dead.length === 1)
    expect(dead).toEqual(deliveryIds)
    expect((await manager.getDelivery(deliveryIds[0]!)).status).toBe('dead')
    expect(fx.receiver.requests).toHaveLength(2)
  })

  it('a retry runs at its time even when the timer fires early and the claim is slow (not a poll interval later)', async () => {
    // A clock a little slower than the timers (as when a timer fires a millisecond before the
    // clock reaches its time) and a claim that takes a few ms: the retry became due between the
    // claim and the look at the next due time, which the worker took for an excluded endpoint's.
    const store = memoryStore()
    const claim = store.claim.bind(store)
    store.claim = async (request) => {
      const found = await claim(request)
      await new Promise((resolve) => setTimeout(resolve, 10))
      return found
    }
    const t0 = Date.now()
    const pollIntervalMs = 5_000
    manager = fx.manage({
      store,
      clock: { now: () => t0 + (Date.now() - t0) * 0.95 },
      pollIntervalMs,
      retryPolicy: { strategy: 'fixed', initialDelayMs: 200, jitter: 0 },
      breaker: { enabled: false },
    })
    fx.receiver.respond((_req, index) => ({ status: index === 0 ? 503 : 200 }))
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.emit('x.y', {})
    const [first, second] = await fx.receiver.waitFor(2, pollIntervalMs + 3_000)
    expect(second!.receivedAt - first!.receivedAt).toBeLessThan(1_500)
  })

  it('a retry weeks away (past the longest setTimeout) leaves the worker idle, not spinning', async () => {
    const store = memoryStore()
    const claim = store.claim.bind(store)
    let claims = 0
    store.claim = async (request) => {
      claims++
      return claim(request)
    }
    const day = 86_400_000
    manager = fx.manage({ store, pollIntervalMs: 1000, retryPolicy: { retryWindowMs: 60 * day }, breaker: { enabled: false } })
    fx.receiver.respond(() => ({ status: 503, headers: { 'retry-after': new Date(Date.now() + 30 * day).toUTCString() } }))
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.name)
    process.on('warning', onWarning)
    try {
      await manager.start()
      await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
      const { deliveryIds } = await manager.emit('x.y', {})
      const failed = await eventually(async () => {
        const d = await manager.getDelivery(deliveryIds[0]!)
        return d.status === 'failed' ? d : null
      })
      expect(failed.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 29 * day)
      const before = claims
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(claims - before).toBeLessThanOrEqual(2) // the poll interval, not a timer firing at once
      expect(warnings).not.toContain('TimeoutOverflowWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })
})
