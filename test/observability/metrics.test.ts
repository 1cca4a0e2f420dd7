import { afterEach, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, toPrometheusText, type WebhookManager } from '../../src/index.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { allowLoopback } from '../helpers/egress.js'

let manager: WebhookManager | undefined
let receiver: Receiver | undefined
afterEach(async () => {
  await manager?.close()
  await receiver?.close()
  manager = receiver = undefined
})

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(manager?.getMetrics())}`)
}

describe('.getMetrics()', () => {
  it('counts emits, outcomes, latency, breakers and incoming requests', async () => {
    receiver = await startReceiver()
    receiver.respond((req) => (req.url.includes('bad') ? { status: 500 } : { status: 200 }))
    manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50, retryPolicy: { maxAttempts: 2, initialDelayMs: 0, jitter: 0 }, breaker: { failureThreshold: 2, cooldownMs: 60_000 } })
    await manager.start()
    const good = await manager.createEndpoint({ url: `${receiver.url}/good`, events: ['a.b'] })
    const bad = await manager.createEndpoint({ url: `${receiver.url}/bad`, events: ['a.b'] })
    const before = manager.getMetrics()
    expect(before.deliveries).toEqual({ succeeded: 0, failed: 0, dead: 0 })
    await manager.emit('a.b', {})
    await until(() => manager!.getMetrics().deliveries.dead === 1, 'the dead delivery')
    const m = manager.getMetrics()
    expect(m.emitted).toEqual({ messages: 1, deliveries: 2 })
    expect(m.deliveries).toEqual({ succeeded: 1, failed: 1, dead: 1 })
    expect(m.attemptDuration.count).toBe(3)
    expect(m.attemptDuration.counts.at(-1)).toBeLessThanOrEqual(3)
    expect(m.breakers).toEqual({ closed: 1, open: 1, halfOpen: 0 })
    expect(await manager.getBreakerState(bad.id)).toMatchObject({ state: 'open', consecutiveFailures: 2 })
    expect(await manager.getBreakerState(good.id)).toMatchObject({ state: 'closed', retryAt: null })
    expect(m.queue).toEqual({ held: 0, active: 0 })
    // A test send is not a worker attempt.
    await manager.testEndpoint(good.id)
    expect(manager.getMetrics().deliveries.succeeded).toBe(1)
    const incoming = manager.incomingHandler()
    await incoming(new Request('http://localhost/webhook/nope', { method: 'POST', body: '{}' }))
    expect(manager.getMetrics().incoming.requests).toEqual({ '404': 1 })
  })

  it('emits breaker.halfOpen when the cooldown ends', async () => {
    receiver = await startReceiver()
    receiver.respond(() => ({ status: 500 }))
    manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50, retryPolicy: { maxAttempts: 1 }, breaker: { failureThreshold: 1, cooldownMs: 200 } })
    const seen: string[] = []
    manager.on('breaker.opened', () => seen.push('opened'))
    manager.on('breaker.halfOpen', ({ endpointId }) => seen.push(`halfOpen ${endpointId}`))
    await manager.start()
    const ep = await manager.createEndpoint({ url: `${receiver.url}/x`, events: ['a.b'] })
    await manager.emit('a.b', {})
    await until(() => seen.length >= 2, 'the half-open transition')
    expect(seen).toEqual(['opened', `halfOpen ${ep.id}`])
    expect((await manager.getBreakerState(ep.id)).state).toBe('half-open')
  })
})

describe('GET /metrics', () => {
  it('renders the snapshot in the Prometheus text format, behind authorize', async () => {
    manager = createWebhookManager({ egress: allowLoopback })
    const api = createManagementHandler(manager, { authorize: (req) => (req.headers.get('x-key') === 'op' ? true : req.headers.get('x-key') === 't' ? { owner: 't' } : false) })
    expect((await api(new Request('http://h/api/v1/metrics'))).status).toBe(401)
    expect((await api(new Request('http://h/api/v1/metrics', { headers: { 'x-key': 't' } }))).status).toBe(403)
    const res = await api(new Request('http://h/api/v1/metrics', { headers: { 'x-key': 'op' } }))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = await res.text()
    expect(text).toContain('# TYPE hookline_attempt_duration_seconds histogram')
    expect(text).toContain('hookline_attempt_duration_seconds_bucket{le="+Inf"} 0')
    expect(text).toContain('hookline_breakers{state="open"} 0')
  })

  it('formats every line as `name{labels} value` with cumulative buckets', () => {
    const text = toPrometheusText({
      emitted: { messages: 3, deliveries: 5 },
      deliveries: { succeeded: 4, failed: 1, dead: 0 },
      attemptDuration: { buckets: [0.1, 1], counts: [2, 5], count: 5, sum: 1.25 },
      queue: { held: 2, active: 1 },
      breakers: { closed: 3, open: 1, halfOpen: 0 },
      incoming: { requests: { '202': 7, '401': 1 } },
      takenAt: new Date(),
    })
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))
    for (const line of samples) expect(line).toMatch(/^[a-z_]+(\{[a-z_]+="[^"]*"\})? [0-9.e+-]+$/)
    expect(samples).toContain('hookline_attempt_duration_seconds_bucket{le="0.1"} 2')
    expect(samples).toContain('hookline_attempt_duration_seconds_bucket{le="1"} 5')
    expect(samples).toContain('hookline_attempt_duration_seconds_sum 1.25')
    expect(samples).toContain('hookline_incoming_requests_total{status="401"} 1')
    expect(samples).toContain('hookline_queue_deliveries{state="held"} 2')
  })
})
