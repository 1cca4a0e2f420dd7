import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import * as v from 'valibot'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookManager, type WebhookManager } from '../../src/index.js'
import { memoryStore } from '../../src/store/memory/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import type { WebhookStore } from '../../src/store/types.js'
import { createPgTestContext, pgAvailable, PG_URL } from '../helpers/pg.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { allowLoopback } from '../helpers/egress.js'
import { useSqliteOutbox } from '../helpers/sqlite-outbox.js'

const dir = mkdtempSync(join(tmpdir(), 'hookline-emit-many-'))
const pgContext = createPgTestContext()
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await pgContext.dispose()
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Counts the store's write calls, to show a batch is one call. */
function counting(store: WebhookStore): { store: WebhookStore; calls: { enqueue: number; enqueueMany: number } } {
  const calls = { enqueue: 0, enqueueMany: 0 }
  const wrapped: WebhookStore = Object.create(store)
  wrapped.enqueue = (...args) => {
    calls.enqueue++
    return store.enqueue(...args)
  }
  wrapped.enqueueMany = (...args) => {
    calls.enqueueMany++
    return store.enqueueMany(...args)
  }
  return { store: wrapped, calls }
}

const stores: [string, boolean, () => WebhookStore][] = [
  ['memory', true, () => memoryStore()],
  ['sqlite', true, () => sqliteStore({ filename: join(dir, `s-${Math.random().toString(36).slice(2)}.db`) })],
  ['postgres', pgAvailable, () => postgresStore({ connectionString: PG_URL, schema: pgContext.schema() })],
]

describe.each(stores)('.emitMany() on the %s store', (_name, available, create) => {
  let receiver: Receiver
  let manager: WebhookManager
  let calls: { enqueue: number; enqueueMany: number }
  beforeEach(async () => {
    if (!available) return
    receiver = await startReceiver()
    const c = counting(create())
    calls = c.calls
    manager = createWebhookManager({ egress: allowLoopback, store: c.store, pollIntervalMs: 50, breaker: { enabled: false } })
    manager.registerEventType('order.created', { schema: v.object({ id: v.number(), x: v.optional(v.string()) }) })
  })
  afterEach(async () => {
    if (!available) return
    await manager.close({ drain: false })
    await receiver.close()
  })

  it.skipIf(!available)('fans out every item in one store write; the worker delivers them all', async () => {
    await manager.createEndpoint({ url: receiver.url, events: ['order.*'] })
    await manager.createEndpoint({ url: `${receiver.url}/b`, events: ['order.created'] })
    await manager.createEndpoint({ url: `${receiver.url}/c`, events: ['other.*'] })
    const results = await manager.emitMany(Array.from({ length: 20 }, (_, i) => ({ event: 'order.created' as const, data: { id: i } })))
    expect(calls).toEqual({ enqueue: 0, enqueueMany: 1 })
    expect(results).toHaveLength(20)
    for (const r of results) expect(r).toMatchObject({ duplicate: false, deliveryIds: [expect.any(String), expect.any(String)] })
    expect(new Set(results.map((r) => r.messageId)).size).toBe(20)
    await manager.start()
    const received = await receiver.waitFor(40, 10_000)
    expect(received.map((r) => (r.body as { data: { id: number } }).data.id).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => [i, i]).flat(),
    )
    expect(await manager.emitMany([])).toEqual([])
  })

  it.skipIf(!available)('is all or nothing: one bad item refuses the batch, naming each bad field by its index', async () => {
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    const items = [
      { event: 'order.created', data: { id: 1 } },
      { event: 'order.created', data: { id: 2 } },
      { event: 'order.created', data: { id: 3 } },
      { event: 'order.created', data: { id: 4, x: 5 } },
      { event: 'not a name', data: {} },
      { event: 'order.created', data: { id: 6 }, idempotencyKey: '' },
      { event: 'order.created', data: { id: 7, x: 10n } },
    ]
    const error = await manager.emitMany(items as never).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR' })
    const fields = (error as { fields: { field: string }[] }).fields.map((f) => f.field)
    expect(fields).toEqual(['items.3.data.x', 'items.4.event', 'items.5.idempotencyKey', 'items.6.data.x'])
    expect(calls.enqueueMany).toBe(0)
    expect(await manager.store.listDeliveries({ limit: 100 })).toEqual([])
    await expect(manager.emitMany([{ event: 'order.created', data: { id: 1 }, client: {} } as never])).rejects.toMatchObject({
      fields: [{ field: 'items.0.client' }],
    })
    await expect(manager.emitMany([null] as never)).rejects.toMatchObject({ fields: [{ field: 'items.0' }] })
    await expect(manager.emitMany({} as never)).rejects.toMatchObject({ fields: [{ field: 'items' }] })
    await manager.start()
    await sleep(200)
    expect(receiver.requests).toHaveLength(0)
  })

  it.skipIf(!available)('idempotency keys: duplicates within the batch and against stored messages behave like emit', async () => {
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    const earlier = await manager.emit('order.created', { id: 0 }, { idempotencyKey: 'k-0' })
    const results = await manager.emitMany([
      { event: 'order.created', data: { id: 1 }, idempotencyKey: 'k-0' },
      { event: 'order.created', data: { id: 2 }, idempotencyKey: 'k-2' },
      { event: 'order.created', data: { id: 3 }, idempotencyKey: 'k-2' },
      { event: 'order.created', data: { id: 4 }, idempotencyKey: 'k-2', owner: 'acme' },
      { event: 'order.created', data: { id: 5 } },
    ])
    expect(results.map((r) => r.duplicate)).toEqual([true, false, true, false, false])
    expect(results[0]).toEqual({ ...earlier, duplicate: true })
    expect(results[2]).toEqual({ ...results[1], duplicate: true })
    // The owner's own endpoints only (none here): its message is stored with no delivery.
    expect(results[3]!.deliveryIds).toEqual([])
    await manager.start()
    await receiver.waitFor(3, 10_000)
    await sleep(200)
    expect(receiver.requests.map((r) => (r.body as { data: { id: number } }).data.id).sort()).toEqual([0, 2, 5])
  })
})

describe.skipIf(!pgAvailable)("postgres: .emitMany() with the host's client joins its transaction", () => {
  let receiver: Receiver
  let manager: WebhookManager
  let schema: string
  beforeEach(async () => {
    receiver = await startReceiver()
    schema = pgContext.schema()
    // Another process's worker would be woken by the commit's NOTIFY: the poll interval is long.
    manager = createWebhookManager({ egress: allowLoopback, store: postgresStore({ connectionString: PG_URL, schema }), pollIntervalMs: 60_000, breaker: { enabled: false } })
    await manager.store.migrate()
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    await manager.start()
    await sleep(100) // the first idle poll is done; from now on only a wake-up starts a claim
  })
  afterEach(async () => {
    await manager.close({ drain: false })
    await receiver.close()
  })

  it('ROLLBACK stores and sends nothing; COMMIT stores every item and wakes the worker', async () => {
    const client = await pgContext.pool().connect()
    try {
      await client.query('BEGIN')
      await manager.emitMany([{ event: 'a.b', data: { n: 1 } }, { event: 'a.b', data: { n: 2 } }], { client })
      await client.query('ROLLBACK')
      await client.query('BEGIN')
      const results = await manager.emitMany(
        [
          { event: 'a.b', data: { n: 3 } },
          { event: 'a.b', data: { n: 4 }, idempotencyKey: 'once' },
          { event: 'a.b', data: { n: 5 }, idempotencyKey: 'once' },
        ],
        { client },
      )
      expect(results.map((r) => r.duplicate)).toEqual([false, false, true])
      // Not visible outside the transaction yet.
      expect(await manager.store.listDeliveries({ limit: 100 })).toEqual([])
      await client.query('COMMIT')
    } finally {
      client.release()
    }
    const received = await receiver.waitFor(2, 10_000)
    await sleep(200)
    expect(received.map((r) => (r.body as { data: { n: number } }).data.n).sort()).toEqual([3, 4])
    expect(receiver.requests).toHaveLength(2)
    expect(await manager.store.listDeliveries({ limit: 100 })).toHaveLength(2)
  })

  it("a failed statement aborts the host's transaction, and nothing of the batch is stored", async () => {
    const client = await pgContext.pool().connect()
    try {
      await client.query('BEGIN')
      await expect(manager.emitMany([{ event: 'a.b', data: { n: 1 } }], { client: { query: 'no' } })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
      await client.query('ROLLBACK')
    } finally {
      client.release()
    }
    expect(await manager.store.listDeliveries({ limit: 100 })).toEqual([])
  })
})

describe("sqlite outbox: .emitMany() on the host's connection", () => {
  const outbox = useSqliteOutbox()

  it('joins the open transaction: ROLLBACK sends nothing, COMMIT sends every item once', async () => {
    outbox.db.exec('BEGIN')
    const rolledBack = await outbox.manager.emitMany([{ event: 'a.b', data: { n: 1 } }, { event: 'a.b', data: { n: 2 } }])
    await sleep(200)
    outbox.db.exec('ROLLBACK')
    await expect(outbox.manager.getDelivery(rolledBack[0]!.deliveryIds[0]!)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    outbox.db.exec('BEGIN')
    await outbox.manager.emitMany([{ event: 'a.b', data: { n: 3 } }, { event: 'a.b', data: { n: 4 } }])
    await sleep(200)
    expect(outbox.fx.receiver.requests).toHaveLength(0)
    outbox.db.exec('COMMIT')
    await outbox.fx.receiver.waitFor(2)
    await sleep(200)
    expect(outbox.fx.receiver.requests.map((r) => (r.body as { data: { n: number } }).data.n).sort()).toEqual([3, 4])
  })
})
