import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookManager, memoryStore, type WebhookManager, type WebhookStore } from '../../src/index.js'
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js'

// emit's hand-off (`leaseOnEmit`): a running worker that has caught up with the store takes the
// deliveries of a new emit in the same write, leased to it, without a claim.

let receiver: Receiver
let manager: WebhookManager

beforeEach(async () => {
  receiver = await startReceiver()
})
afterEach(async () => {
  await manager?.close({ drain: false })
  await receiver.close()
})

/** A memory store that counts its claims. */
function countingStore(): { store: WebhookStore; claims: () => number } {
  const store = memoryStore()
  const claim = store.claim.bind(store)
  let claims = 0
  store.claim = (request) => {
    claims++
    return claim(request)
  }
  return { store, claims: () => claims }
}

const WORKER = 'wrk_test'

describe('emit hand-off to an idle worker', () => {
  it('stores the deliveries leased to this worker and delivers them without a claim', async () => {
    const { store, claims } = countingStore()
    manager = createWebhookManager({ store, workerId: WORKER, pollIntervalMs: 60_000 })
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0, 2000) // the first claim finds the store empty: caught up
    const before = claims()

    const { deliveryIds } = await manager.emit('agent.created', { i: 0 })
    const stored = await store.getDelivery(deliveryIds[0]!)
    // Already leased when emit resolves (or done, if the attempt was that quick).
    expect(['delivering', 'succeeded']).toContain(stored?.status)
    if (stored?.status === 'delivering') expect(stored.lockedBy).toBe(WORKER)

    for (let i = 1; i < 5; i++) await manager.emit('agent.created', { i })
    await receiver.waitFor(5, 5000)
    await eventually(async () => (await manager.findDeliveries({ status: 'succeeded' })).length === 5, 5000)
    expect(claims()).toBe(before)
  })

  it('with leaseOnEmit: false every delivery is stored pending and claimed', async () => {
    const { store, claims } = countingStore()
    manager = createWebhookManager({ store, pollIntervalMs: 60_000, leaseOnEmit: false })
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0, 2000)
    const before = claims()
    await manager.emit('agent.created', {})
    await receiver.waitFor(1, 5000)
    expect(claims()).toBeGreaterThan(before)
  })

  it('does not let a new emit overtake a backlog waiting in the store', async () => {
    // Claims of 10 that take 100 ms each, with room for 100: the worker has room long before it
    // has claimed the backlog, so only "caught up" keeps the new emit behind it.
    const store = memoryStore()
    const claim = store.claim.bind(store)
    let claims = 0
    store.claim = async (request) => {
      claims++
      await new Promise((resolve) => setTimeout(resolve, 100))
      return claim(request)
    }
    manager = createWebhookManager({ store, workerId: WORKER, pollIntervalMs: 60_000, batchSize: 10, concurrency: 50, endpointConcurrency: 50 })
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    for (let i = 0; i < 40; i++) await manager.emit('agent.created', { i })
    await manager.start()
    await eventually(() => receiver.requests.length > 0, 5000)
    const { deliveryIds } = await manager.emit('agent.created', { i: 40 })
    expect((await store.getDelivery(deliveryIds[0]!))?.status).toBe('pending')
    await receiver.waitFor(41, 10_000)
    // Claimed with the last ten of the backlog (due order), not sent ahead of them.
    const order = receiver.requests.map((r) => (r.body as { data: { i: number } }).data.i)
    expect(order.indexOf(40)).toBeGreaterThanOrEqual(30)
    expect(claims).toBeGreaterThanOrEqual(5)
  })

  it('frees the slot of a duplicate emit and of an emit whose write failed', async () => {
    const { store, claims } = countingStore()
    const enqueue = store.enqueue.bind(store)
    let failWrites = false
    store.enqueue = (message, deliveries, options) => {
      if (failWrites) return Promise.reject(new Error('disk full'))
      return enqueue(message, deliveries, options)
    }
    // 4 slots in all: a leaked slot per duplicate or failure would exhaust them below.
    manager = createWebhookManager({ store, workerId: WORKER, pollIntervalMs: 60_000, concurrency: 1, batchSize: 2, endpointConcurrency: 1 })
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0, 2000)
    await manager.emit('agent.created', { first: true }, { idempotencyKey: 'k1' })
    await receiver.waitFor(1, 5000)
    for (let i = 0; i < 10; i++) {
      const again = await manager.emit('agent.created', { first: true }, { idempotencyKey: 'k1' })
      expect(again.duplicate).toBe(true)
    }
    failWrites = true
    for (let i = 0; i < 10; i++) await expect(manager.emit('agent.created', { i })).rejects.toThrow('disk full')
    failWrites = false
    await eventually(async () => (await manager.findDeliveries({ status: 'succeeded' })).length === 1, 5000)
    const before = claims()
    const { deliveryIds } = await manager.emit('agent.created', { last: true })
    expect((await store.getDelivery(deliveryIds[0]!))?.lockedBy).toBe(WORKER)
    await receiver.waitFor(2, 5000)
    expect(receiver.requests).toHaveLength(2)
    expect(claims()).toBe(before)
  })

  it('stop() waits for an emit still writing its leased deliveries, then attempts them', async () => {
    const { store, claims } = countingStore()
    const enqueue = store.enqueue.bind(store)
    store.enqueue = async (message, deliveries, options) => {
      await new Promise((resolve) => setTimeout(resolve, 100))
      return enqueue(message, deliveries, options)
    }
    manager = createWebhookManager({ store, workerId: WORKER, pollIntervalMs: 60_000 })
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0, 2000)
    const emitted = manager.emit('agent.created', {})
    await new Promise((resolve) => setTimeout(resolve, 20))
    await manager.stop()
    const { deliveryIds } = await emitted
    // stop() resolved only after the delivery was attempted and its outcome stored.
    expect(receiver.requests).toHaveLength(1)
    expect((await store.getDelivery(deliveryIds[0]!))?.status).toBe('succeeded')
  })

  it('stop({ drain: false }) hands a delivery leased during its write back to the store', async () => {
    const { store, claims } = countingStore()
    const enqueue = store.enqueue.bind(store)
    store.enqueue = async (message, deliveries, options) => {
      await new Promise((resolve) => setTimeout(resolve, 100))
      return enqueue(message, deliveries, options)
    }
    manager = createWebhookManager({ store, workerId: WORKER, pollIntervalMs: 60_000 })
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0, 2000)
    const emitted = manager.emit('agent.created', {})
    await new Promise((resolve) => setTimeout(resolve, 20))
    await manager.stop({ drain: false })
    const { deliveryIds } = await emitted
    const stored = await store.getDelivery(deliveryIds[0]!)
    // Either released (due now, no lease) or, if its send had started, finished: never left leased.
    if (stored?.status === 'pending') {
      expect(stored.lockedBy).toBeNull()
      expect(receiver.requests).toHaveLength(0)
    } else expect(stored?.status).toBe('succeeded')
  })
})
