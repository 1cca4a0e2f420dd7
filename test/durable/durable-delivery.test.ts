import pg from 'pg'
import { describe, expect, it } from 'vitest'
import type { WebhookManagerOptions, WebhookStore } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { PG_URL, pgAvailable } from '../helpers/pg.js'
import { eventually } from '../helpers/receiver.js'
import { useDurableFixture } from './fixture.js'

const fx = useDurableFixture()

const manage = (store: WebhookStore, extra: WebhookManagerOptions = {}) => fx.manage({ store, pollIntervalMs: 50, breaker: { enabled: false }, ...extra })

type StoreFactory = () => WebhookStore
const backends: [string, boolean, () => StoreFactory][] = [
  ['sqlite', true, () => {
    const file = fx.tempPath(`restart-${Math.random().toString(36).slice(2)}.db`)
    return () => sqliteStore({ filename: file })
  }],
  ['postgres', pgAvailable, () => {
    const schema = fx.pg.schema()
    return () => postgresStore({ connectionString: PG_URL, schema })
  }],
]

describe.each(backends)('durable delivery: %s', (_name, available, makeFactory) => {
  it.skipIf(!available)('a delivery waiting for its retry survives a manager restart and goes out on schedule', async () => {
    const factory = makeFactory()
    fx.receiver.respond((_r, i) => (i === 0 ? { status: 503 } : { status: 200 }))
    const first = manage(factory(), { retryPolicy: { strategy: 'fixed', initialDelayMs: 1500, jitter: 0 } })
    await first.start()
    const ep = await first.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    const { deliveryIds } = await first.emit('order.paid', { id: 1 })
    const failed = await eventually(async () => {
      const d = await first.getDelivery(deliveryIds[0]!)
      return d.status === 'failed' ? d : null
    })
    await first.close()
    fx.managers.splice(fx.managers.indexOf(first), 1)

    const second = manage(factory())
    await second.start()
    const [, retry] = await fx.receiver.waitFor(2, 10_000)
    expect(retry!.receivedAt).toBeGreaterThanOrEqual(failed.nextAttemptAt!.getTime() - 5)
    const done = await eventually(async () => {
      const d = await second.getDelivery(deliveryIds[0]!)
      return d.status === 'succeeded' ? d : null
    })
    expect(done.attemptLog.map((a) => a.responseStatus)).toEqual([503, 200])
    expect((await second.getStats(ep.id)).succeeded).toBe(1)
  })
})

describe.skipIf(!pgAvailable)('postgres: several workers, one database', () => {
  // A lease that outlasts any stall of a loaded machine (a lease running out mid-send would let the
  // other worker send that delivery too, rightly: at-least-once), yet runs out within the test.
  const startWorker = (schema: string, id: string) => fx.startWorker(schema, id, { LEASE_MS: '8000' })

  it('two worker processes deliver every message; one killed with SIGKILL mid-flight loses nothing', async () => {
    const schema = fx.pg.schema()
    const producer = manage(postgresStore({ connectionString: PG_URL, schema }))
    await producer.migrate()
    // Track requests in flight per delivery: two workers must never attempt one delivery at once.
    const inFlight = new Map<string, number>()
    let overlaps = 0
    fx.receiver.respond((req) => {
      const id = String(req.headers['x-webhook-delivery'])
      const n = (inFlight.get(id) ?? 0) + 1
      inFlight.set(id, n)
      if (n > 1) overlaps++
      setTimeout(() => inFlight.set(id, (inFlight.get(id) ?? 1) - 1), 25)
      return { delayMs: 25 }
    })
    await producer.createEndpoint({ url: fx.receiver.url, events: ['*'], concurrency: 20 })
    const N = 300
    const messageIds = new Set<string>()
    for (let i = 0; i < N; i++) messageIds.add((await producer.emit('job.done', { i })).messageId)

    const [victim] = await Promise.all([startWorker(schema, 'victim'), startWorker(schema, 'survivor')])
    await fx.receiver.waitFor(40, 20_000)
    victim!.kill('SIGKILL')
    await new Promise<void>((resolve) => (victim!.exitCode !== null || victim!.signalCode !== null ? resolve() : victim!.once('exit', () => resolve())))
    expect(victim!.signalCode).toBe('SIGKILL')

    const pool = fx.pg.pool()
    // The victim died holding leases: deliveries only the survivor's re-claim (after the lease ran
    // out) can finish.
    const held = await pool.query(`SELECT id FROM "${schema}".deliveries WHERE status = 'delivering' AND locked_by = 'victim'`)
    expect(held.rows.length).toBeGreaterThan(0)
    await eventually(async () => {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".deliveries WHERE status = 'succeeded'`)
      return rows[0].n === N
    }, 120_000, 100)
    const received = new Set(fx.receiver.requests.map((r) => String(r.headers['x-webhook-id'])))
    expect([...messageIds].every((id) => received.has(id))).toBe(true)
    expect(overlaps).toBe(0)
    // At-least-once: a repeat can only come from a delivery the killed worker held.
    expect(fx.receiver.requests.length - N).toBeLessThanOrEqual(40)
    const { rows } = await pool.query(`SELECT DISTINCT locked_by FROM "${schema}".deliveries`)
    expect(rows).toEqual([{ locked_by: null }])
    const victimsLeft = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".deliveries WHERE id = ANY($1) AND status = 'succeeded'`, [held.rows.map((r) => r.id)])
    expect(victimsLeft.rows[0].n).toBe(held.rows.length)
  }, 240_000)

  it('transactional emit: rollback sends nothing, commit is delivered', async () => {
    const schema = fx.pg.schema()
    const store = postgresStore({ connectionString: PG_URL, schema })
    const manager = manage(store)
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    try {
      await client.query('BEGIN')
      const rolledBack = await manager.emit('order.created', { id: 'rolled-back' }, { client })
      await client.query('ROLLBACK')
      await client.query('BEGIN')
      const committed = await manager.emit('order.created', { id: 'committed' }, { client })
      await client.query('COMMIT')
      const [req] = await fx.receiver.waitFor(1, 10_000)
      expect((req!.body as { data: { id: string } }).data.id).toBe('committed')
      await new Promise((r) => setTimeout(r, 300))
      expect(fx.receiver.requests).toHaveLength(1)
      await expect(manager.getDelivery(rolledBack.deliveryIds[0]!)).rejects.toMatchObject({ code: 'NOT_FOUND' })
      expect((await manager.getDelivery(committed.deliveryIds[0]!)).status).toBe('succeeded')
    } finally {
      await client.end()
    }
  })
})
