import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { endpointFixture } from './fixtures.js'
import { useSqliteOutbox } from '../helpers/sqlite-outbox.js'

const dir = mkdtempSync(join(tmpdir(), 'hookline-sqlite-outbox-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe("sqlite outbox: a store on the host's connection, with the worker running in the same process", () => {
  const outbox = useSqliteOutbox((db) => db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)'))

  it('a rolled-back emit is never sent, even while the transaction stays open across awaits', async () => {
    outbox.db.exec('BEGIN')
    outbox.db.prepare('INSERT INTO orders (total) VALUES (?)').run(10)
    const { deliveryIds } = await outbox.manager.emit('order.created', { total: 10 })
    await sleep(300) // the host does more async work inside its transaction
    outbox.db.exec('ROLLBACK')
    await sleep(300)
    expect(outbox.fx.receiver.requests).toHaveLength(0)
    await expect(outbox.manager.getDelivery(deliveryIds[0]!)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('a committed emit is delivered once, after COMMIT', async () => {
    outbox.db.exec('BEGIN')
    outbox.db.prepare('INSERT INTO orders (total) VALUES (?)').run(20)
    const { deliveryIds } = await outbox.manager.emit('order.created', { total: 20 })
    await sleep(200)
    expect(outbox.fx.receiver.requests).toHaveLength(0)
    outbox.db.exec('COMMIT')
    const [req] = await outbox.fx.receiver.waitFor(1, 5000)
    expect((req!.body as { data: unknown }).data).toEqual({ total: 20 })
    await sleep(200)
    expect(outbox.fx.receiver.requests).toHaveLength(1)
    expect((await outbox.manager.getDelivery(deliveryIds[0]!)).status).toBe('succeeded')
  })
})

describe("sqlite: writes other than enqueue never join the host's transaction", () => {
  it('they wait for it to end, so a rollback of the host does not undo them', async () => {
    const db = new Database(join(dir, 'wait.db'))
    const store = sqliteStore({ database: db })
    try {
      await store.migrate()
      const ep = endpointFixture()
      db.exec('BEGIN')
      let done = false
      const writing = store.createEndpoint(ep).then(() => (done = true))
      await sleep(60)
      expect(done).toBe(false)
      expect(await store.getEndpoint(ep.id)).toBeNull() // reads run inside the host's transaction
      db.exec('ROLLBACK')
      await writing
      expect(await store.getEndpoint(ep.id)).toEqual(ep)
    } finally {
      await store.close()
      db.close()
    }
  })

  it('a write that waits longer than busyTimeoutMs fails with a StoreError that says why', async () => {
    const db = new Database(join(dir, 'timeout.db'))
    const store = sqliteStore({ database: db, busyTimeoutMs: 50 })
    try {
      await store.migrate()
      db.exec('BEGIN')
      await expect(store.createEndpoint(endpointFixture())).rejects.toMatchObject({
        code: 'STORE_ERROR',
        message: expect.stringMatching(/host's transaction .* stayed open for 50 ms/),
      })
      db.exec('ROLLBACK')
    } finally {
      await store.close()
      db.close()
    }
  })
})
