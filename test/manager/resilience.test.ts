import { describe, expect, it } from 'vitest'
import { memoryStore, type WebhookManager } from '../../src/index.js'
import { eventually } from '../helpers/receiver.js'
import { useDeliveryFixture } from '../helpers/delivery-fixture.js'

const fx = useDeliveryFixture()
/** The test's main manager (made with `fx.manage`, closed by the fixture). */
let manager: WebhookManager

describe('breaker, rate limit, auto-disable, stop', () => {
  it('five straight failures open the breaker; later attempts wait for the cooldown, then a probe closes it', async () => {
    const cooldownMs = 600
    manager = fx.manage({
      pollIntervalMs: 20,
      endpointConcurrency: 1,
      retryPolicy: { strategy: 'fixed', initialDelayMs: 10, jitter: 0, maxAttempts: 20 },
      breaker: { failureThreshold: 5, cooldownMs },
    })
    const events: string[] = []
    let openedAt = 0
    manager.on('breaker.opened', () => {
      openedAt = Date.now()
      events.push('opened')
    })
    manager.on('breaker.closed', () => events.push('closed'))
    let healthy = false
    fx.receiver.respond(() => (healthy ? { status: 200 } : { status: 500 }))
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    const { deliveryIds } = await manager.emit('x.y', { n: 1 })
    await fx.receiver.waitFor(5)
    await eventually(() => events.includes('opened'))
    healthy = true
    // Nothing reaches the receiver while the breaker is open: the next request is the probe after the cooldown.
    const probe = await fx.receiver.waitFor(6)
    expect(probe[4]!.receivedAt).toBeLessThanOrEqual(openedAt)
    expect(probe[5]!.receivedAt - openedAt).toBeGreaterThanOrEqual(cooldownMs - 50)
    const done = await eventually(async () => {
      const d = await manager.getDelivery(deliveryIds[0]!)
      return d.status === 'succeeded' ? d : null
    })
    // Waiting for the breaker consumed no attempt: 5 failures + 1 success.
    expect(done.attempts).toBe(6)
    expect(done.attemptLog).toHaveLength(6)
    expect(events).toEqual(['opened', 'closed'])
  })

  it('a per-endpoint rate limit is observed at the receiver', async () => {
    manager = fx.manage({ pollIntervalMs: 20 })
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'], rateLimit: { max: 5, intervalMs: 500 } })
    for (let i = 0; i < 15; i++) await manager.emit('tick', { i })
    const got = await fx.receiver.waitFor(15)
    const times = got.map((r) => r.receivedAt).sort((a, b) => a - b)
    // As the receiver counts: no 500 ms window holds more than 5 arrivals (without the limit all
    // 15 arrive within a few ms).
    for (let i = 0; i + 5 < times.length; i++) expect(times[i + 5]! - times[i]!).toBeGreaterThanOrEqual(500)
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1000)
  })

  it('a 410 that comes while another health write of its endpoint is in flight still disables it', async () => {
    // A 500 first: recording failingSince takes a while (a slow store write); a 410 arrives meanwhile.
    const store = memoryStore()
    const update = store.updateEndpoint.bind(store)
    store.updateEndpoint = async (endpoint) => {
      await new Promise((resolve) => setTimeout(resolve, 200))
      return update(endpoint)
    }
    manager = fx.manage({ store, pollIntervalMs: 20, retryPolicy: { maxAttempts: 1 }, breaker: { enabled: false } })
    fx.receiver.respond((_req, index) => (index === 0 ? { status: 500 } : { status: 410, delayMs: 50 }))
    const disabled: string[] = []
    manager.on('endpoint.disabled', (e) => disabled.push(e.reason))
    await manager.start()
    const ep = await manager.createEndpoint({ url: fx.receiver.url, events: ['*'], concurrency: 1 })
    await manager.emit('a.b', { n: 1 })
    await manager.emit('a.b', { n: 2 })
    await eventually(() => disabled.length === 1, 5_000)
    expect(disabled[0]).toMatch(/410/)
    await eventually(async () => (await manager.getEndpoint(ep.id)).status === 'disabled', 5_000)
  })

  it('a 410 Gone kills the delivery and disables the endpoint with an endpoint.disabled event', async () => {
    manager = fx.manage({ pollIntervalMs: 20 })
    fx.receiver.respond(() => ({ status: 410 }))
    const disabled: string[] = []
    manager.on('endpoint.disabled', (e) => disabled.push(e.reason))
    await manager.start()
    const ep = await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    const { deliveryIds } = await manager.emit('a.b', {})
    await eventually(() => disabled.length === 1)
    expect(disabled[0]).toMatch(/410/)
    expect((await manager.getDelivery(deliveryIds[0]!)).status).toBe('dead')
    const view = await manager.getEndpoint(ep.id)
    expect(view).toMatchObject({ status: 'disabled', disabledReason: expect.stringMatching(/410/) })
    // A disabled endpoint gets no new deliveries; resuming it re-enables.
    expect((await manager.emit('a.b', {})).deliveryIds).toEqual([])
    await manager.resumeEndpoint(ep.id)
    expect((await manager.emit('a.b', {})).deliveryIds).toHaveLength(1)
  })

  it('an endpoint failing for longer than disableAfterFailingMs is disabled', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z')
    manager = fx.manage({
      clock: { now: () => now },
      pollIntervalMs: 20,
      disableAfterFailingMs: 5 * 86_400_000,
      breaker: { enabled: false },
      retryPolicy: { strategy: 'fixed', initialDelayMs: 0, jitter: 0, maxAttempts: 1 },
    })
    fx.receiver.respond(() => ({ status: 500 }))
    const disabled: string[] = []
    manager.on('endpoint.disabled', (e) => disabled.push(e.reason))
    await manager.start()
    const ep = await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.emit('a', {})
    await eventually(async () => (await manager.getEndpoint(ep.id)).failingSince !== null)
    now += 6 * 86_400_000
    await manager.emit('a', {})
    await eventually(() => disabled.length === 1)
    expect(disabled[0]).toMatch(/nothing but failures since 2026-01-01/)
  })

  it('Retry-After on a 429 postpones the retry', async () => {
    manager = fx.manage({ pollIntervalMs: 20, retryPolicy: { strategy: 'fixed', initialDelayMs: 10, jitter: 0 } })
    fx.receiver.respond((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }))
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.emit('a', {})
    const got = await fx.receiver.waitFor(2)
    expect(got[1]!.receivedAt - got[0]!.receivedAt).toBeGreaterThanOrEqual(950)
  })

  it('network errors are retried and logged: connection refused', async () => {
    manager = fx.manage({ pollIntervalMs: 20, retryPolicy: { strategy: 'fixed', initialDelayMs: 10, jitter: 0, maxAttempts: 2 } })
    await manager.start()
    const url = fx.receiver.url
    await fx.receiver.close()
    await manager.createEndpoint({ url, events: ['*'] })
    const { deliveryIds } = await manager.emit('a', {})
    const d = await eventually(async () => {
      const x = await manager.getDelivery(deliveryIds[0]!)
      return x.status === 'dead' ? x : null
    })
    expect(d.attemptLog).toHaveLength(2)
    expect(d.attemptLog[0]).toMatchObject({ responseStatus: null, succeeded: false, error: expect.stringMatching(/connection refused/) })
  })

  it('a timeout is an error and is retried', async () => {
    manager = fx.manage({ pollIntervalMs: 20, retryPolicy: { strategy: 'fixed', initialDelayMs: 10, jitter: 0, maxAttempts: 2 } })
    fx.receiver.respond((_r, i) => (i === 0 ? { delayMs: 1500 } : {}))
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'], timeoutMs: 200 })
    const { deliveryIds } = await manager.emit('a', {})
    const d = await eventually(async () => {
      const x = await manager.getDelivery(deliveryIds[0]!)
      return x.status === 'succeeded' ? x : null
    })
    expect(d.attemptLog[0]!.error).toMatch(/timeout after 200 ms/)
  })

  it('3xx answers are failures: redirects are not followed', async () => {
    manager = fx.manage({ pollIntervalMs: 20, retryPolicy: { maxAttempts: 1 } })
    fx.receiver.respond(() => ({ status: 302, headers: { location: '/elsewhere' } }))
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    const { deliveryIds } = await manager.emit('a', {})
    const d = await eventually(async () => {
      const x = await manager.getDelivery(deliveryIds[0]!)
      return x.status === 'dead' ? x : null
    })
    expect(d.lastStatusCode).toBe(302)
    expect(fx.receiver.requests.map((r) => r.url)).toEqual(['/hook'])
  })

  it('stop() waits for in-flight attempts and leaves none half-done', async () => {
    manager = fx.manage({ pollIntervalMs: 20 })
    fx.receiver.respond(() => ({ delayMs: 300 }))
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(...(await manager.emit('a', { i })).deliveryIds)
    await eventually(() => fx.receiver.requests.length >= 1)
    await manager.stop({ drain: false })
    const states = await Promise.all(ids.map(async (id) => (await manager.getDelivery(id)).status))
    // Nothing is left leased: each is either recorded as succeeded or handed back as pending.
    expect(states.every((s) => s === 'succeeded' || s === 'pending')).toBe(true)
    expect(states.filter((s) => s === 'succeeded').length).toBe(fx.receiver.requests.length)
    // Started again, the rest are delivered.
    await manager.start()
    await eventually(async () => {
      const all = await Promise.all(ids.map(async (id) => (await manager.getDelivery(id)).status))
      return all.every((s) => s === 'succeeded')
    })
  })

  it('stop({ drain: true }) attempts every claimed delivery first', async () => {
    manager = fx.manage({ pollIntervalMs: 20 })
    fx.receiver.respond(() => ({ delayMs: 100 }))
    await manager.start()
    // Concurrency 2 lets this worker hold 4 deliveries of the endpoint: all of them are claimed.
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'], concurrency: 2 })
    const ids: string[] = []
    for (let i = 0; i < 4; i++) ids.push(...(await manager.emit('a', { i })).deliveryIds)
    await eventually(() => fx.receiver.requests.length >= 2)
    expect(fx.receiver.requests.length).toBeLessThan(4)
    await manager.stop({ drain: true })
    const states = await Promise.all(ids.map(async (id) => (await manager.getDelivery(id)).status))
    expect(states).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded'])
  })
})
