import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/store/memory/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import type { WebhookStore } from '../../src/store/types.js'
import type { DeliveryStatus } from '../../src/types.js'
import { fuzzParams, fuzzTimeout } from '../fuzz/fuzz-settings.js'
import { at, deliveryFixture, endpointFixture, messageFixture, outcomeFixture } from './fixtures.js'

// The memory store keeps fifo lines its own way (only a line's head in the due queue, the rest
// parked); SQLite states the rule in its claim query. For any sequence of enqueues, claims,
// outcomes, releases, manual retries, replays and lost leases, both must lease the same deliveries
// at every claim — and every line must drain in the end (a parked head left behind would never go).

type Op =
  | { kind: 'enqueue'; key: string | null }
  | { kind: 'claim'; worker: 'w1' | 'w2'; advance: number }
  | { kind: 'complete'; pick: number; status: Exclude<DeliveryStatus, 'delivering'>; retryIn: number }
  | { kind: 'release'; pick: number }
  | { kind: 'requeue'; pick: number }
  | { kind: 'replay' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('enqueue' as const), key: fc.constantFrom('a', 'a', 'a', 'b', '', null) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('claim' as const), worker: fc.constantFrom('w1' as const, 'w2' as const), advance: fc.constantFrom(0, 10, 10, 600, 1500) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('complete' as const),
      pick: fc.nat(6),
      status: fc.constantFrom<Exclude<DeliveryStatus, 'delivering'>>('succeeded', 'failed', 'dead', 'pending'),
      retryIn: fc.constantFrom(0, 50, 2000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat(6) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('requeue' as const), pick: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'replay' as const }) },
)

const LEASE_MS = 1000

describe('fifo lines: the memory store leases what the SQLite store leases', () => {
  it('same deliveries at every claim, and every line drains', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        const stores: WebhookStore[] = [memoryStore(), sqliteStore({ filename: ':memory:' })]
        const [mem, sql] = stores as [WebhookStore, WebhookStore]
        try {
          await sql.migrate()
          const ep = endpointFixture()
          for (const s of stores) await s.createEndpoint(ep)
          const ids: string[] = []
          let now = 0
          const claimBoth = async (worker: string) => {
            const got = await Promise.all(stores.map(async (s) => (await s.claim({ now: at(now), limit: 100, leaseMs: LEASE_MS, workerId: worker })).map((c) => c.delivery.id).sort()))
            expect(got[0], `claim at ${now} by ${worker}`).toEqual(got[1])
            return got[0]!
          }
          const pick = (n: number) => ids[ids.length - 1 - (n % Math.max(1, ids.length))]
          for (const o of ops) {
            if (o.kind === 'enqueue') {
              const m = messageFixture({ createdAt: at(now) })
              const d = deliveryFixture(m, ep, { orderingKey: o.key, nextAttemptAt: at(now) })
              for (const s of stores) await s.enqueue(m, [d])
              ids.push(d.id)
            } else if (o.kind === 'claim') {
              now += o.advance
              await claimBoth(o.worker)
            } else if (o.kind === 'complete' || o.kind === 'release') {
              const id = pick(o.pick)
              const d = id === undefined ? null : await mem.getDelivery(id)
              if (!d || d.status !== 'delivering' || d.lockedBy === null) continue
              if (o.kind === 'release') {
                for (const s of stores) await s.release([d.id], d.lockedBy, at(now))
                continue
              }
              const finished = o.status === 'succeeded' || o.status === 'dead'
              const outcome = outcomeFixture(d, d.lockedBy, {
                status: o.status,
                nextAttemptAt: finished ? null : at(now + o.retryIn),
                completedAt: finished ? at(now) : null,
                updatedAt: at(now),
                attempt: null,
              })
              for (const s of stores) await s.complete([outcome])
            } else if (o.kind === 'requeue') {
              const id = pick(o.pick)
              if (id === undefined) continue
              const results = await Promise.all(stores.map((s) => s.requeueDelivery(id, at(now), at(now))))
              expect(results[0]!.status).toBe(results[1]!.status)
            } else {
              const counts = await Promise.all(stores.map((s) => s.replayDeliveries({ endpointId: ep.id, at: at(now) })))
              expect(counts[0]).toBe(counts[1])
            }
          }
          // Drain: past every lease and retry, each claim's leases succeed; both stores finish everything.
          for (let round = 0; round < ids.length + 2; round++) {
            now += 10_000
            const claimed = await claimBoth('drain')
            for (const id of claimed) {
              const d = (await mem.getDelivery(id))!
              for (const s of stores) await s.complete([outcomeFixture(d, 'drain', { completedAt: at(now), updatedAt: at(now), attempt: null })])
            }
          }
          for (const s of stores) {
            const left = (await s.listDeliveries({ endpointId: ep.id, status: ['pending', 'failed', 'delivering'] })).length
            expect(left, `${s.name}: deliveries left unfinished`).toBe(0)
          }
        } finally {
          for (const s of stores) await s.close()
        }
      }),
      {
        ...fuzzParams(),
        // Cases random sequences rarely reach: an older delivery retried by hand while a younger one
        // of its line is in flight waits for it…
        examples: [
          [
            [
              { kind: 'enqueue', key: 'a' },
              { kind: 'enqueue', key: 'a' },
              { kind: 'claim', worker: 'w1', advance: 0 },
              { kind: 'complete', pick: 1, status: 'dead', retryIn: 0 },
              { kind: 'claim', worker: 'w1', advance: 10 },
              { kind: 'requeue', pick: 1 },
              { kind: 'claim', worker: 'w2', advance: 10 },
            ],
          ],
          [
            // …and goes first once that one's lease ran out (its worker lost), not after it.
            [
              { kind: 'enqueue', key: 'a' },
              { kind: 'enqueue', key: 'a' },
              { kind: 'claim', worker: 'w1', advance: 0 },
              { kind: 'complete', pick: 1, status: 'dead', retryIn: 0 },
              { kind: 'claim', worker: 'w1', advance: 10 },
              { kind: 'requeue', pick: 1 },
              { kind: 'claim', worker: 'w2', advance: 10 },
              { kind: 'claim', worker: 'w2', advance: 1500 },
            ],
          ],
        ],
      },
    )
  }, fuzzTimeout(100))
})
