import { describe, expect, it } from 'vitest'
import type { WebhookManager } from '../../src/index.js'
import { pgAvailable } from '../helpers/pg.js'
import { eventually, type ReceivedRequest } from '../helpers/receiver.js'
import { useDurableFixture } from './fixture.js'

// Fifo endpoints with several worker processes on one Postgres database: the order holds at the
// receiver whichever worker sends, and when the worker holding a line's head is killed.

const fx = useDurableFixture()

/** A manager that only stores (its worker is not started): the worker processes deliver. */
async function producer(schema: string): Promise<WebhookManager> {
  const m = fx.postgres(schema)
  await m.migrate()
  return m
}

const ns = (requests: ReceivedRequest[], path: string, key?: string): number[] =>
  requests
    .filter((r) => r.url.endsWith(path))
    .map((r) => (r.body as { data: { n: number; customer: string } }).data)
    .filter((d) => key === undefined || d.customer === key)
    .map((d) => d.n)
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

describe.skipIf(!pgAvailable)('fifo endpoints: two Postgres worker processes', () => {
  it('deliveries of a line arrive in emit order, whichever worker sends them', async () => {
    const schema = fx.pg.schema()
    const m = await producer(schema)
    fx.receiver.respond((_r, i) => ({ delayMs: (i * 7) % 6 }))
    await m.createEndpoint({ url: `${fx.receiver.url}/line`, events: ['*'], ordering: 'fifo' })
    await m.createEndpoint({ url: `${fx.receiver.url}/keyed`, events: ['*'], ordering: 'fifo', orderingKey: 'data.customer' })
    // Leases far longer than any stall of a loaded machine: this test is about order, and a lease
    // that ran out mid-send would rightly send that delivery again (at-least-once).
    await Promise.all([fx.startWorker(schema, 'w1', { LEASE_MS: '30000' }), fx.startWorker(schema, 'w2', { LEASE_MS: '30000' })])
    const N = 30
    for (const n of range(N)) for (const customer of ['a', 'b']) await m.emit('order.updated', { n, customer })
    await eventually(() => fx.receiver.requests.length >= 4 * N, 60_000, 50)
    const line = fx.receiver.requests.filter((r) => r.url.endsWith('/line')).map((r) => (r.body as { data: { n: number; customer: string } }).data)
    expect(line.map((d) => `${d.n}${d.customer}`)).toEqual(range(N).flatMap((n) => [`${n}a`, `${n}b`]))
    for (const key of ['a', 'b']) expect(ns(fx.receiver.requests, '/keyed', key)).toEqual(range(N))
    expect(fx.receiver.requests).toHaveLength(4 * N)
  }, 180_000)

  it('SIGKILL of the worker holding the head: after its lease another worker sends the head again, then the rest in order', async () => {
    const schema = fx.pg.schema()
    const m = await producer(schema)
    let firstFive = true
    fx.receiver.respond((req) => {
      // The first arrival of 5 is never answered: its worker dies while it waits.
      if ((req.body as { data: { n: number } }).data.n === 5 && firstFive) {
        firstFive = false
        return { until: new Promise(() => {}) }
      }
      return {}
    })
    const ep = await m.createEndpoint({ url: `${fx.receiver.url}/line`, events: ['*'], ordering: 'fifo' })
    const workers = await Promise.all([fx.startWorker(schema, 'w1', { LEASE_MS: '3000' }), fx.startWorker(schema, 'w2', { LEASE_MS: '3000' })])
    const N = 12
    for (const n of range(N)) await m.emit('order.updated', { n })
    await eventually(() => fx.receiver.requests.length >= 5, 60_000, 50)
    const pool = fx.pg.pool()
    const { rows } = await pool.query(`SELECT locked_by FROM "${schema}".deliveries WHERE endpoint_id = $1 AND status = 'delivering'`, [ep.id])
    expect(rows).toHaveLength(1)
    const holder = workers[rows[0].locked_by === 'w1' ? 0 : 1]!
    holder.kill('SIGKILL')
    await new Promise<void>((resolve) => (holder.exitCode !== null || holder.signalCode !== null ? resolve() : holder.once('exit', () => resolve())))
    await eventually(() => fx.receiver.requests.length >= N + 1, 60_000, 50)
    // At-least-once: the head the killed worker was sending arrives twice, and nothing overtakes it.
    expect(ns(fx.receiver.requests, '/line')).toEqual([1, 2, 3, 4, 5, 5, ...range(N).slice(5)])
    await eventually(async () => {
      const done = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".deliveries WHERE status = 'succeeded'`)
      return done.rows[0].n === N
    }, 20_000, 100)
  }, 180_000)
})
