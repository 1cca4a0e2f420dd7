import { describe, expect, it } from 'vitest'
import { memoryStore, type WebhookManager, type WebhookStore } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { PG_URL, pgAvailable } from '../helpers/pg.js'
import { eventually } from '../helpers/receiver.js'
import { useDeliveryFixture } from '../helpers/delivery-fixture.js'

// emit's hand-off (`leaseOnEmit`): a running worker that has caught up with the store takes the
// deliveries of a new emit in the same write, leased to it, without a claim.

const fx = useDeliveryFixture()
/** The test's main manager (made with `fx.manage`, closed by the fixture). */
let manager: WebhookManager

/**
 * `store` (a memory store by default), counting its finished claims and recording which worker
 * claimed which deliveries. A claim counts once it has returned: only then has the worker seen
 * the store (and, finding it empty, caught up).
 */
function countingStore(store: WebhookStore = memoryStore()): { store: WebhookStore; claims: () => number; claimedBy: (workerId: string) => string[] } {
  const claim = store.claim.bind(store)
  let claims = 0
  const claimed: { workerId: string; id: string }[] = []
  store.claim = async (request) => {
    const batch = await claim(request)
    claims++
    for (const c of batch) claimed.push({ workerId: request.workerId, id: c.delivery.id })
    return batch
  }
  return { store, claims: () => claims, claimedBy: (workerId) => claimed.filter((c) => c.workerId === workerId).map((c) => c.id) }
}

const WORKER = 'wrk_test'

describe('emit hand-off to an idle worker', () => {
  it('stores the deliveries leased to this worker and delivers them without a claim', async () => {
    const { store, claims, claimedBy } = countingStore()
    manager = fx.manage({ store, workerId: WORKER, pollIntervalMs: 60_000 })
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0) // the first claim found the store empty: caught up

    const { deliveryIds } = await manager.emit('agent.created', { i: 0 })
    const stored = await store.getDelivery(deliveryIds[0]!)
    // Already leased when emit resolves (or done, if the attempt was that quick).
    expect(['delivering', 'succeeded']).toContain(stored?.status)
    if (stored?.status === 'delivering') expect(stored.lockedBy).toBe(WORKER)

    for (let i = 1; i < 5; i++) await manager.emit('agent.created', { i })
    await fx.receiver.waitFor(5)
    await eventually(async () => (await manager.findDeliveries({ status: 'succeeded' })).length === 5, 5000)
    // None of them came through a claim (a claim may run, e.g. on a wake-up, but finds nothing).
    expect(claimedBy(WORKER)).toEqual([])
  })

  it('with leaseOnEmit: false every delivery is stored pending and claimed', async () => {
    const { store, claims } = countingStore()
    manager = fx.manage({ store, pollIntervalMs: 60_000, leaseOnEmit: false })
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0)
    const before = claims()
    await manager.emit('agent.created', {})
    await fx.receiver.waitFor(1)
    expect(claims()).toBeGreaterThan(before)
  })

  it('does not let a new emit overtake a backlog waiting in the store', async () => {
    // Claims of 10 that take 100 ms each (the backlog of 80 takes 8 of them), with room for 100:
    // the worker has room long before it has claimed the backlog, so only "caught up" keeps the
    // new emit behind it.
    const store = memoryStore()
    const claim = store.claim.bind(store)
    let claims = 0
    /** The `i` of each delivery in the order the claims returned them. */
    const claimOrder: number[] = []
    store.claim = async (request) => {
      claims++
      await new Promise((resolve) => setTimeout(resolve, 100))
      const batch = await claim(request)
      for (const c of batch) claimOrder.push((c.message.data as { i: number }).i)
      return batch
    }
    manager = fx.manage({ store, workerId: WORKER, pollIntervalMs: 60_000, batchSize: 10, concurrency: 50, endpointConcurrency: 50 })
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    for (let i = 0; i < 80; i++) await manager.emit('agent.created', { i })
    await manager.start()
    await eventually(() => fx.receiver.requests.length > 0)
    const { deliveryIds } = await manager.emit('agent.created', { i: 80 })
    expect((await store.getDelivery(deliveryIds[0]!))?.status).toBe('pending')
    await fx.receiver.waitFor(81, 10_000)
    // Claimed after the whole backlog (due order), not handed to the worker ahead of it. (The
    // order requests arrive in says less: on a busy machine a request of an earlier batch that
    // opens a new connection can arrive after one of a later batch sent on a kept-alive one.)
    expect(claimOrder).toHaveLength(81)
    expect(claimOrder.indexOf(80)).toBe(80)
    expect(claims).toBeGreaterThanOrEqual(9)
  })

  it('frees the slot of a duplicate emit and of an emit whose write failed', async () => {
    const { store, claims, claimedBy } = countingStore()
    const enqueue = store.enqueue.bind(store)
    let failWrites = false
    store.enqueue = (message, deliveries, options) => {
      if (failWrites) return Promise.reject(new Error('disk full'))
      return enqueue(message, deliveries, options)
    }
    // 4 slots in all: a leaked slot per duplicate or failure would exhaust them below.
    manager = fx.manage({ store, workerId: WORKER, pollIntervalMs: 60_000, concurrency: 1, batchSize: 2, endpointConcurrency: 1 })
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0)
    await manager.emit('agent.created', { first: true }, { idempotencyKey: 'k1' })
    await fx.receiver.waitFor(1)
    for (let i = 0; i < 10; i++) {
      const again = await manager.emit('agent.created', { first: true }, { idempotencyKey: 'k1' })
      expect(again.duplicate).toBe(true)
    }
    failWrites = true
    for (let i = 0; i < 10; i++) await expect(manager.emit('agent.created', { i })).rejects.toThrow('disk full')
    failWrites = false
    await eventually(async () => (await manager.findDeliveries({ status: 'succeeded' })).length === 1, 5000)
    const { deliveryIds } = await manager.emit('agent.created', { last: true })
    expect((await store.getDelivery(deliveryIds[0]!))?.lockedBy).toBe(WORKER)
    await fx.receiver.waitFor(2)
    expect(fx.receiver.requests).toHaveLength(2)
    expect(claimedBy(WORKER)).not.toContain(deliveryIds[0])
  })

  it('a write that outlives its lease: the delivery taken back by our own claim is sent once', async () => {
    // The clock jumps past the lease while the enqueue is still writing, and the poll claims the
    // (stored, now expired) row meanwhile: one task must run it, not two.
    let now = Date.parse('2026-01-01T00:00:00Z')
    const clock = { now: () => now }
    const { store, claims } = countingStore()
    const enqueue = store.enqueue.bind(store)
    let slowWrite = false
    store.enqueue = async (message, deliveries, options) => {
      const result = await enqueue(message, deliveries, options)
      if (slowWrite) {
        now += 11_000
        const before = claims()
        await eventually(() => claims() > before)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return result
    }
    fx.receiver.respond(() => ({ delayMs: 300 }))
    manager = fx.manage({ store, clock, workerId: WORKER, leaseMs: 10_000, pollIntervalMs: 20 })
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0)
    slowWrite = true
    const { deliveryIds } = await manager.emit('agent.created', {})
    slowWrite = false
    await fx.receiver.waitFor(1)
    await eventually(async () => (await store.getDelivery(deliveryIds[0]!))?.status === 'succeeded', 5000)
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(fx.receiver.requests).toHaveLength(1)
    expect(await store.listAttempts(deliveryIds[0]!)).toHaveLength(1)
  })

  /** A store whose enqueue waits 100 ms after it is called; `writing` resolves with its options once it is. */
  function slowWriteStore() {
    const counted = countingStore()
    const enqueue = counted.store.enqueue.bind(counted.store)
    let started!: (options: unknown) => void
    const writing = new Promise<unknown>((resolve) => (started = resolve))
    counted.store.enqueue = async (message, deliveries, options) => {
      started(options)
      await new Promise((resolve) => setTimeout(resolve, 100))
      return enqueue(message, deliveries, options)
    }
    return { ...counted, writing }
  }

  it('stop() waits for an emit still writing its leased deliveries, then attempts them', async () => {
    const { store, claims, writing } = slowWriteStore()
    manager = fx.manage({ store, workerId: WORKER, pollIntervalMs: 60_000 })
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0)
    const emitted = manager.emit('agent.created', {})
    expect(await writing).toEqual({ handOff: true })
    await manager.stop()
    const { deliveryIds } = await emitted
    // stop() resolved only after the delivery was attempted and its outcome stored.
    expect(fx.receiver.requests).toHaveLength(1)
    expect((await store.getDelivery(deliveryIds[0]!))?.status).toBe('succeeded')
  })

  it('stop({ drain: false }) hands a delivery leased during its write back to the store', async () => {
    const { store, claims, writing } = slowWriteStore()
    manager = fx.manage({ store, workerId: WORKER, pollIntervalMs: 60_000 })
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    await manager.start()
    await eventually(() => claims() > 0)
    const emitted = manager.emit('agent.created', {})
    expect(await writing).toEqual({ handOff: true }) // leased to this worker, still being written
    await manager.stop({ drain: false })
    const { deliveryIds } = await emitted
    // Released unsent: due now, no lease.
    const stored = await store.getDelivery(deliveryIds[0]!)
    expect(stored).toMatchObject({ status: 'pending', lockedBy: null, lockedUntil: null })
    expect(fx.receiver.requests).toHaveLength(0)
  })
})

describe('emit hand-off on the durable stores', () => {
  const stores: [string, boolean, () => WebhookStore][] = [
    ['sqlite file', true, () => sqliteStore({ filename: fx.tempPath(`h-${Math.random().toString(36).slice(2)}.db`) })],
    ['postgres', pgAvailable, () => postgresStore({ connectionString: PG_URL, schema: fx.pg.schema() })],
  ]

  for (const [name, available, make] of stores) {
    it.skipIf(!available)(`${name}: stored leased to the worker, delivered once, never claimed by another worker`, async () => {
      const { store, claims, claimedBy } = countingStore(make())
      manager = fx.manage({ store, workerId: WORKER, pollIntervalMs: 60_000 })
      await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
      await manager.start()
      await eventually(() => claims() > 0)
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push(...(await manager.emit('agent.created', { i })).deliveryIds)
      // A second worker on the same store finds nothing to claim: each delivery is leased or done.
      expect(await store.claim({ now: new Date(), limit: 10, leaseMs: 1000, workerId: 'other' })).toEqual([])
      await fx.receiver.waitFor(5, 10_000)
      await eventually(async () => (await manager.findDeliveries({ status: 'succeeded' })).length === 5, 10_000)
      expect(fx.receiver.requests).toHaveLength(5)
      // Handed off, not claimed: this worker's own claims (the Postgres store wakes it once its
      // LISTEN connection is up, whenever that is) found none of them, and no other worker got one.
      expect(claimedBy(WORKER).filter((id) => ids.includes(id))).toEqual([])
      expect(claimedBy('other')).toEqual([])
      for (const id of ids) expect(await store.listAttempts(id)).toHaveLength(1)
    })
  }
})
