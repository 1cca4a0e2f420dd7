import { describe, expect, it } from 'vitest'
import { memoryStore, type WebhookManagerOptions, type WebhookStore } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { useDeliveryFixture } from '../helpers/delivery-fixture.js'
import { PG_URL, pgAvailable } from '../helpers/pg.js'
import { eventually, type ReceivedRequest } from '../helpers/receiver.js'

// Ordered (fifo) endpoints, end to end: one manager with its worker, a real receiver on
// 127.0.0.1, on each store. What the receiver saw, in arrival order, is what is checked.

const fx = useDeliveryFixture()

const backends: [string, boolean, () => WebhookStore][] = [
  ['memory', true, () => memoryStore()],
  ['sqlite', true, () => sqliteStore({ filename: fx.tempPath(`fifo-${Math.random().toString(36).slice(2)}.db`) })],
  ['postgres', pgAvailable, () => postgresStore({ connectionString: PG_URL, schema: fx.pg.schema() })],
]

/** The `data.n` of each request, in arrival order. */
const sequence = (requests: ReceivedRequest[], key?: string): number[] =>
  requests.map((r) => (r.body as { data: { n: number; customer?: string } }).data).filter((d) => key === undefined || d.customer === key).map((d) => d.n)
const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from)

describe.each(backends)('fifo endpoints: %s', (_name, available, makeStore) => {
  const start = async (extra: WebhookManagerOptions = {}) => {
    // The defaults otherwise: endpoint concurrency 10, hand-off on emit.
    const m = fx.manage({ store: makeStore(), pollIntervalMs: 50, breaker: { enabled: false }, ...extra })
    await m.start()
    return m
  }

  it.skipIf(!available)('60 sequential emits arrive one at a time, in emit order', async () => {
    const m = await start()
    // Answers that take a varying time: out of order is what parallel requests would produce.
    fx.receiver.respond((_r, i) => ({ delayMs: (i * 7) % 5 }))
    const ep = await m.createEndpoint({ url: fx.receiver.url, events: ['*'], ordering: 'fifo' })
    expect(ep).toMatchObject({ ordering: 'fifo', orderingKey: null })
    for (const n of range(60)) await m.emit('order.updated', { n })
    const requests = await fx.receiver.waitFor(60, 30_000)
    expect(sequence(requests)).toEqual(range(60))
  }, 60_000)

  it.skipIf(!available)('emitMany: the items of one batch keep their order in the line', async () => {
    const m = await start()
    fx.receiver.respond((_r, i) => ({ delayMs: (i * 7) % 5 }))
    await m.createEndpoint({ url: fx.receiver.url, events: ['*'], ordering: 'fifo' })
    await m.emitMany(range(20).map((n) => ({ event: 'order.updated', data: { n } })))
    await m.emitMany(range(20, 21).map((n) => ({ event: 'order.updated', data: { n } })))
    const requests = await fx.receiver.waitFor(40, 30_000)
    expect(sequence(requests)).toEqual(range(40))
  }, 60_000)

  it.skipIf(!available)('a failing delivery holds the line through its retries; the next goes once it succeeds', async () => {
    const m = await start({ retryPolicy: { strategy: 'fixed', initialDelayMs: 100, jitter: 0 } })
    let failuresLeft = 2
    fx.receiver.respond((req) => ((req.body as { data: { n: number } }).data.n === 3 && failuresLeft-- > 0 ? { status: 503 } : {}))
    await m.createEndpoint({ url: fx.receiver.url, events: ['*'], ordering: 'fifo' })
    for (const n of range(6)) await m.emit('order.updated', { n })
    const requests = await fx.receiver.waitFor(8, 20_000)
    expect(sequence(requests)).toEqual([1, 2, 3, 3, 3, 4, 5, 6])
  }, 30_000)

  it.skipIf(!available)('a delivery that dies lets the next one go; a manual retry of it goes next, after the one in flight', async () => {
    const m = await start({ retryPolicy: { strategy: 'fixed', initialDelayMs: 50, jitter: 0, maxAttempts: 2 } })
    let releaseFourth!: () => void
    const fourthHeld = new Promise<void>((resolve) => (releaseFourth = resolve))
    let twoFails = true
    fx.receiver.respond((req) => {
      const n = (req.body as { data: { n: number } }).data.n
      if (n === 2 && twoFails) return { status: 500 }
      if (n === 4) return { until: fourthHeld }
      return {}
    })
    await m.createEndpoint({ url: fx.receiver.url, events: ['*'], ordering: 'fifo' })
    const ids: string[] = []
    for (const n of range(5)) ids.push((await m.emit('order.updated', { n })).deliveryIds[0]!)
    // 2 fails twice and dies, 3 goes, 4 is held open by the receiver (its answer, hence waitFor, never comes).
    await eventually(() => fx.receiver.requests.length >= 5, 20_000)
    expect(sequence(fx.receiver.requests)).toEqual([1, 2, 2, 3, 4])
    expect((await m.getDelivery(ids[1]!)).status).toBe('dead')
    twoFails = false
    await m.retryDelivery(ids[1]!)
    releaseFourth()
    // The retried 2 takes back its place: after 4 (in flight when it was retried), before 5.
    const requests = await fx.receiver.waitFor(7, 20_000)
    expect(sequence(requests)).toEqual([1, 2, 2, 3, 4, 2, 5])
  }, 30_000)

  it.skipIf(!available)('an ordering key: each key keeps its order, and a held key does not hold the others', async () => {
    const m = await start()
    let releaseA!: () => void
    const aHeld = new Promise<void>((resolve) => (releaseA = resolve))
    fx.receiver.respond((req) => {
      const data = (req.body as { data: { n: number; customer: string } }).data
      return data.customer === 'a' && data.n === 1 ? { until: aHeld } : { delayMs: data.n % 3 }
    })
    const ep = await m.createEndpoint({ url: fx.receiver.url, events: ['*'], ordering: 'fifo', orderingKey: 'data.customer' })
    expect(ep.orderingKey).toBe('data.customer')
    for (const n of range(10)) for (const customer of ['a', 'b', 'c']) await m.emit('order.updated', { n, customer })
    // a's first request is held open: b and c go through to the end meanwhile, a waits.
    await eventually(() => sequence(fx.receiver.requests, 'b').length === 10 && sequence(fx.receiver.requests, 'c').length === 10, 20_000)
    expect(sequence(fx.receiver.requests, 'a')).toEqual([1])
    releaseA()
    await fx.receiver.waitFor(30, 20_000)
    for (const customer of ['a', 'b', 'c']) expect(sequence(fx.receiver.requests, customer)).toEqual(range(10))
  }, 40_000)

  it.skipIf(!available)('an unordered endpoint beside a fifo one is not held up by it', async () => {
    const m = await start({ retryPolicy: { strategy: 'fixed', initialDelayMs: 60_000, jitter: 0 } })
    fx.receiver.respond((req) => (req.url.endsWith('/fifo') ? { status: 500 } : {}))
    await m.createEndpoint({ url: `${fx.receiver.url}/fifo`, events: ['*'], ordering: 'fifo' })
    await m.createEndpoint({ url: `${fx.receiver.url}/free`, events: ['*'] })
    for (const n of range(10)) await m.emit('order.updated', { n })
    // The fifo line is stuck behind its first delivery (retry in a minute); the other endpoint gets all 10.
    await eventually(() => fx.receiver.requests.filter((r) => r.url.endsWith('/free')).length === 10, 20_000)
    expect(fx.receiver.requests.filter((r) => r.url.endsWith('/fifo')).map((r) => (r.body as { data: { n: number } }).data.n)).toEqual([1])
  }, 30_000)
})

describe('fifo endpoints: a restart mid-line (SQLite file)', () => {
  it('a manager closed while its head is in flight, and a new one on the same file: the line goes on in order', async () => {
    const filename = fx.tempPath(`fifo-restart-${Math.random().toString(36).slice(2)}.db`)
    const open = async () => {
      const m = fx.manage({ store: sqliteStore({ filename }), pollIntervalMs: 50, breaker: { enabled: false }, timeoutMs: 2000, retryPolicy: { strategy: 'fixed', initialDelayMs: 100, jitter: 0 } })
      await m.start()
      return m
    }
    let holdFour = true
    fx.receiver.respond((req) => ((req.body as { data: { n: number } }).data.n === 4 && holdFour ? { delayMs: 5000 } : {}))
    const first = await open()
    await first.createEndpoint({ url: fx.receiver.url, events: ['*'], ordering: 'fifo' })
    for (const n of range(8)) await first.emit('order.updated', { n })
    await eventually(() => fx.receiver.requests.length >= 4, 20_000)
    // 4 is in flight (its answer is slow): stop without draining. Its attempt times out and is
    // recorded as failed (retry in 100 ms); the next manager sends it again, then the rest.
    holdFour = false
    await first.close({ drain: false })
    fx.managers.splice(fx.managers.indexOf(first), 1)
    await open()
    await eventually(() => sequence(fx.receiver.requests).includes(8), 30_000)
    const seen = sequence(fx.receiver.requests)
    // 4 may arrive twice (its first request got no answer in time), never after 5.
    expect(seen.filter((n) => n !== 4)).toEqual([1, 2, 3, 5, 6, 7, 8])
    expect(seen).toContain(4)
    expect(seen.lastIndexOf(4)).toBeLessThan(seen.indexOf(5))
  }, 60_000)
})
