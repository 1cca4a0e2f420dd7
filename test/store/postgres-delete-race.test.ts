import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresStore, type PostgresStore } from '../../src/store/postgres/index.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import type { DeliveryOutcome } from '../../src/store/types.js'
import type { Delivery } from '../../src/types.js'
import { createPgTestContext, pgAvailable, PG_URL } from '../helpers/pg.js'
import { at, attemptFixture, deliveryFixture, endpointFixture, messageFixture } from './fixtures.js'

// An endpoint deleted while the worker writes a batch of outcomes: the delete commits in the
// middle of the `complete` statement. Interleaved on two real connections: the delete runs first
// and holds its transaction open, `complete` starts and waits for the deleted row's lock, then
// the delete commits. The batch must succeed for the other endpoint's delivery, and write
// nothing for the deleted one.

const ctx = createPgTestContext()
const schema = ctx.schema()

describe.skipIf(!pgAvailable)('postgres: deleteEndpoint racing store.complete', () => {
  let store: PostgresStore
  let other: pg.Client
  beforeAll(async () => {
    store = postgresStore({ connectionString: PG_URL, schema, max: 4 })
    await store.migrate()
    other = new pg.Client({ connectionString: PG_URL })
    await other.connect()
  })
  afterAll(async () => {
    await other?.end()
    await store?.close()
    await ctx.dispose()
  })

  /** Outcome of a successful attempt of `delivery`, leased to worker `w`. */
  function success(delivery: Delivery): DeliveryOutcome {
    const attempt = attemptFixture(delivery, { succeeded: true, responseStatus: 200, startedAt: at(1000) })
    return {
      deliveryId: delivery.id,
      workerId: 'w',
      status: 'succeeded',
      attempts: 1,
      nextAttemptAt: null,
      lastStatusCode: 200,
      lastError: null,
      completedAt: at(1000),
      updatedAt: at(1000),
      attempt,
    }
  }

  /** Resolves once a backend of this test's schema waits for a lock while running `fragment`. */
  async function waitUntilBlocked(fragment: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const { rows } = await ctx
        .pool()
        .query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [`%${schema}%${fragment}%`])
      if (rows[0]!.n > 0) return
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error(`no statement containing ${fragment} waited for a lock within 5 s`)
  }

  it("a delete committed mid-statement drops the deleted endpoint's outcome and keeps the batch", async () => {
    const doomed = endpointFixture()
    const kept = endpointFixture()
    await store.createEndpoint(doomed)
    await store.createEndpoint(kept)
    const message = messageFixture({ createdAt: at(0) })
    const gone = deliveryFixture(message, doomed)
    const stays = deliveryFixture(message, kept)
    await store.enqueue(message, [gone, stays])
    const claimed = await store.claim({ now: at(10), limit: 10, leaseMs: 60_000, workerId: 'w' })
    expect(claimed.map((c) => c.delivery.id).sort()).toEqual([gone.id, stays.id].sort())
    const leased = new Map(claimed.map((c) => [c.delivery.id, c.delivery]))

    // The delete, as deleteEndpoint runs it, in a transaction held open.
    await other.query('BEGIN')
    const deleted = await other.query(createPlans(schema).deleteEndpoint(doomed.id))
    expect(deleted.rows[0]).toMatchObject({ deleted: 1, deliveries: 1 })

    const completing = store.complete([success(leased.get(gone.id)!), success(leased.get(stays.id)!)])
    const settled = completing.then(
      () => null,
      (error: unknown) => error,
    )
    try {
      // The outcome statement's lock of its deliveries (early in its text: pg_stat_activity keeps
      // only the first 1 kB of a statement).
      await waitUntilBlocked('FOR NO KEY UPDATE')
    } finally {
      await other.query('COMMIT')
    }
    expect(await settled).toBeNull()

    // The other endpoint's outcome is stored in full.
    expect(await store.getDelivery(stays.id)).toMatchObject({ status: 'succeeded', attempts: 1, lockedBy: null })
    expect(await store.listAttempts(stays.id)).toHaveLength(1)
    // Nothing of the deleted endpoint's delivery remains, and no attempt row points nowhere.
    expect(await store.getDelivery(gone.id)).toBeNull()
    expect(await store.listAttempts(gone.id)).toEqual([])
  })

  it('a delete that waits for the outcome write: the outcome is written, then the delete proceeds', async () => {
    // The other order: the delivery row is held (key share, as a reader checking it exists
    // would) so the delete has to wait; the outcomes are written meanwhile; then the delete
    // goes through and neither fails.
    const doomed = endpointFixture()
    const kept = endpointFixture()
    await store.createEndpoint(doomed)
    await store.createEndpoint(kept)
    const message = messageFixture({ createdAt: at(0) })
    const first = deliveryFixture(message, doomed)
    const stays = deliveryFixture(message, kept)
    await store.enqueue(message, [first, stays])
    const claimed = await store.claim({ now: at(10), limit: 10, leaseMs: 60_000, workerId: 'w' })
    const leased = new Map(claimed.map((c) => [c.delivery.id, c.delivery]))

    // Hold the row as an outcome write would, so the delete has to wait for it.
    await other.query('BEGIN')
    await other.query(`SELECT id FROM "${schema}".deliveries WHERE id = $1 FOR KEY SHARE`, [first.id])
    const deleting = store.deleteEndpoint(doomed.id)
    try {
      await waitUntilBlocked('DELETE FROM')
      // Meanwhile the outcomes are written (a key-share lock does not block the outcome write).
      await store.complete([success(leased.get(first.id)!), success(leased.get(stays.id)!)])
    } finally {
      await other.query('COMMIT')
    }
    expect(await deleting).toBe(true)
    // The delivery finished before the delete went through: kept, as deleteEndpoint keeps finished ones.
    expect(await store.getDelivery(first.id)).toMatchObject({ status: 'succeeded' })
    expect(await store.listAttempts(first.id)).toHaveLength(1)
    expect(await store.getDelivery(stays.id)).toMatchObject({ status: 'succeeded' })
  })

  it('a delete that waits for an outcome write leaving the delivery unfinished deletes its attempt too', async () => {
    // Attempts have no foreign key (migration 11): no cascade deletes the attempt the outcome
    // write committed while the delete waited; deleteEndpoint's second statement does.
    const doomed = endpointFixture()
    await store.createEndpoint(doomed)
    const message = messageFixture({ createdAt: at(0) })
    const retried = deliveryFixture(message, doomed)
    await store.enqueue(message, [retried])
    const [claimed] = await store.claim({ now: at(10), limit: 10, leaseMs: 60_000, workerId: 'w' })
    const failure: DeliveryOutcome = {
      ...success(claimed!.delivery),
      status: 'failed',
      nextAttemptAt: at(60_000),
      lastStatusCode: 500,
      completedAt: null,
      attempt: attemptFixture(claimed!.delivery, { succeeded: false, responseStatus: 500, startedAt: at(1000) }),
    }

    await other.query('BEGIN')
    await other.query(`SELECT id FROM "${schema}".deliveries WHERE id = $1 FOR KEY SHARE`, [retried.id])
    const deleting = store.deleteEndpoint(doomed.id)
    try {
      await waitUntilBlocked('DELETE FROM')
      await store.complete([failure])
    } finally {
      await other.query('COMMIT')
    }
    expect(await deleting).toBe(true)
    expect(await store.getDelivery(retried.id)).toBeNull()
    const { rows } = await ctx.pool().query(`SELECT count(*)::int AS n FROM "${schema}".attempts WHERE delivery_id = $1`, [retried.id])
    expect(rows[0].n).toBe(0)
  })
})
