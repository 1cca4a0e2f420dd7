import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { WebhookStore, WorkerHeartbeat } from '../../src/store/types.js'
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

/** Text as a store may keep it: each NUL (which Postgres text cannot hold) as U+FFFD. */
const nulAsReplacement = (value: string | null | undefined): string | null | undefined => value?.replaceAll('\u0000', '\uFFFD')

/** What a store under test is and how to make a fresh, empty one. */
export interface StoreUnderTest {
  /** Suite name. */
  name: string
  /** A fresh, empty, migrated store. */
  create: () => Promise<WebhookStore>
  /** Extra tests of the adapter, run inside the same describe block. */
  additionalTests?: (get: () => WebhookStore) => void
  /** The store keeps rate-limit slots shared by its workers (`takeRateSlot`, `releaseRateSlot`). */
  sharedRateSlots?: boolean
  /** The store keeps circuit breakers shared by its workers (`recordBreakerFailure`, `takeBreakerProbe`, …). */
  sharedBreakers?: boolean
}

/**
 * The repository conformance suite: every store adapter runs exactly these tests.
 */
export function testStore({ name, create, additionalTests, sharedRateSlots = false, sharedBreakers = false }: StoreUnderTest): void {
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

      it('a lookup by an id or filter holding a NUL finds nothing (an id that cannot exist), never fails', async () => {
        await seed({})
        const nul = 'ep_\u0000x'
        expect(await store.getEndpoint(nul)).toBeNull()
        expect(await store.deleteEndpoint(nul)).toBe(false)
        expect(await store.listEndpoints({ owner: '\u0000' })).toEqual([])
        expect(await store.getMessage(nul)).toBeNull()
        expect(await store.getDelivery(nul)).toBeNull()
        expect(await store.listDeliveries({ endpointId: nul })).toEqual([])
        expect(await store.listDeliveries({ messageId: nul, owner: '\u0000' })).toEqual([])
        expect(await store.listAttempts(nul)).toEqual([])
        expect(await store.requeueDelivery(nul, at(1), at(1))).toEqual({ status: 'missing' })
        expect(await store.replayDeliveries({ endpointId: nul, at: at(1) })).toBe(0)
        expect((await store.getStats(nul)).total).toBe(0)
        expect(await store.getIncomingHook(nul)).toBeNull()
        expect(await store.findIncomingHookByTokenHash(nul)).toBeNull()
        expect(await store.listIncomingLogs(nul)).toEqual([])
        expect(await store.deleteIncomingHook(nul)).toBe(false)
      })

      it('.listEndpoints() filters by owner and status and paginates oldest first', async () => {
        const a = await seed({ owner: 'acme', createdAt: at(1) })
        const b = await seed({ owner: 'acme', status: 'paused', createdAt: at(2) })
        const c = await seed({ owner: 'globex', createdAt: at(3) })
        expect((await store.listEndpoints()).map((e) => e.id)).toEqual([a.id, b.id, c.id])
        expect((await store.listEndpoints({ owner: 'acme' })).map((e) => e.id)).toEqual([a.id, b.id])
        expect((await store.listEndpoints({ owner: 'acme', status: 'active' })).map((e) => e.id)).toEqual([a.id])
        const unowned = await seed({ createdAt: at(4) })
        expect((await store.listEndpoints({ owner: null })).map((e) => e.id)).toEqual([unowned.id])
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

      it('.deleteEndpoint() keeps its finished deliveries with their attempts; unfinished ones go with their attempts', async () => {
        const ep = await seed()
        const m = messageFixture()
        const succeeded = deliveryFixture(m, ep)
        const dead = deliveryFixture(m, ep)
        const failed = deliveryFixture(m, ep)
        const pending = deliveryFixture(m, ep, { nextAttemptAt: at(60_000) })
        await store.enqueue(m, [succeeded, dead, failed, pending])
        expect(await store.claim({ now: at(0), limit: 3, leaseMs: 10_000, workerId: 'w' })).toHaveLength(3)
        await store.complete([
          outcomeFixture(succeeded, 'w'),
          outcomeFixture(dead, 'w', { status: 'dead', lastStatusCode: 410, attempt: attemptFixture(dead, { responseStatus: 410 }) }),
          outcomeFixture(failed, 'w', { status: 'failed', completedAt: null, nextAttemptAt: at(5000), lastStatusCode: 500, attempt: attemptFixture(failed) }),
        ])
        expect(await store.deleteEndpoint(ep.id)).toBe(true)
        expect(await store.getDelivery(succeeded.id)).toMatchObject({ status: 'succeeded', endpointId: ep.id })
        expect(await store.getDelivery(dead.id)).toMatchObject({ status: 'dead', lastStatusCode: 410 })
        expect(await store.listAttempts(succeeded.id)).toHaveLength(1)
        expect(await store.listAttempts(dead.id)).toHaveLength(1)
        expect(await store.getDelivery(failed.id)).toBeNull()
        expect(await store.listAttempts(failed.id)).toEqual([])
        expect(await store.getDelivery(pending.id)).toBeNull()
        expect((await store.listDeliveries({ endpointId: ep.id })).map((d) => d.status).sort()).toEqual(['dead', 'succeeded'])
        expect(await store.getMessage(m.id)).toEqual(m)
        expect(await store.nextDueAt()).toBeNull()
        expect(await store.claim({ now: at(100_000), limit: 10, leaseMs: 1000, workerId: 'w' })).toEqual([])
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

      it('.enqueue() - many at once: each stored once with its deliveries; one idempotency key among them gives one message', async () => {
        const ep = await seed()
        const plain = Array.from({ length: 30 }, (_, i) => messageFixture({ data: { i } }))
        const keyed = Array.from({ length: 6 }, (_, i) => messageFixture({ idempotencyKey: 'burst-1', data: { keyed: i } }))
        const all = [...plain, ...keyed]
        const deliveries = all.map((m) => [deliveryFixture(m, ep), deliveryFixture(m, ep)])
        const results = await Promise.all(all.map((m, i) => store.enqueue(m, deliveries[i]!)))
        for (let i = 0; i < plain.length; i++) {
          expect(results[i]).toMatchObject({ duplicate: false, message: { id: plain[i]!.id } })
          expect(await store.getMessage(plain[i]!.id)).toEqual(plain[i])
          expect((await store.listDeliveries({ messageId: plain[i]!.id })).map((d) => d.id).sort()).toEqual(deliveries[i]!.map((d) => d.id).sort())
        }
        const keyedResults = results.slice(plain.length)
        const winners = keyedResults.filter((r) => !r.duplicate)
        expect(winners).toHaveLength(1)
        const winner = winners[0]!.message.id
        for (const r of keyedResults) {
          expect(r.message.id).toBe(winner)
          expect(r.deliveries).toHaveLength(2)
        }
        expect(await store.listDeliveries({ endpointId: ep.id, limit: 1000 })).toHaveLength(2 * (plain.length + 1))
      })

      it('.enqueue() scopes idempotency keys per owner', async () => {
        const ep = await seed()
        const a = messageFixture({ idempotencyKey: 'k1', owner: 'acme' })
        const b = messageFixture({ idempotencyKey: 'k1', owner: 'globex' })
        const c = messageFixture({ idempotencyKey: 'k1', owner: null })
        for (const m of [a, b, c]) expect((await store.enqueue(m, [deliveryFixture(m, ep)])).duplicate).toBe(false)
        const again = messageFixture({ idempotencyKey: 'k1', owner: 'globex' })
        const res = await store.enqueue(again, [deliveryFixture(again, ep)])
        expect(res).toMatchObject({ duplicate: true, message: { id: b.id } })
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

      it('.enqueue() of a message with zero deliveries stores the message alone', async () => {
        const ep = await seed()
        const m = messageFixture({ idempotencyKey: 'nobody-listens' })
        const res = await store.enqueue(m, [])
        expect(res).toEqual({ message: m, deliveries: [], duplicate: false })
        expect(await store.getMessage(m.id)).toEqual(m)
        expect(await store.listDeliveries({ messageId: m.id })).toEqual([])
        expect(await store.nextDueAt()).toBeNull()
        expect(await store.claim({ now: at(1000), limit: 10, leaseMs: 1000, workerId: 'w' })).toEqual([])
        // Its idempotency key still counts: a repeat is a duplicate, even one that now has deliveries.
        const again = messageFixture({ idempotencyKey: 'nobody-listens' })
        const repeat = await store.enqueue(again, [deliveryFixture(again, ep)])
        expect(repeat).toMatchObject({ duplicate: true, deliveries: [] })
        expect(repeat.message.id).toBe(m.id)
        expect(await store.getMessage(again.id)).toBeNull()
        expect(await store.listDeliveries()).toEqual([])
        // Retention removes it once old enough: it has no delivery to wait for.
        expect(await store.cleanup({ before: at(1) })).toMatchObject({ deliveries: 0, messages: 1 })
        expect(await store.getMessage(m.id)).toBeNull()
      })

      it('.enqueue() round-trips a large payload with unicode exactly, key order included', async () => {
        const ep = await seed()
        const text = 'Grüße, 你好, こんにちは, مرحبا, שלום, 👩‍👩‍👧‍👦 🇺🇦 𝄞 e\u0301 \u200b\u2028\u2029 "quotes" \\ back\\slash \t\n\r\u0000 \u001f'
        const data = {
          z: 'first key, not sorted',
          a: text,
          big: text.repeat(4000), // ≈ 300 k UTF-16 units, ≈ 0.5 MB of UTF-8
          items: Array.from({ length: 2000 }, (_, i) => ({ i, label: `item-${i}-ü`, ok: i % 2 === 0, none: null })),
          numbers: [0, -1, 1.5, 1e21, 2 ** 53 - 1, -123.456e-7],
          empty: { obj: {}, arr: [], str: '' },
          '': 'empty key',
          'ключ': 'unicode key',
          '1': 'numeric-looking key',
        }
        const m = messageFixture({ data, metadata: { 'trace-id': '✓ 🚀', nested: { emoji: '🙂' } } })
        const d = deliveryFixture(m, ep)
        await store.enqueue(m, [d])
        const got = await store.getMessage(m.id)
        expect(got).toEqual(m)
        expect(JSON.stringify(got!.data)).toBe(JSON.stringify(data))
        const [claimed] = await store.claim({ now: at(0), limit: 1, leaseMs: 1000, workerId: 'w' })
        expect(JSON.stringify(claimed!.message.data)).toBe(JSON.stringify(data))
        // The attempt log keeps the exact body that was sent (JSON escapes the NUL). Free text from
        // outside (a response body, an error, an incoming payload) may hold a raw NUL: it must never
        // make a write fail; a store may keep it as U+FFFD (Postgres text cannot hold U+0000).
        const body = JSON.stringify({ data })
        const reply = `${text}\u0000tail`
        await store.complete([
          outcomeFixture(d, 'w', {
            lastError: `boom \u0000 ${text}`,
            attempt: attemptFixture(d, { requestBody: body, responseBody: reply, error: 'nul\u0000', succeeded: true }),
          }),
        ])
        const [attempt] = await store.listAttempts(d.id)
        expect(attempt!.requestBody).toBe(body)
        expect(nulAsReplacement(attempt!.responseBody)).toBe(nulAsReplacement(reply))
        expect(nulAsReplacement(attempt!.error)).toBe('nul\uFFFD')
        expect(nulAsReplacement((await store.getDelivery(d.id))!.lastError)).toBe(nulAsReplacement(`boom \u0000 ${text}`))
        const hook = incomingHookFixture()
        await store.createIncomingHook(hook)
        const log = incomingLogFixture(hook.id, { payload: reply, headers: { 'x-note': 'ü \u0000', 'x-literal': 'not a nul: \\u0000' }, error: 'bad\u0000' })
        await store.insertIncomingLog(log)
        const [stored] = await store.listIncomingLogs(hook.id)
        expect(nulAsReplacement(stored!.payload)).toBe(nulAsReplacement(reply))
        expect(nulAsReplacement(stored!.headers['x-note']!)).toBe('ü \uFFFD')
        expect(stored!.headers['x-literal']).toBe('not a nul: \\u0000')
        expect(nulAsReplacement(stored!.error)).toBe('bad\uFFFD')
      })

      it('.enqueueMany() stores every message with its deliveries, results in order', async () => {
        const ep = await seed()
        const other = await seed()
        const messages = Array.from({ length: 25 }, (_, i) => messageFixture({ data: { i }, createdAt: at(i) }))
        const items = messages.map((m, i) => ({ message: m, deliveries: i % 5 === 0 ? [] : [deliveryFixture(m, ep), deliveryFixture(m, other)] }))
        const results = await store.enqueueMany(items)
        expect(results).toHaveLength(items.length)
        for (let i = 0; i < items.length; i++) {
          expect(results[i]).toEqual({ message: items[i]!.message, deliveries: items[i]!.deliveries, duplicate: false })
          expect(await store.getMessage(messages[i]!.id)).toEqual(messages[i])
          expect((await store.listDeliveries({ messageId: messages[i]!.id })).map((d) => d.id).sort()).toEqual(items[i]!.deliveries.map((d) => d.id).sort())
        }
        expect(await store.listDeliveries({ limit: 1000 })).toHaveLength(40)
        // They are claimable like any other: oldest due first.
        const claimed = await store.claim({ now: at(1000), limit: 4, leaseMs: 1000, workerId: 'w' })
        expect(claimed.map((c) => c.message.id)).toEqual([messages[1]!.id, messages[1]!.id, messages[2]!.id, messages[2]!.id])
        expect(await store.enqueueMany([])).toEqual([])
      })

      it('.enqueueMany() - idempotency keys: a stored key and a key repeated within the batch give the earlier message', async () => {
        const ep = await seed()
        const stored = messageFixture({ idempotencyKey: 'order-1' })
        const storedDelivery = deliveryFixture(stored, ep)
        await store.enqueue(stored, [storedDelivery])
        const again = messageFixture({ idempotencyKey: 'order-1', data: { other: true } })
        const first = messageFixture({ idempotencyKey: 'order-2' })
        const repeat = messageFixture({ idempotencyKey: 'order-2', data: { repeat: true } })
        const otherOwner = messageFixture({ idempotencyKey: 'order-2', owner: 'acme' })
        const plain = messageFixture()
        const batch = [again, first, repeat, otherOwner, plain].map((m) => ({ message: m, deliveries: [deliveryFixture(m, ep)] }))
        const results = await store.enqueueMany(batch)
        expect(results.map((r) => [r.message.id, r.duplicate])).toEqual([
          [stored.id, true],
          [first.id, false],
          [first.id, true],
          [otherOwner.id, false],
          [plain.id, false],
        ])
        expect(results[0]!.deliveries.map((d) => d.id)).toEqual([storedDelivery.id])
        expect(results[2]!.deliveries.map((d) => d.id)).toEqual(batch[1]!.deliveries.map((d) => d.id))
        for (const m of [again, repeat]) expect(await store.getMessage(m.id)).toBeNull()
        expect(await store.listDeliveries({ endpointId: ep.id, limit: 100 })).toHaveLength(4)
        // The same batch again (a retry after a lost reply): nothing new, each resolves to what is stored.
        const retried = await store.enqueueMany(batch)
        expect(retried.map((r) => r.message.id)).toEqual(results.map((r) => r.message.id))
        expect(await store.listDeliveries({ endpointId: ep.id, limit: 100 })).toHaveLength(4)
      })

      it('.enqueueMany() is all or nothing: a message id clash stores none of the batch', async () => {
        const ep = await seed()
        const stored = messageFixture()
        await store.enqueue(stored, [deliveryFixture(stored, ep)])
        const fresh = messageFixture()
        const clash = { ...messageFixture(), id: stored.id, event: 'order.other' }
        await expect(
          store.enqueueMany([
            { message: fresh, deliveries: [deliveryFixture(fresh, ep)] },
            { message: clash, deliveries: [deliveryFixture(clash, ep)] },
          ]),
        ).rejects.toMatchObject({ code: 'CONFLICT' })
        expect(await store.getMessage(fresh.id)).toBeNull()
        expect(await store.getMessage(stored.id)).toEqual(stored)
        expect(await store.listDeliveries({ endpointId: ep.id, limit: 100 })).toHaveLength(1)
        // Within the batch too.
        const twice = { ...fresh, event: 'order.changed' }
        await expect(
          store.enqueueMany([
            { message: fresh, deliveries: [] },
            { message: twice, deliveries: [] },
          ]),
        ).rejects.toMatchObject({ code: 'CONFLICT' })
        expect(await store.getMessage(fresh.id)).toBeNull()
      })

      it('.listDeliveries({ messageId }) returns the deliveries of one message, newest first', async () => {
        const a = await seed()
        const b = await seed()
        const m1 = messageFixture({ createdAt: at(0) })
        const m2 = messageFixture({ createdAt: at(10) })
        const d1a = deliveryFixture(m1, a)
        const d1b = deliveryFixture(m1, b, { status: 'dead', nextAttemptAt: null, completedAt: at(5) })
        const d2a = deliveryFixture(m2, a)
        await store.enqueue(m1, [d1a, d1b])
        await store.enqueue(m2, [d2a])
        // Same creation time: the later inserted comes first.
        expect((await store.listDeliveries({ messageId: m1.id })).map((d) => d.id)).toEqual([d1b.id, d1a.id])
        expect(await store.listDeliveries({ messageId: m1.id, endpointId: a.id })).toEqual([d1a])
        expect((await store.listDeliveries({ messageId: m1.id, status: 'dead' })).map((d) => d.id)).toEqual([d1b.id])
        expect((await store.listDeliveries({ messageId: m1.id, limit: 1, offset: 1 })).map((d) => d.id)).toEqual([d1a.id])
        expect(await store.listDeliveries({ messageId: m2.id, endpointId: b.id })).toEqual([])
        expect(await store.listDeliveries({ messageId: 'msg_missing' })).toEqual([])
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

      it('.enqueue() of a delivery already leased (emit hand-off) keeps the lease: no claim takes it until it runs out', async () => {
        const ep = await seed()
        const m = messageFixture({ createdAt: at(0) })
        const d = deliveryFixture(m, ep, { status: 'delivering', lockedBy: 'w1', lockedUntil: at(30_000), nextAttemptAt: at(0) })
        const result = await store.enqueue(m, [d], { handOff: true })
        expect(result.duplicate).toBe(false)
        expect(result.handedOff).not.toBe(false)
        expect(await store.getDelivery(d.id)).toMatchObject({ status: 'delivering', lockedBy: 'w1', lockedUntil: at(30_000) })
        expect(await store.claim({ now: at(29_999), limit: 10, leaseMs: 1000, workerId: 'w2' })).toEqual([])
        // The lease holder records its outcome as after any claim.
        await store.complete([outcomeFixture(d, 'w1')])
        expect((await store.getDelivery(d.id))!.status).toBe('succeeded')

        // One whose holder died: claimable once its lease ran out.
        const m2 = messageFixture({ createdAt: at(0) })
        const d2 = deliveryFixture(m2, ep, { status: 'delivering', lockedBy: 'dead-worker', lockedUntil: at(30_000), nextAttemptAt: at(0) })
        await store.enqueue(m2, [d2], { handOff: true })
        const taken = await store.claim({ now: at(30_001), limit: 10, leaseMs: 1000, workerId: 'w2' })
        expect(taken.map((c) => [c.delivery.id, c.delivery.lockedBy])).toEqual([[d2.id, 'w2']])
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

    describe('fifo lines', () => {
      /** Enqueues one message per key to `ep`, each delivery in the line of its key, all emitted at the same instant. */
      const line = async (ep: Awaited<ReturnType<typeof seed>>, keys: (string | null)[]) => {
        const out = []
        for (const key of keys) {
          const m = messageFixture({ createdAt: at(0) })
          const d = deliveryFixture(m, ep, { orderingKey: key, nextAttemptAt: at(0) })
          await store.enqueue(m, [d])
          out.push(d)
        }
        return out
      }
      const claimIds = async (now: number, workerId = 'w', limit = 10) =>
        (await store.claim({ now: at(now), limit, leaseMs: 1000, workerId })).map((c) => c.delivery.id)

      it('.claim() leases only the head of each line, in emit order; other lines and unordered deliveries go in parallel', async () => {
        const ep = await seed()
        const [a1, a2, a3, b1, b2, free1, free2] = await line(ep, ['a', 'a', 'a', 'b', 'b', null, null])
        expect(await store.getDelivery(a1!.id)).toMatchObject({ orderingKey: 'a' })
        expect(await store.getDelivery(free1!.id)).toMatchObject({ orderingKey: null })
        expect((await claimIds(1)).sort()).toEqual([a1!.id, b1!.id, free1!.id, free2!.id].sort())
        // Nothing more while the heads are in flight, whoever asks.
        expect(await claimIds(2, 'w2')).toEqual([])
        await store.complete([outcomeFixture(a1!, 'w')])
        expect(await claimIds(3)).toEqual([a2!.id])
        await store.complete([outcomeFixture(a2!, 'w'), outcomeFixture(b1!, 'w')])
        expect((await claimIds(4)).sort()).toEqual([a3!.id, b2!.id].sort())
      })

      it('a failing head holds its line through its retries; once it is dead the next one goes', async () => {
        const ep = await seed()
        const [d1, d2] = await line(ep, ['', ''])
        expect(await claimIds(1)).toEqual([d1!.id])
        await store.complete([outcomeFixture(d1!, 'w', { status: 'failed', nextAttemptAt: at(5000), completedAt: null, attempt: attemptFixture(d1!) })])
        // Its retry is not due yet, and the one behind it waits anyway.
        expect(await claimIds(100)).toEqual([])
        expect(await claimIds(5000)).toEqual([d1!.id])
        await store.complete([outcomeFixture(d1!, 'w', { status: 'dead', attempts: 2, completedAt: at(5001), attempt: attemptFixture(d1!) })])
        expect(await claimIds(5001)).toEqual([d2!.id])
      })

      it("a head whose worker died is claimed again after its lease, still first; a release keeps it first", async () => {
        const ep = await seed()
        const [d1, d2] = await line(ep, ['k', 'k'])
        expect(await claimIds(0, 'dead-worker')).toEqual([d1!.id])
        expect(await claimIds(999, 'w2')).toEqual([])
        expect(await claimIds(1001, 'w2')).toEqual([d1!.id])
        await store.release([d1!.id], 'w2', at(1002))
        expect(await claimIds(1002, 'w3')).toEqual([d1!.id])
        await store.complete([outcomeFixture(d1!, 'w3')])
        expect(await claimIds(1003, 'w3')).toEqual([d2!.id])
      })

      it('a manual retry of an older finished delivery takes back its place: it goes next, once the one in flight is done', async () => {
        const ep = await seed()
        const [d1, d2, d3] = await line(ep, ['k', 'k', 'k'])
        expect(await claimIds(0)).toEqual([d1!.id])
        await store.complete([outcomeFixture(d1!, 'w', { status: 'dead', completedAt: at(1) })])
        expect(await claimIds(2)).toEqual([d2!.id])
        expect((await store.requeueDelivery(d1!.id, at(3), at(3))).status).toBe('requeued')
        // d2 is in flight: nobody else of the line goes, not even the older d1.
        expect(await claimIds(4)).toEqual([])
        await store.complete([outcomeFixture(d2!, 'w')])
        expect(await claimIds(5)).toEqual([d1!.id])
        await store.complete([outcomeFixture(d1!, 'w', { attempts: 2 })])
        expect(await claimIds(6)).toEqual([d3!.id])
      })

      it('an older delivery made due again goes before a younger one whose lease ran out; a replay keeps emit order', async () => {
        const ep = await seed()
        const [d1, d2, d3] = await line(ep, ['k', 'k', 'k'])
        expect(await claimIds(0)).toEqual([d1!.id])
        await store.complete([outcomeFixture(d1!, 'w', { status: 'dead', completedAt: at(1) })])
        expect(await claimIds(2, 'lost')).toEqual([d2!.id])
        await store.requeueDelivery(d1!.id, at(3), at(3))
        // d2's worker is gone: after its lease the older d1 goes first, then d2 again.
        expect(await claimIds(1003)).toEqual([d1!.id])
        await store.complete([outcomeFixture(d1!, 'w', { status: 'dead', completedAt: at(1004) })])
        expect(await claimIds(1005)).toEqual([d2!.id])
        await store.complete([outcomeFixture(d2!, 'w', { status: 'dead', completedAt: at(1006) })])
        expect(await claimIds(1007)).toEqual([d3!.id])
        await store.complete([outcomeFixture(d3!, 'w', { status: 'dead', completedAt: at(1008) })])
        expect(await store.replayDeliveries({ endpointId: ep.id, at: at(2000) })).toBe(3)
        const replayed: string[] = []
        for (let i = 0; i < 4; i++) {
          const ids = await claimIds(2000 + i)
          expect(ids.length).toBeLessThanOrEqual(1)
          replayed.push(...ids)
          if (ids[0]) await store.complete([outcomeFixture((await store.getDelivery(ids[0]))!, 'w', { attempts: 2 })])
        }
        expect(replayed).toEqual([d1!.id, d2!.id, d3!.id])
      })

      it('deleting the endpoint takes its lines with it; another endpoint\'s line of the same key is its own', async () => {
        const ep = await seed()
        const other = await seed()
        await line(ep, ['k', 'k'])
        const [o1, o2] = await line(other, ['k', 'k'])
        expect(await store.deleteEndpoint(ep.id)).toBe(true)
        expect(await claimIds(1)).toEqual([o1!.id])
        await store.complete([outcomeFixture(o1!, 'w')])
        expect(await claimIds(2)).toEqual([o2!.id])
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

      it('.replayDeliveries() without endpointId replays every endpoint; never a leased delivery', async () => {
        const a = await seed()
        const b = await seed()
        const m = messageFixture()
        const deadA = deliveryFixture(m, a, { status: 'dead', nextAttemptAt: null, completedAt: at(1) })
        const failedB = deliveryFixture(m, b, { status: 'failed', attempts: 2, nextAttemptAt: at(900_000) })
        const okB = deliveryFixture(m, b, { status: 'succeeded', attempts: 1, nextAttemptAt: null, completedAt: at(1) })
        const leased = deliveryFixture(m, b, { nextAttemptAt: at(0) })
        await store.enqueue(m, [deadA, failedB, okB, leased])
        expect(await store.claim({ now: at(0), limit: 10, leaseMs: 60_000, workerId: 'w' })).toHaveLength(1)

        expect(await store.replayDeliveries({ at: at(50) })).toBe(2)
        expect(await store.getDelivery(deadA.id)).toMatchObject({ status: 'pending', nextAttemptAt: at(50), completedAt: null })
        expect(await store.getDelivery(failedB.id)).toMatchObject({ status: 'pending', nextAttemptAt: at(50), attempts: 2 })
        expect((await store.getDelivery(okB.id))!.status).toBe('succeeded')
        expect((await store.getDelivery(leased.id))!).toMatchObject({ status: 'delivering', lockedBy: 'w' })
        const due = await store.claim({ now: at(50), limit: 10, leaseMs: 1000, workerId: 'w2' })
        expect(due.map((c) => c.delivery.id).sort()).toEqual([deadA.id, failedB.id].sort())

        // Explicit states: succeeded ones too, but a live lease is still left alone.
        expect(await store.replayDeliveries({ statuses: ['succeeded', 'delivering'], at: at(60) })).toBe(1)
        expect(await store.getDelivery(okB.id)).toMatchObject({ status: 'pending', nextAttemptAt: at(60), completedAt: null })
        expect((await store.getDelivery(leased.id))!.lockedBy).toBe('w')
        expect(await store.replayDeliveries({ at: at(70) })).toBe(0)
      })
    })

    describe('deliveries of a tenant', () => {
      it('.listDeliveries({ owner }) and .replayDeliveries({ owner }) see only the deliveries to that owner\'s endpoints', async () => {
        const acme = endpointFixture({ owner: 'acme' })
        const globex = endpointFixture({ owner: 'globex' })
        const nobody = endpointFixture({ owner: null })
        for (const e of [acme, globex, nobody]) await store.createEndpoint(e)
        const m = messageFixture()
        const forAcme = deliveryFixture(m, acme, { status: 'dead', nextAttemptAt: null, completedAt: at(1) })
        const forGlobex = deliveryFixture(m, globex, { status: 'dead', nextAttemptAt: null, completedAt: at(1) })
        const forNobody = deliveryFixture(m, nobody, { status: 'dead', nextAttemptAt: null, completedAt: at(1) })
        await store.enqueue(m, [forAcme, forGlobex, forNobody])
        expect((await store.listDeliveries({ owner: 'acme' })).map((d) => d.id)).toEqual([forAcme.id])
        expect((await store.listDeliveries({ owner: null })).map((d) => d.id)).toEqual([forNobody.id])
        expect(await store.listDeliveries({ owner: 'initech' })).toEqual([])
        expect(await store.replayDeliveries({ owner: 'globex', at: at(5) })).toBe(1)
        expect((await store.getDelivery(forGlobex.id))!.status).toBe('pending')
        expect((await store.getDelivery(forAcme.id))!.status).toBe('dead')
        expect((await store.getDelivery(forNobody.id))!.status).toBe('dead')
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

      it('.getStats(id, since) counts only deliveries created at or after `since`, with their attempts', async () => {
        const ep = await seed()
        const other = await seed()
        const old = messageFixture({ createdAt: at(0) })
        const recent = messageFixture({ createdAt: at(10_000) })
        const dOld = deliveryFixture(old, ep)
        const dNew1 = deliveryFixture(recent, ep)
        const dNew2 = deliveryFixture(recent, ep, { nextAttemptAt: at(999_999) })
        await store.enqueue(old, [dOld])
        await store.enqueue(recent, [dNew1, dNew2, deliveryFixture(recent, other)])
        await store.claim({ now: at(10_000), limit: 2, leaseMs: 1000, workerId: 'w' })
        await store.complete([
          outcomeFixture(dOld, 'w', { status: 'dead', attempt: attemptFixture(dOld, { durationMs: 500, startedAt: at(20_000) }) }),
          outcomeFixture(dNew1, 'w', { attempt: attemptFixture(dNew1, { durationMs: 8, succeeded: true, startedAt: at(10_001) }) }),
        ])
        expect(await store.getStats(ep.id, at(10_000))).toEqual({
          total: 2,
          succeeded: 1,
          failed: 0,
          dead: 0,
          pending: 1,
          attempts: 1,
          averageDurationMs: 8,
          p95DurationMs: 8,
          successRate: 1,
          lastAttemptAt: at(10_001),
        })
        expect(await store.getStats(ep.id, at(0))).toMatchObject({ total: 3, dead: 1, attempts: 2, averageDurationMs: 254, lastAttemptAt: at(20_000) })
        expect(await store.getStats(ep.id, at(10_001))).toMatchObject({ total: 0, attempts: 0, averageDurationMs: null, p95DurationMs: null, successRate: null, lastAttemptAt: null })
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

      it('incoming hooks: rateLimitPerMinute null (no limit) and large limits round-trip', async () => {
        const open = incomingHookFixture({ rateLimitPerMinute: null })
        const big = incomingHookFixture({ rateLimitPerMinute: 10_000_000 })
        await store.createIncomingHook(open)
        await store.createIncomingHook(big)
        expect((await store.getIncomingHook(open.id))!.rateLimitPerMinute).toBeNull()
        expect((await store.getIncomingHook(big.id))!.rateLimitPerMinute).toBe(10_000_000)
        await store.updateIncomingHook({ ...big, rateLimitPerMinute: null })
        expect((await store.getIncomingHook(big.id))!.rateLimitPerMinute).toBeNull()
      })

      it('.cleanup() deletes dedupe keys that expired before the cutoff and keeps the others', async () => {
        const hook = incomingHookFixture()
        await store.createIncomingHook(hook)
        expect(await store.rememberIncomingKey(hook.id, 'expired', at(0), at(1000))).toBe(true)
        expect(await store.rememberIncomingKey(hook.id, 'live', at(0), at(5000))).toBe(true)
        await store.cleanup({ before: at(2000), batchSize: 1 })
        // Asked as of a time before either expiry: a key that is still stored is a repeat.
        expect(await store.rememberIncomingKey(hook.id, 'live', at(500), at(5000))).toBe(false)
        expect(await store.rememberIncomingKey(hook.id, 'expired', at(500), at(1500))).toBe(true)
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

      it('.listIncomingHooks() pages oldest first (ties in insertion order), within an owner too', async () => {
        const created = [
          incomingHookFixture({ owner: 'acme', createdAt: at(3) }),
          incomingHookFixture({ owner: 'acme', createdAt: at(1) }),
          incomingHookFixture({ owner: 'globex', createdAt: at(2) }),
          incomingHookFixture({ owner: 'acme', createdAt: at(2) }),
          incomingHookFixture({ owner: null, createdAt: at(5) }),
        ]
        for (const h of created) await store.createIncomingHook(h)
        const [h3, h1, g2, h2, n5] = created.map((h) => h.id)
        const ids = async (query: Parameters<WebhookStore['listIncomingHooks']>[0]) => (await store.listIncomingHooks(query)).map((h) => h.id)
        expect(await ids({})).toEqual([h1, g2, h2, h3, n5])
        expect(await ids({ limit: 2 })).toEqual([h1, g2])
        expect(await ids({ limit: 2, offset: 2 })).toEqual([h2, h3])
        expect(await ids({ limit: 2, offset: 4 })).toEqual([n5])
        expect(await ids({ offset: 5 })).toEqual([])
        expect(await ids({ owner: 'acme', limit: 2, offset: 1 })).toEqual([h2, h3])
        expect(await store.listIncomingHooks({ owner: 'acme', limit: 1 })).toEqual([created[1]])
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

      it('.getIncomingStats() counts requests by status, 2xx as succeeded, mean and p95 handling time, since a time', async () => {
        const h = incomingHookFixture()
        await store.createIncomingHook(h)
        expect(await store.getIncomingStats(h.id)).toEqual({
          total: 0, succeeded: 0, failed: 0, successRate: null, averageDurationMs: null, p95DurationMs: null, byStatus: {}, lastReceivedAt: null,
        })
        const rows: [number, number, number][] = [
          [0, 200, 10], [1, 200, 20], [2, 202, 30], [3, 401, 1], [4, 429, 2], [5, 500, 40], [6, 200, 5], [7, 422, 7], [8, 200, 9], [9, 200, 100],
        ]
        for (const [t, status, durationMs] of rows) await store.insertIncomingLog(incomingLogFixture(h.id, { receivedAt: at(t * 1000), status, durationMs }))
        await store.insertIncomingLog(incomingLogFixture(null, { status: 404 }))
        const other = incomingHookFixture()
        await store.createIncomingHook(other)
        await store.insertIncomingLog(incomingLogFixture(other.id, { status: 500 }))
        expect(await store.getIncomingStats(h.id)).toEqual({
          total: 10,
          succeeded: 6,
          failed: 4,
          successRate: 0.6,
          averageDurationMs: 22.4,
          p95DurationMs: 100,
          byStatus: { '200': 5, '202': 1, '401': 1, '422': 1, '429': 1, '500': 1 },
          lastReceivedAt: at(9000),
        })
        const recent = await store.getIncomingStats(h.id, at(6000))
        expect(recent).toMatchObject({ total: 4, succeeded: 3, byStatus: { '200': 3, '422': 1 }, p95DurationMs: 100, averageDurationMs: 30.25 })
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

    describe('worker registry', () => {
      const beat = (id: string, lastSeen: number, over: Partial<WorkerHeartbeat> = {}): WorkerHeartbeat => ({
        id,
        host: 'host-a',
        pid: 4242,
        startedAt: at(0),
        lastSeenAt: at(lastSeen),
        inFlight: 3,
        stoppedAt: null,
        ...over,
      })

      it('.recordWorker() upserts; .listWorkers() returns every worker, most recently seen first', async () => {
        await store.recordWorker!(beat('w1', 1000))
        await store.recordWorker!(beat('w2', 2000, { host: 'host-b', pid: 7 }))
        await store.recordWorker!(beat('w1', 3000, { inFlight: 9 }))
        const workers = await store.listWorkers!()
        expect(workers.map((w) => w.id)).toEqual(['w1', 'w2'])
        expect(workers[0]).toEqual({ ...beat('w1', 3000, { inFlight: 9 }), lostAt: null, leases: null })
        expect(workers[1]).toMatchObject({ host: 'host-b', pid: 7, lastSeenAt: at(2000) })
      })

      it('.reportLostWorkers() marks stale running workers once, with the deliveries still leased to them', async () => {
        const ep = await seed()
        for (let i = 0; i < 3; i++) {
          const m = messageFixture()
          await store.enqueue(m, [deliveryFixture(m, ep)])
        }
        await store.claim({ now: at(0), limit: 2, leaseMs: 60_000, workerId: 'gone' })
        await store.recordWorker!(beat('gone', 1000))
        await store.recordWorker!(beat('stopped', 1000, { stoppedAt: at(1000) }))
        await store.recordWorker!(beat('alive', 9000))

        const lost = await store.reportLostWorkers!(at(5000), at(10_000))
        expect(lost).toEqual([{ ...beat('gone', 1000), lostAt: at(10_000), leases: 2 }])
        expect(await store.reportLostWorkers!(at(5000), at(11_000))).toEqual([])
        expect((await store.listWorkers!()).find((w) => w.id === 'gone')).toMatchObject({ lostAt: at(10_000), leases: 2 })

        // It came back: its next heartbeat clears the loss.
        await store.recordWorker!(beat('gone', 12_000))
        expect((await store.listWorkers!()).find((w) => w.id === 'gone')).toMatchObject({ lostAt: null, leases: null })
      })

      it('.pruneWorkers() deletes workers stopped or lost before the cutoff, never running ones', async () => {
        await store.recordWorker!(beat('stopped-early', 1000, { stoppedAt: at(1000) }))
        await store.recordWorker!(beat('stopped-late', 5000, { stoppedAt: at(5000) }))
        await store.recordWorker!(beat('lost', 100))
        await store.recordWorker!(beat('running', 300))
        expect((await store.reportLostWorkers!(at(200), at(2000))).map((w) => w.id)).toEqual(['lost'])
        expect(await store.pruneWorkers!(at(3000))).toBe(2)
        expect((await store.listWorkers!()).map((w) => w.id).sort()).toEqual(['running', 'stopped-late'])
      })
    })

    describe.skipIf(!sharedRateSlots)('shared rate-limit slots', () => {
      const take = (workerId: string, now: number, max = 2, holdFor = 10_000, count = 1) =>
        store.takeRateSlots!({ endpointId: 'ep_limited', max, count, workerId, now: at(now), holdUntil: at(now + holdFor) })
      const release = (workerId: string, ...slots: [number, number][]) =>
        store.releaseRateSlots!(
          workerId,
          slots.map(([slot, freeAt]) => ({ endpointId: 'ep_limited', slot, freeAt: at(freeAt) })),
        )

      it('.takeRateSlots() hands out max slots in all, several in one call, then says none is given back yet', async () => {
        const a = await take('w1', 0, 3, 10_000, 2)
        expect(a.slots.sort()).toEqual([0, 1])
        expect(a.retryAt).toBeNull()
        // Fewer free than asked: the one left, and no time to look again (the others are held).
        expect(await take('w2', 0, 3, 10_000, 5)).toEqual({ slots: [2], retryAt: null })
        expect(await take('w3', 10, 3)).toEqual({ slots: [], retryAt: null })
        // Another endpoint has slots of its own.
        expect((await store.takeRateSlots!({ endpointId: 'ep_other', max: 1, count: 1, workerId: 'w1', now: at(10), holdUntil: at(5000) })).slots).toEqual([0])
      })

      it('.releaseRateSlots() frees slots at the given times in one call, only for their holder; an expired hold frees itself', async () => {
        expect((await take('w1', 0, 2, 10_000, 2)).slots.sort()).toEqual([0, 1])
        await release('not-the-holder', [0, 0], [1, 0])
        expect(await take('w2', 100, 2)).toEqual({ slots: [], retryAt: null })
        await release('w1', [0, 600], [1, 400])
        // The earliest slot given back says when to look again.
        expect(await take('w2', 399, 2, 10_000, 2)).toEqual({ slots: [], retryAt: at(400) })
        expect(await take('w2', 400, 2, 10_000, 2)).toEqual({ slots: [1], retryAt: at(600) })
        expect(await take('w2', 600, 2, 10_000, 2)).toEqual({ slots: [0], retryAt: null })
        // w2 dies holding both: the holds run out at 400 + 10 000 and 600 + 10 000.
        expect(await take('w3', 5000, 2)).toEqual({ slots: [], retryAt: null })
        expect(await take('w3', 10_400, 2, 10_000, 2)).toEqual({ slots: [1], retryAt: null })
        expect((await take('w3', 10_600, 2)).slots).toEqual([0])
        await release('w3', [0, 11_000], [1, 11_000])
        expect(await take('w4', 10_700, 2)).toEqual({ slots: [], retryAt: at(11_000) })
      })

      it('.takeRateSlots() with a larger max makes the new slots; a smaller max leaves the others unused', async () => {
        expect((await take('w1', 0, 1)).slots).toEqual([0])
        expect((await take('w2', 0, 3, 10_000, 3)).slots.sort()).toEqual([1, 2])
        expect(await take('w4', 0, 3)).toEqual({ slots: [], retryAt: null })
        await release('w2', [1, 50], [2, 50])
        expect(await take('w5', 0, 1)).toEqual({ slots: [], retryAt: null })
        expect(await take('w5', 0, 3)).toEqual({ slots: [], retryAt: at(50) })
      })
    })

    describe.skipIf(!sharedBreakers)('shared circuit breakers', () => {
      const fail = (workerId: string, retryAt = 5000, failureThreshold = 3) =>
        store.recordBreakerFailure!({ endpointId: 'ep_down', workerId, failureThreshold, retryAt: at(retryAt) })
      const probe = (workerId: string, now: number, holdFor = 1000) =>
        store.takeBreakerProbe!({ endpointId: 'ep_down', workerId, now: at(now), holdUntil: at(now + holdFor) })

      it('.recordBreakerFailure() counts failures of every worker and opens once, at the threshold', async () => {
        expect(await fail('w1')).toEqual({ opened: false, breaker: { endpointId: 'ep_down', failures: 1, retryAt: null, probeBy: null, probeUntil: null } })
        expect((await fail('w2')).opened).toBe(false)
        const third = await fail('w3', 7000)
        expect(third).toEqual({ opened: true, breaker: { endpointId: 'ep_down', failures: 3, retryAt: at(7000), probeBy: null, probeUntil: null } })
        // A straggler's failure while open counts, but neither re-opens nor moves retryAt.
        expect(await fail('w1', 9000)).toMatchObject({ opened: false, breaker: { failures: 4, retryAt: at(7000) } })
        expect(await store.getBreaker!('ep_down')).toMatchObject({ failures: 4, retryAt: at(7000) })
        expect(await store.listOpenBreakers!()).toEqual([{ endpointId: 'ep_down', failures: 4, retryAt: at(7000), probeBy: null, probeUntil: null }])
        // A threshold of 1 opens on the first failure.
        expect((await store.recordBreakerFailure!({ endpointId: 'ep_other', workerId: 'w1', failureThreshold: 1, retryAt: at(10) })).opened).toBe(true)
      })

      it('.recordBreakerSuccess() clears the failures of a closed breaker; an open one stays open', async () => {
        await fail('w1')
        expect(await store.recordBreakerSuccess!('ep_down', 'w2')).toBe(false)
        expect(await store.getBreaker!('ep_down')).toBeNull()
        for (const w of ['w1', 'w2', 'w3']) await fail(w)
        expect(await store.recordBreakerSuccess!('ep_down', 'w1')).toBe(false)
        expect(await store.getBreaker!('ep_down')).toMatchObject({ retryAt: at(5000) })
        expect(await store.listOpenBreakers!()).toHaveLength(1)
      })

      it('.takeBreakerProbe() grants one probe once retryAt has passed, until its hold runs out', async () => {
        expect(await probe('w1', 0)).toEqual({ granted: false, breaker: null })
        for (const w of ['w1', 'w2', 'w3']) await fail(w)
        expect(await probe('w1', 4999)).toMatchObject({ granted: false, breaker: { retryAt: at(5000), probeBy: null } })
        const takes = await Promise.all(['w1', 'w2', 'w3', 'w4'].map((w) => probe(w, 5000)))
        expect(takes.filter((t) => t.granted)).toHaveLength(1)
        const holder = takes.find((t) => t.granted)!.breaker!.probeBy!
        expect(takes.find((t) => !t.granted)!.breaker).toMatchObject({ retryAt: at(5000) })
        expect(await store.getBreaker!('ep_down')).toMatchObject({ probeBy: holder, probeUntil: at(6000) })
        // The holder died: its hold runs out at 6000 and another worker probes.
        expect((await probe('w9', 5999)).granted).toBe(false)
        expect(await probe('w9', 6000)).toMatchObject({ granted: true, breaker: { probeBy: 'w9', probeUntil: at(7000) } })
      })

      it('a failed probe re-opens with a new retryAt; a successful one closes the breaker for every worker', async () => {
        for (const w of ['w1', 'w2', 'w3']) await fail(w)
        expect((await probe('w2', 5000)).granted).toBe(true)
        // Another worker's failure is not the probe's: nothing re-opens.
        expect((await fail('w1', 8000)).opened).toBe(false)
        const reopened = await fail('w2', 9000)
        expect(reopened).toEqual({ opened: true, breaker: { endpointId: 'ep_down', failures: 5, retryAt: at(9000), probeBy: null, probeUntil: null } })
        expect((await probe('w3', 8999)).granted).toBe(false)
        expect((await probe('w3', 9000)).granted).toBe(true)
        expect(await store.recordBreakerSuccess!('ep_down', 'w1')).toBe(false)
        expect(await store.recordBreakerSuccess!('ep_down', 'w3')).toBe(true)
        expect(await store.getBreaker!('ep_down')).toBeNull()
        expect(await store.listOpenBreakers!()).toEqual([])
        expect(await probe('w1', 20_000)).toEqual({ granted: false, breaker: null })
      })

      it('.clearBreaker() forgets an open breaker', async () => {
        for (const w of ['w1', 'w2', 'w3']) await fail(w)
        await store.clearBreaker!('ep_down')
        expect(await store.getBreaker!('ep_down')).toBeNull()
        expect((await fail('w1')).breaker.failures).toBe(1)
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
