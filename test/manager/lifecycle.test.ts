import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookManager, ManagerClosedError, memoryStore, type WebhookManager, type WebhookStore } from '../../src/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js'
import { allowLoopback } from '../helpers/egress.js'

let receiver: Receiver
const managers: WebhookManager[] = []
const dir = mkdtempSync(join(tmpdir(), 'hookline-lifecycle-'))

function track(manager: WebhookManager): WebhookManager {
  managers.push(manager)
  return manager
}

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { opened, open }
}

beforeEach(async () => {
  receiver = await startReceiver()
})
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close({ drain: false })
  await receiver.close()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('start / stop / close', () => {
  it('start() after close() throws ManagerClosedError; emit() and testEndpoint() too', async () => {
    const manager = track(createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50 }))
    await manager.start()
    const endpoint = await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    await manager.close()
    const refused = await manager.start().catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ManagerClosedError)
    expect(refused).toMatchObject({ code: 'CLOSED', status: 503 })
    expect((refused as Error).message).toMatch(/cannot start: the manager is closed/)
    expect(manager.running).toBe(false)
    await expect(manager.emit('order.paid', { id: 1 })).rejects.toBeInstanceOf(ManagerClosedError)
    await expect(manager.testEndpoint(endpoint.id)).rejects.toBeInstanceOf(ManagerClosedError)
    expect(receiver.requests).toHaveLength(0)
  })

  const stores: [string, () => WebhookStore][] = [
    ['memory', () => memoryStore()],
    ['sqlite', () => sqliteStore({ filename: join(dir, `l-${Math.random().toString(36).slice(2)}.db`) })],
  ]
  for (const [name, make] of stores) {
    it(`${name}: a second close() is a no-op, also while the first is running`, async () => {
      const manager = track(createWebhookManager({ egress: allowLoopback, store: make(), pollIntervalMs: 50 }))
      await manager.start()
      const first = manager.close()
      const during = manager.close()
      await expect(first).resolves.toBeUndefined()
      await expect(during).resolves.toBeUndefined()
      await expect(manager.close()).resolves.toBeUndefined()
      await expect(manager.close({ drain: false })).resolves.toBeUndefined()
      await expect(manager.stop()).resolves.toBeUndefined()
    })
  }

  it('close() of a manager that never started, twice', async () => {
    const manager = track(createWebhookManager({ egress: allowLoopback }))
    await manager.close()
    await manager.close()
    await expect(manager.start()).rejects.toBeInstanceOf(ManagerClosedError)
  })

  it('stop() then start() resumes delivery (restart is supported until close)', async () => {
    const manager = track(createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50 }))
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    await manager.start()
    await manager.emit('order.paid', { n: 1 })
    await receiver.waitFor(1)
    await manager.stop()
    expect(manager.running).toBe(false)
    await manager.emit('order.paid', { n: 2 }) // stored while stopped
    await manager.start()
    expect(manager.running).toBe(true)
    await receiver.waitFor(2)
    await manager.stop()
    await manager.stop() // stopping a stopped manager does nothing
  })

  it('start() during a stop() waits for it to finish, then runs', async () => {
    const held = gate()
    receiver.respond(() => ({ until: held.opened }))
    const manager = track(createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50 }))
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    await manager.start()
    await manager.emit('order.paid', { n: 1 })
    await eventually(() => receiver.requests.length === 1) // arrived, held open
    let stopped = false
    const stopping = manager.stop().then(() => (stopped = true))
    let started = false
    const starting = manager.start().then(() => (started = true))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(stopped).toBe(false) // the held request keeps stop() waiting (drain)
    expect(started).toBe(false)
    held.open()
    await stopping
    await starting
    expect(manager.running).toBe(true)
    receiver.respond(() => ({}))
    await manager.emit('order.paid', { n: 2 })
    await receiver.waitFor(2)
  })
})

describe('stop({ drain: false })', () => {
  // One request is held open by the receiver; the other deliveries wait behind it, in the global
  // queue (concurrency 1) or the endpoint's (endpointConcurrency 1). They must be back in the
  // store, claimable by any worker, while that request is still in flight.
  // `held`: how many the worker takes (an endpoint holds at most twice its concurrency).
  const limits: [string, { concurrency?: number; endpointConcurrency?: number }, number][] = [
    ['waiting for a global slot', { concurrency: 1, endpointConcurrency: 10 }, 5],
    ['waiting for an endpoint slot', { concurrency: 10, endpointConcurrency: 1 }, 2],
  ]
  for (const [name, limit, held] of limits) {
    it(`hands deliveries ${name} back at once, not when the request in flight ends`, async () => {
      const request = gate()
      receiver.respond(() => ({ until: request.opened }))
      const store = memoryStore()
      const manager = track(createWebhookManager({ egress: allowLoopback, store, pollIntervalMs: 50, workerId: 'wrk_1', ...limit }))
      await manager.createEndpoint({ url: receiver.url, events: ['*'] })
      await manager.start()
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push(...(await manager.emit('order.paid', { i })).deliveryIds)
      await eventually(() => receiver.requests.length === 1) // arrived, held open
      await eventually(async () => (await manager.findDeliveries({ status: 'delivering' })).length === held)
      let stopped = false
      const stopping = manager.stop({ drain: false }).then(() => (stopped = true))
      try {
        // Another worker gets the four queued deliveries while the first request is still held.
        const taken: string[] = []
        await eventually(async () => {
          taken.push(...(await store.claim({ now: new Date(), limit: 10, leaseMs: 60_000, workerId: 'wrk_2' })).map((c) => c.delivery.id))
          return taken.length === 4
        }, 5000)
        expect(receiver.requests).toHaveLength(1)
        expect(stopped).toBe(false) // still waiting for the request in flight
        const inFlight = ids.filter((id) => !taken.includes(id))
        expect(inFlight).toHaveLength(1)
        expect((await store.getDelivery(inFlight[0]!))?.lockedBy).toBe('wrk_1')
      } finally {
        request.open()
      }
      await stopping
      expect(receiver.requests).toHaveLength(1)
    })
  }
})

describe('breakers', () => {
  it('20 endpoints with breakers print no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const manager = track(createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50, breaker: { failureThreshold: 3 } }))
      await manager.start()
      for (let i = 0; i < 20; i++) await manager.createEndpoint({ url: `${receiver.url}?e=${i}`, events: ['*'] })
      await manager.emit('order.paid', { id: 1 })
      await receiver.waitFor(20)
      await eventually(async () => (await manager.findDeliveries({ status: 'succeeded', limit: 100 })).length === 20)
      // Warnings are emitted on a later tick.
      await new Promise((resolve) => setImmediate(resolve))
      await new Promise((resolve) => setTimeout(resolve, 10))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([])
  })
})
