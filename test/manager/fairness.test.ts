import { describe, expect, it } from 'vitest'
import { memoryStore, type WebhookManager } from '../../src/index.js'
import { eventually } from '../helpers/receiver.js'
import { useDeliveryFixture } from '../helpers/delivery-fixture.js'

const fx = useDeliveryFixture()
/** The test's main manager (made with `fx.manage`, closed by the fixture). */
let manager: WebhookManager

describe('dispatcher fairness and leases', () => {
  it('a rate-limited endpoint does not hold up deliveries to other endpoints', async () => {
    manager = fx.manage({ pollIntervalMs: 20, batchSize: 10, concurrency: 5, endpointConcurrency: 1 })
    await manager.start()
    await manager.stop()
    // The first claim takes 10 of the slow endpoint's 30 (one send a second); the fast endpoint's
    // delivery goes out in the claim after the first few of them are sent, before those 10 are
    // through (a count of sends, not a wall-clock bound a loaded machine could miss).
    await manager.createEndpoint({ url: `${fx.receiver.url}?slow`, events: ['slow'], rateLimit: { max: 1, intervalMs: 1000 } })
    await manager.createEndpoint({ url: `${fx.receiver.url}?fast`, events: ['fast'] })
    for (let i = 0; i < 30; i++) await manager.emit('slow', { i })
    await manager.emit('fast', {})
    await manager.start()
    await eventually(() => fx.receiver.requests.some((r) => r.url.endsWith('?fast')), 15_000)
    expect(fx.receiver.requests.filter((r) => r.url.endsWith('?slow')).length).toBeLessThan(10)
  })

  it("an endpoint's first claim takes no more than its share: one limited to 1 request an hour does not fill the worker", async () => {
    // Before its first delivery is processed the worker does not know an endpoint's share (its cap
    // comes with the endpoint): a claim of its backlog used to fill the whole window, every one
    // waiting an hour for a rate slot, and nothing else was claimed meanwhile.
    manager = fx.manage({ pollIntervalMs: 20, batchSize: 10, concurrency: 5, endpointConcurrency: 1 })
    await manager.createEndpoint({ url: `${fx.receiver.url}?slow`, events: ['slow'], rateLimit: { max: 1, intervalMs: 3_600_000 } })
    await manager.createEndpoint({ url: `${fx.receiver.url}?fast`, events: ['fast'] })
    await manager.emitMany(Array.from({ length: 30 }, (_, i) => ({ event: 'slow', data: { i } })))
    await manager.emit('fast', {})
    await manager.start()
    await eventually(() => fx.receiver.requests.some((r) => r.url.endsWith('?fast')), 10_000)
    expect(fx.receiver.requests.filter((r) => r.url.endsWith('?slow'))).toHaveLength(1)
  })

  it('a backlog on one endpoint drains without waiting for the poll once the endpoint has room again', async () => {
    // With the defaults one endpoint may hold 2 × endpointConcurrency deliveries; past that it is
    // left out of claims. Its finishing deliveries must bring the worker back, not the next poll.
    manager = fx.manage({ pollIntervalMs: 60_000, endpointConcurrency: 2, batchSize: 10 })
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    for (let i = 0; i < 60; i++) await manager.emit('tick', { i })
    await manager.start()
    await fx.receiver.waitFor(60, 10_000)
    expect(fx.receiver.requests).toHaveLength(60)
  })

  it('a delivery claimed again while its outcome is still being written is handed back, not left leased', async () => {
    // The outcome write commits, then its reply is slow: a retry due at once is claimed again by
    // this worker in between. It must be attempted now, not after its lease runs out.
    const store = memoryStore()
    const complete = store.complete.bind(store)
    store.complete = async (outcomes) => {
      await complete(outcomes)
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
    manager = fx.manage({
      store,
      pollIntervalMs: 20,
      leaseMs: 8000,
      retryPolicy: { strategy: 'fixed', initialDelayMs: 0, jitter: 0, maxAttempts: 3 },
      breaker: { enabled: false },
    })
    fx.receiver.respond(() => ({ status: 500 }))
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.start()
    const { deliveryIds } = await manager.emit('tick', {})
    await fx.receiver.waitFor(3)
    await eventually(async () => (await manager.getDelivery(deliveryIds[0]!)).status === 'dead', 4000)
  })

  it('a lease that runs out while a delivery waits for its rate limit never leads to a second send', async () => {
    manager = fx.manage({ pollIntervalMs: 20, leaseMs: 1200 })
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'], concurrency: 1, rateLimit: { max: 1, intervalMs: 250 } })
    const ids: string[] = []
    for (let i = 0; i < 8; i++) ids.push(...(await manager.emit('tick', { i })).deliveryIds)
    await eventually(async () => {
      const all = await Promise.all(ids.map(async (id) => (await manager.getDelivery(id)).status))
      return all.every((s) => s === 'succeeded')
    }, 15_000)
    const sent = fx.receiver.requests.map((r) => String(r.headers['x-webhook-delivery']))
    expect(sent.sort()).toEqual([...ids].sort())
  })

  it('stop({ drain: false }) hands back deliveries waiting for a rate limit at once', async () => {
    // The next slot is an hour away: a stop that waited for it would hit the test's timeout.
    manager = fx.manage({ pollIntervalMs: 20 })
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'], rateLimit: { max: 1, intervalMs: 3_600_000 } })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(...(await manager.emit('tick', { i })).deliveryIds)
    await fx.receiver.waitFor(1)
    await manager.stop({ drain: false })
    const states = await Promise.all(ids.map(async (id) => (await manager.getDelivery(id)).status))
    expect(states.filter((s) => s === 'succeeded')).toHaveLength(1)
    expect(states.filter((s) => s === 'pending')).toHaveLength(4)
  })

  it('after stop({ drain: false }) a restarted worker delivers what was waiting for the rate limit', async () => {
    // Two deliveries at a time may wait for the one rate-limit slot (held 300 ms after each send).
    manager = fx.manage({ pollIntervalMs: 20, endpointConcurrency: 2 })
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'], rateLimit: { max: 1, intervalMs: 300 } })
    const ids: string[] = []
    for (let i = 0; i < 4; i++) ids.push(...(await manager.emit('tick', { i })).deliveryIds)
    await fx.receiver.waitFor(1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await manager.stop({ drain: false })
    await manager.start()
    await fx.receiver.waitFor(4, 5_000)
    await eventually(async () => (await Promise.all(ids.map(async (id) => (await manager.getDelivery(id)).status))).every((s) => s === 'succeeded'))
  })

  it('stop() waits for a test send in flight', async () => {
    manager = fx.manage()
    fx.receiver.respond(() => ({ delayMs: 300 }))
    const ep = await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    const test = manager.testEndpoint(ep.id)
    await eventually(() => fx.receiver.requests.length === 1)
    await manager.stop()
    const attempt = await test
    expect((await manager.getDelivery(attempt.deliveryId)).status).toBe('succeeded')
  })
})
