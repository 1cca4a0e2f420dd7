import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { WebhookStore } from '../../src/store/types.js'
import {
  at,
  attemptFixture,
  deliveryFixture,
  endpointFixture,
  incomingHookFixture,
  incomingLogFixture,
  messageFixture,
  outcomeFixture,
  T0,
} from './fixtures.js'

/** What a store under test is and how to make a fresh, empty one. */
export interface StoreUnderTest {
  /** Suite name. */
  name: string
  /** A fresh, empty, migrated store. */
  create: () => Promise<WebhookStore>
  /** Extra tests of the adapter, run inside the same describe block. */
  additionalTests?: (get: () => WebhookStore) => void
}

/**
 * The repository conformance suite: every store adapter runs exactly these tests.
 */
export function testStore({ name, create, additionalTests }: StoreUnderTest): void {
  describe(`store conformance: ${name}`, () => {
    let store: WebhookStore
    beforeEach(async () => {
      store = await create()
    })
    afterEach(async () => {
      await store.close()
    })

    const seed = async (over: Parameters<typeof endpointFixture>[0] = {}) => {
      const ep = endpointFixture(over)
      await store.createEndpoint(ep)
      return ep
    }

    describe('endpoints', () => {
      it('.createEndpoint() / .getEndpoint() round-trip every field', async () => {
        const ep = await seed({ failingSince: at(5), disabledReason: null })
        expect(await store.getEndpoint(ep.id)).toEqual(ep)
        expect(await store.getEndpoint('ep_missing')).toBeNull()
      })

      it('.listEndpoints() filters by owner and status and paginates oldest first', async () => {
        const a = await seed({ owner: 'acme', createdAt: at(1) })
        const b = await seed({ owner: 'acme', status: 'paused', createdAt: at(2) })
        const c = await seed({ owner: 'globex', createdAt: at(3) })
        expect((await store.listEndpoints()).map((e) => e.id)).toEqual([a.id, b.id, c.id])
        expect((await store.listEndpoints({ owner: 'acme' })).map((e) => e.id)).toEqual([a.id, b.id])
        expect((await store.listEndpoints({ owner: 'acme', status: 'active' })).map((e) => e.id)).toEqual([a.id])
        expect((await store.listEndpoints({ limit: 1, offset: 1 })).map((e) => e.id)).toEqual([b.id])
      })

      it('.updateEndpoint() replaces the record; false for an unknown id', async () => {
        const ep = await seed()
        const changed = { ...ep, name: 'Renamed', events: ['*'], auth: null, status: 'disabled' as const, disabledReason: '410 Gone', updatedAt: at(9) }
        expect(await store.updateEndpoint(changed)).toBe(true)
        expect(await store.getEndpoint(ep.id)).toEqual(changed)
        expect(await store.updateEndpoint(endpointFixture())).toBe(false)
      })

      it('.deleteEndpoint() removes the endpoint and its unfinished deliveries', async () => {
        const ep = await seed()
        const m = messageFixture()
        const pending = deliveryFixture(m, ep)
        await store.enqueue(m, [pending])
        expect(await store.deleteEndpoint(ep.id)).toBe(true)
        expect(await store.getEndpoint(ep.id)).toBeNull()
        expect(await store.claim({ now: at(10), limit: 10, leaseMs: 1000, workerId: 'w' })).toEqual([])
        expect(await store.deleteEndpoint(ep.id)).toBe(false)
      })
    })

    describe('messages and deliveries', () => {
      it('.enqueue() stores the message and deliveries; data round-trips exactly', async () => {
        const ep = await seed()
        const m = messageFixture()
        const d = deliveryFixture(m, ep)
        const res = await store.enqueue(m, [d])
        expect(res.duplicate).toBe(false)
        expect(await store.getMessage(m.id)).toEqual(m)
        expect(await store.getDelivery(d.id)).toEqual(d)
        expect(await store.getMessage('msg_missing')).toBeNull()
      })

      it('.enqueue() with a known idempotency key stores nothing and returns the first message', async () => {
        const ep = await seed()
        const m1 = messageFixture({ idempotencyKey: 'order-42' })
        const d1 = deliveryFixture(m1, ep)
        await store.enqueue(m1, [d1])
        const m2 = messageFixture({ idempotencyKey: 'order-42', data: { other: true } })
        const res = await store.enqueue(m2, [deliveryFixture(m2, ep)])
        expect(res.duplicate).toBe(true)
        expect(res.message.id).toBe(m1.id)
        expect(res.deliveries.map((d) => d.id)).toEqual([d1.id])
        expect(await store.getMessage(m2.id)).toBeNull()
        expect(await store.listDeliveries({ endpointId: ep.id })).toHaveLength(1)
      })

      it('.listDeliveries() filters by endpoint, status and time, newest first, paginated', async () => {
        const ep = await seed()
        const other = await seed()
        const ids: string[] = []
        for (let i = 0; i < 5; i++) {
          const m = messageFixture({ createdAt: at(i * 1000) })
          const d = deliveryFixture(m, ep, i === 2 ? { status: 'dead', nextAttemptAt: null, completedAt: at(i * 1000) } : {})
          ids.push(d.id)
          await store.enqueue(m, [d, deliveryFixture(m, other)])
        }
        expect((await store.listDeliveries({ endpointId: ep.id })).map((d) => d.id)).toEqual([...ids].reverse())
        expect((await store.listDeliveries({ endpointId: ep.id, status: 'dead' })).map((d) => d.id)).toEqual([ids[2]])
        expect((await store.listDeliveries({ endpointId: ep.id, status: ['dead', 'pending'] }))).toHaveLength(5)
        expect((await store.listDeliveries({ endpointId: ep.id, since: at(1000), until: at(3000) })).map((d) => d.id)).toEqual([ids[2], ids[1]])
        expect((await store.listDeliveries({ endpointId: ep.id, limit: 2, offset: 1 })).map((d) => d.id)).toEqual([ids[3], ids[2]])
        expect(await store.listDeliveries({ limit: 100 })).toHaveLength(10)
      })
    })

    describe('claiming', () => {
      it('.claim() leases due deliveries oldest first, up to the limit, with their messages', async () => {
        const ep = await seed()
        const made = []
        for (let i = 0; i < 3; i++) {
          const m = messageFixture({ createdAt: at(i) })
          const d = deliveryFixture(m, ep, { nextAttemptAt: at(i) })
          await store.enqueue(m, [d])
          made.push({ m, d })
        }
        const notDue = messageFixture({ createdAt: at(0) })
        await store.enqueue(notDue, [deliveryFixture(notDue, ep, { nextAttemptAt: at(60_000) })])

        const claimed = await store.claim({ now: at(100), limit: 2, leaseMs: 30_000, workerId: 'w1' })
        expect(claimed.map((c) => c.delivery.id)).toEqual([made[0]!.d.id, made[1]!.d.id])
        expect(claimed[0]!.message).toEqual(made[0]!.m)
        expect(claimed[0]!.delivery).toMatchObject({ status: 'delivering', lockedBy: 'w1', lockedUntil: at(30_100) })
        const rest = await store.claim({ now: at(100), limit: 10, leaseMs: 30_000, workerId: 'w2' })
        expect(rest.map((c) => c.delivery.id)).toEqual([made[2]!.d.id])
        expect(await store.claim({ now: at(200), limit: 10, leaseMs: 30_000, workerId: 'w3' })).toEqual([])
      })

      it('.claim() re-claims a delivery whose lease expired (a dead worker), never a live one', async () => {
        const ep = await seed()
        const m = messageFixture()
        const d = deliveryFixture(m, ep)
        await store.enqueue(m, [d])
        await store.claim({ now: at(0), limit: 1, leaseMs: 1000, workerId: 'dead-worker' })
        expect(await store.claim({ now: at(999), limit: 1, leaseMs: 1000, workerId: 'w2' })).toEqual([])
        const again = await store.claim({ now: at(1001), limit: 1, leaseMs: 1000, workerId: 'w2' })
        expect(again.map((c) => c.delivery.lockedBy)).toEqual(['w2'])
        // the dead worker's late outcome must not overwrite the new lease holder's state
        await store.complete([outcomeFixture(d, 'dead-worker')])
        expect((await store.getDelivery(d.id))!.status).toBe('delivering')
        expect(await store.listAttempts(d.id)).toHaveLength(1)
      })

      it('.claim() skips excluded endpoints and still finds them later', async () => {
        const open = await seed()
        const ok = await seed()
        const m = messageFixture()
        const dOpen = deliveryFixture(m, open)
        const dOk = deliveryFixture(m, ok)
        await store.enqueue(m, [dOpen, dOk])
        const claimed = await store.claim({ now: at(1), limit: 10, leaseMs: 1000, workerId: 'w', excludeEndpointIds: [open.id] })
        expect(claimed.map((c) => c.delivery.id)).toEqual([dOk.id])
        const later = await store.claim({ now: at(2), limit: 10, leaseMs: 1000, workerId: 'w' })
        expect(later.map((c) => c.delivery.id)).toEqual([dOpen.id])
      })

      it('.complete() records attempts and the new state in one batch; retries become due again', async () => {
        const ep = await seed()
        const m = messageFixture()
        const ok = deliveryFixture(m, ep)
        const retry = deliveryFixture(m, ep)
        const dead = deliveryFixture(m, ep)
        await store.enqueue(m, [ok, retry, dead])
        await store.claim({ now: at(0), limit: 10, leaseMs: 10_000, workerId: 'w' })
        await store.complete([
          outcomeFixture(ok, 'w'),
          outcomeFixture(retry, 'w', { status: 'failed', nextAttemptAt: at(5000), completedAt: null, lastStatusCode: 500, lastError: 'HTTP 500', attempt: attemptFixture(retry) }),
          outcomeFixture(dead, 'w', { status: 'dead', completedAt: at(1000), lastStatusCode: 410, lastError: 'HTTP 410', attempt: attemptFixture(dead, { responseStatus: 410 }) }),
        ])
        expect(await store.getDelivery(ok.id)).toMatchObject({ status: 'succeeded', attempts: 1, lockedBy: null, lockedUntil: null, completedAt: at(1000), lastStatusCode: 200 })
        expect(await store.getDelivery(retry.id)).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: at(5000), lastError: 'HTTP 500', completedAt: null })
        expect(await store.getDelivery(dead.id)).toMatchObject({ status: 'dead', lastStatusCode: 410 })
        expect(await store.nextDueAt()).toEqual(at(5000))
        expect(await store.claim({ now: at(4999), limit: 10, leaseMs: 1000, workerId: 'w' })).toEqual([])
        const due = await store.claim({ now: at(5000), limit: 10, leaseMs: 1000, workerId: 'w' })
        expect(due.map((c) => c.delivery.id)).toEqual([retry.id])
        const attempts = await store.listAttempts(ok.id)
        expect(attempts).toHaveLength(1)
        expect(attempts[0]).toMatchObject({ responseStatus: 200, succeeded: true, requestHeaders: { authorization: '[redacted]' } })
      })

      it('.complete() with status pending gives the delivery back without an attempt', async () => {
        const ep = await seed()
        const m = messageFixture()
        const d = deliveryFixture(m, ep)
        await store.enqueue(m, [d])
        await store.claim({ now: at(0), limit: 1, leaseMs: 1000, workerId: 'w' })
        await store.complete([outcomeFixture(d, 'w', { status: 'pending', attempts: 0, nextAttemptAt: at(300_000), attempt: null, completedAt: null, lastStatusCode: null })])
        expect(await store.getDelivery(d.id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: at(300_000) })
        expect(await store.listAttempts(d.id)).toEqual([])
      })

      it('.release() makes leased deliveries due now, only for the holder', async () => {
        const ep = await seed()
        const m = messageFixture()
        const d = deliveryFixture(m, ep)
        await store.enqueue(m, [d])
        await store.claim({ now: at(0), limit: 1, leaseMs: 60_000, workerId: 'w' })
        await store.release([d.id], 'someone-else', at(10))
        expect((await store.getDelivery(d.id))!.status).toBe('delivering')
        await store.release([d.id], 'w', at(10))
        expect(await store.getDelivery(d.id)).toMatchObject({ status: 'pending', lockedBy: null, nextAttemptAt: at(10) })
        expect(await store.claim({ now: at(10), limit: 1, leaseMs: 1000, workerId: 'w2' })).toHaveLength(1)
      })

      it('.nextDueAt() is the earliest claimable time, or null', async () => {
        expect(await store.nextDueAt()).toBeNull()
        const ep = await seed()
        const m = messageFixture()
        await store.enqueue(m, [deliveryFixture(m, ep, { nextAttemptAt: at(7000) }), deliveryFixture(m, ep, { nextAttemptAt: at(3000) })])
        expect(await store.nextDueAt()).toEqual(at(3000))
      })
    })

    describe('manual redelivery', () => {
      it('.requeueDelivery() replaces a scheduled retry instead of adding one', async () => {
        const ep = await seed()
        const m = messageFixture()
        const d = deliveryFixture(m, ep)
        await store.enqueue(m, [d])
        await store.claim({ now: at(0), limit: 1, leaseMs: 1000, workerId: 'w' })
        await store.complete([outcomeFixture(d, 'w', { status: 'failed', nextAttemptAt: at(600_000), completedAt: null, attempt: attemptFixture(d) })])
        const res = await store.requeueDelivery(d.id, at(10), at(10))
        expect(res.status).toBe('requeued')
        const claimed = await store.claim({ now: at(10), limit: 10, leaseMs: 1000, workerId: 'w' })
        expect(claimed).toHaveLength(1)
        await store.complete([outcomeFixture(d, 'w', { attempts: 2 })])
        expect(await store.claim({ now: at(700_000), limit: 10, leaseMs: 1000, workerId: 'w' })).toEqual([])
      })

      it('.requeueDelivery() refuses while a live lease holds the delivery; missing ids say so', async () => {
        const ep = await seed()
        const m = messageFixture()
        const d = deliveryFixture(m, ep)
        await store.enqueue(m, [d])
        await store.claim({ now: at(0), limit: 1, leaseMs: 1000, workerId: 'w' })
        expect((await store.requeueDelivery(d.id, at(5), at(5))).status).toBe('busy')
        expect((await store.requeueDelivery(d.id, at(2000), at(2000))).status).toBe('requeued')
        expect(await store.requeueDelivery('dlv_missing', at(0), at(0))).toEqual({ status: 'missing' })
      })

      it('.replayDeliveries() requeues dead and failed deliveries in a time range', async () => {
        const ep = await seed()
        const old = messageFixture({ createdAt: at(0) })
        const recent = messageFixture({ createdAt: at(10_000) })
        const d1 = deliveryFixture(old, ep, { status: 'dead', nextAttemptAt: null, completedAt: at(1) })
        const d2 = deliveryFixture(recent, ep, { status: 'dead', nextAttemptAt: null, completedAt: at(10_001) })
        const d3 = deliveryFixture(recent, ep, { status: 'succeeded', nextAttemptAt: null, completedAt: at(10_001) })
        await store.enqueue(old, [d1])
        await store.enqueue(recent, [d2, d3])
        expect(await store.replayDeliveries({ endpointId: ep.id, since: at(5000), at: at(20_000) })).toBe(1)
        expect(await store.getDelivery(d2.id)).toMatchObject({ status: 'pending', nextAttemptAt: at(20_000), completedAt: null })
        expect((await store.getDelivery(d1.id))!.status).toBe('dead')
      })
    })

    describe('statistics and retention', () => {
      it('.getStats() counts states, attempts, mean and p95 duration, success rate', async () => {
        const ep = await seed()
        expect(await store.getStats(ep.id)).toMatchObject({ total: 0, attempts: 0, averageDurationMs: null, successRate: null })
        const m = messageFixture()
        const list = Array.from({ length: 4 }, () => deliveryFixture(m, ep))
        await store.enqueue(m, list)
        await store.claim({ now: at(0), limit: 10, leaseMs: 1000, workerId: 'w' })
        const durations = [10, 20, 30, 100]
        await store.complete([
          outcomeFixture(list[0]!, 'w', { attempt: attemptFixture(list[0]!, { durationMs: durations[0], succeeded: true, startedAt: at(1) }) }),
          outcomeFixture(list[1]!, 'w', { attempt: attemptFixture(list[1]!, { durationMs: durations[1], succeeded: true, startedAt: at(2) }) }),
          outcomeFixture(list[2]!, 'w', { status: 'dead', attempt: attemptFixture(list[2]!, { durationMs: durations[2], startedAt: at(3) }) }),
          outcomeFixture(list[3]!, 'w', { status: 'failed', completedAt: null, nextAttemptAt: at(99), attempt: attemptFixture(list[3]!, { durationMs: durations[3], startedAt: at(4) }) }),
        ])
        const stats = await store.getStats(ep.id)
        expect(stats).toEqual({
          total: 4,
          succeeded: 2,
          failed: 1,
          dead: 1,
          pending: 0,
          attempts: 4,
          averageDurationMs: 40,
          p95DurationMs: 100,
          successRate: 0.5,
          lastAttemptAt: at(4),
        })
      })

      it('.cleanup() deletes finished records older than the cutoff, keeps the rest', async () => {
        const ep = await seed()
        const oldM = messageFixture({ createdAt: at(0) })
        const oldDone = deliveryFixture(oldM, ep)
        const oldPending = messageFixture({ createdAt: at(0) })
        const stillPending = deliveryFixture(oldPending, ep, { nextAttemptAt: at(10_000_000) })
        await store.enqueue(oldM, [oldDone])
        await store.enqueue(oldPending, [stillPending])
        await store.claim({ now: at(0), limit: 1, leaseMs: 1000, workerId: 'w' })
        await store.complete([outcomeFixture(oldDone, 'w', { completedAt: at(100) })])
        const hook = incomingHookFixture()
        await store.createIncomingHook(hook)
        await store.insertIncomingLog(incomingLogFixture(hook.id, { receivedAt: at(0) }))
        await store.insertIncomingLog(incomingLogFixture(hook.id, { receivedAt: at(5_000_000) }))

        const res = await store.cleanup({ before: at(1_000_000), batchSize: 1 })
        expect(res).toEqual({ deliveries: 1, attempts: 1, messages: 1, incomingLogs: 1 })
        expect(await store.getDelivery(oldDone.id)).toBeNull()
        expect(await store.listAttempts(oldDone.id)).toEqual([])
        expect(await store.getMessage(oldM.id)).toBeNull()
        expect(await store.getDelivery(stillPending.id)).not.toBeNull()
        expect(await store.getMessage(oldPending.id)).not.toBeNull()
        expect(await store.listIncomingLogs(hook.id)).toHaveLength(1)
      })
    })

    describe('incoming hooks', () => {
      it('CRUD, token-hash lookup and owner filter', async () => {
        const h = incomingHookFixture({ owner: 'acme' })
        const other = incomingHookFixture({ owner: 'globex', transform: '{{ data | tojson }}', verification: null, dedupeWindowMs: null })
        await store.createIncomingHook(h)
        await store.createIncomingHook(other)
        expect(await store.getIncomingHook(h.id)).toEqual(h)
        expect(await store.getIncomingHook(other.id)).toEqual(other)
        expect(await store.findIncomingHookByTokenHash(h.tokenHash)).toEqual(h)
        expect(await store.findIncomingHookByTokenHash('nope')).toBeNull()
        expect((await store.listIncomingHooks({ owner: 'acme' })).map((x) => x.id)).toEqual([h.id])
        expect(await store.listIncomingHooks()).toHaveLength(2)
        const updated = { ...h, active: false, version: 2, allowedIps: [], updatedAt: at(5) }
        expect(await store.updateIncomingHook(updated)).toBe(true)
        expect(await store.getIncomingHook(h.id)).toEqual(updated)
        expect(await store.deleteIncomingHook(h.id)).toBe(true)
        expect(await store.getIncomingHook(h.id)).toBeNull()
        expect(await store.deleteIncomingHook(h.id)).toBe(false)
        expect(await store.updateIncomingHook(h)).toBe(false)
      })

      it('logs are listed newest first with pagination', async () => {
        const h = incomingHookFixture()
        await store.createIncomingHook(h)
        const ids: string[] = []
        for (let i = 0; i < 4; i++) {
          const log = incomingLogFixture(h.id, { receivedAt: at(i), status: 200 + i })
          ids.push(log.id)
          await store.insertIncomingLog(log)
        }
        await store.insertIncomingLog(incomingLogFixture(null, { status: 404 }))
        const page = await store.listIncomingLogs(h.id, { limit: 2, offset: 1 })
        expect(page.map((l) => l.id)).toEqual([ids[2], ids[1]])
        expect(page[0]).toMatchObject({ status: 202, receivedAt: at(2), headers: { 'content-type': 'application/json' } })
      })

      it('.rememberIncomingKey() dedupes within the window only', async () => {
        const h = incomingHookFixture()
        await store.createIncomingHook(h)
        expect(await store.rememberIncomingKey(h.id, 'evt_1', at(0), at(1000))).toBe(true)
        expect(await store.rememberIncomingKey(h.id, 'evt_1', at(500), at(1500))).toBe(false)
        expect(await store.rememberIncomingKey(h.id, 'evt_2', at(500), at(1500))).toBe(true)
        expect(await store.rememberIncomingKey(h.id, 'evt_1', at(1001), at(2001))).toBe(true)
      })
    })

    it('dates come back as Date objects with millisecond precision', async () => {
      const ep = await seed({ createdAt: new Date(T0.getTime() + 123) })
      const got = await store.getEndpoint(ep.id)
      expect(got!.createdAt).toBeInstanceOf(Date)
      expect(got!.createdAt.getTime()).toBe(T0.getTime() + 123)
    })

    additionalTests?.(() => store)
  })
}
