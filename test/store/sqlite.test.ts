import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createSecretCodec } from '../../src/crypto/secret-codec.js'
import { encryptedStore } from '../../src/store/encrypted-store.js'
import type { WebhookStore } from '../../src/store/types.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite/migrations.js'
import type { Endpoint } from '../../src/types.js'
import { testStore } from './conformance.js'
import { testSecretsAtRest } from './secrets-at-rest.js'
import { deliveryFixture, endpointFixture, messageFixture } from './fixtures.js'

const dir = mkdtempSync(join(tmpdir(), 'hookline-sqlite-'))
let files = 0
const freshFile = (): string => join(dir, `store-${++files}.db`)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A migrated store on a database of the test's own (a fresh file) with one endpoint; both closed after `fn`. */
async function withSharedDatabase(fn: (db: Database.Database, store: WebhookStore, endpoint: Endpoint) => Promise<void>): Promise<void> {
  const db = new Database(freshFile())
  const store = sqliteStore({ database: db })
  try {
    const endpoint = endpointFixture()
    await store.migrate()
    await store.createEndpoint(endpoint)
    await fn(db, store, endpoint)
  } finally {
    await store.close()
    db.close()
  }
}

testStore({
  name: 'sqlite',
  sharedRateSlots: true,
  sharedBreakers: true,
  create: async () => {
    const store = sqliteStore({ filename: freshFile() })
    await store.migrate()
    return store
  },
  additionalTests: () => {
    it('data persists after close and reopen of the same file', async () => {
      const filename = freshFile()
      const first = sqliteStore({ filename })
      expect(first.durable).toBe(true)
      const ep = endpointFixture()
      const m = messageFixture({ idempotencyKey: 'k-1' })
      const d = deliveryFixture(m, ep)
      await first.createEndpoint(ep)
      await first.enqueue(m, [d])
      await first.close()

      const second = sqliteStore({ filename })
      try {
        expect(await second.getEndpoint(ep.id)).toEqual(ep)
        expect(await second.getMessage(m.id)).toEqual(m)
        expect(await second.getDelivery(d.id)).toEqual(d)
        expect((await second.enqueue(messageFixture({ idempotencyKey: 'k-1' }), [])).duplicate).toBe(true)
      } finally {
        await second.close()
      }
    })

    it('.migrate() twice (and from a second connection) is a no-op', async () => {
      const filename = freshFile()
      const a = sqliteStore({ filename, migrate: false })
      const b = sqliteStore({ filename, migrate: false })
      try {
        await Promise.all([a.migrate(), b.migrate()])
        await a.migrate()
        const ep = endpointFixture()
        await a.createEndpoint(ep)
        await b.migrate()
        expect(await b.getEndpoint(ep.id)).toEqual(ep)
        const db = new Database(filename, { readonly: true })
        try {
          expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION)
          expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
        } finally {
          db.close()
        }
      } finally {
        await a.close()
        await b.close()
      }
    })

    it('two connections to one file, claiming in turn, never lease one delivery twice', async () => {
      const filename = freshFile()
      const a = sqliteStore({ filename })
      const b = sqliteStore({ filename })
      try {
        const ep = endpointFixture()
        const m = messageFixture()
        await a.enqueue(m, Array.from({ length: 30 }, () => deliveryFixture(m, ep)))
        const seen: string[] = []
        for (let round = 0; round < 10; round++) {
          const batches = await Promise.all([a, b, a, b].map((s, i) => s.claim({ now: m.createdAt, limit: 4, leaseMs: 60_000, workerId: `w${i}` })))
          const ids = batches.flat().map((c) => c.delivery.id)
          seen.push(...ids)
          if (ids.length === 0) break
        }
        expect(seen).toHaveLength(30)
        expect(new Set(seen).size).toBe(30)
      } finally {
        await a.close()
        await b.close()
      }
    })

    it("a host's open database: the store leaves it open, and enqueue joins the host's transaction", async () => {
      const db = new Database(freshFile())
      const store = sqliteStore({ database: db })
      try {
        const ep = endpointFixture()
        const m = messageFixture()
        await store.migrate()
        db.exec('BEGIN')
        await store.enqueue(m, [deliveryFixture(m, ep)])
        db.exec('ROLLBACK')
        expect(await store.getMessage(m.id)).toBeNull()
        await store.close()
        expect(db.open).toBe(true)
      } finally {
        db.close()
      }
    })

    it('concurrent enqueues share one commit, and a refused message fails its own enqueue only', () =>
      withSharedDatabase(async (db, store, ep) => {
        const taken = messageFixture()
        await store.enqueue(taken, [deliveryFixture(taken, ep)])
        const exec = db.exec.bind(db)
        let begins = 0
        db.exec = (sql: string) => {
          if (sql.startsWith('BEGIN')) begins++
          return exec(sql)
        }
        const messages = Array.from({ length: 40 }, () => messageFixture())
        // The same id as a stored message with other content: a ConflictError for that one alone.
        const clash = messageFixture({ id: taken.id, event: 'order.cancelled' })
        const results = await Promise.allSettled([...messages, clash].map((m) => store.enqueue(m, [deliveryFixture(m, ep)])))
        expect(results.slice(0, 40).every((r) => r.status === 'fulfilled')).toBe(true)
        expect(results[40]).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT' } })
        expect(begins).toBe(1)
        for (const m of messages) expect(await store.listDeliveries({ messageId: m.id })).toHaveLength(1)
        expect((await store.getMessage(taken.id))?.event).toBe(taken.event)
      }))

    it('a disk-full error in the middle of a batch fails that enqueue only; the others are stored', () =>
      withSharedDatabase(async (db, store, ep) => {
        // Room for small messages only: SQLITE_FULL rolls back the whole transaction, not just the
        // savepoint of the message that hit it.
        db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true })) + 40}`)
        const small = Array.from({ length: 6 }, (_, i) => messageFixture({ data: { i } }))
        const big = messageFixture({ data: { blob: 'x'.repeat(400_000) } })
        const all = [...small.slice(0, 3), big, ...small.slice(3)]
        const results = await Promise.allSettled(all.map((m) => store.enqueue(m, [deliveryFixture(m, ep)])))
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'])
        expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_ERROR', message: expect.stringContaining('SQLITE_FULL') })
        for (const m of small) expect(await store.getMessage(m.id)).not.toBeNull()
        expect(await store.getMessage(big.id)).toBeNull()
      }))

    it('a batch that cannot get the write lock fails its enqueues together, without retrying each alone', async () => {
      const file = freshFile()
      const db = new Database(file, { timeout: 50 }) // the host's own connection: its busy timeout applies
      const store = sqliteStore({ database: db, busyTimeoutMs: 50, retries: 1 })
      const other = new Database(file)
      try {
        const ep = endpointFixture()
        await store.migrate()
        await store.createEndpoint(ep)
        const exec = db.exec.bind(db)
        let begins = 0
        db.exec = (sql: string) => {
          if (sql.startsWith('BEGIN')) begins++
          return exec(sql)
        }
        other.exec('BEGIN IMMEDIATE') // another process holds the write lock
        const messages = Array.from({ length: 10 }, () => messageFixture())
        const results = await Promise.allSettled(messages.map((m) => store.enqueue(m, [deliveryFixture(m, ep)])))
        expect(results.every((r) => r.status === 'rejected')).toBe(true)
        expect(begins).toBeLessThanOrEqual(2) // the batch and its one retry, not one wait per message
        other.exec('ROLLBACK')
        for (const m of messages) expect(await store.getMessage(m.id)).toBeNull()
      } finally {
        await store.close()
        other.close()
        db.close()
      }
    })

    it("':memory:' is not durable", async () => {
      const store = sqliteStore({ filename: ':memory:' })
      expect(store.durable).toBe(false)
      await store.close()
    })
  },
})

/** Files of the stores the secrets suite creates, by store, for the byte dump. */
const secretsFiles = new WeakMap<WebhookStore, string>()

testSecretsAtRest({
  name: 'sqlite',
  create: async () => {
    const filename = freshFile()
    const store = sqliteStore({ filename })
    await store.migrate()
    secretsFiles.set(store, filename)
    return store
  },
  // Every byte of the database file and its write-ahead log, as text.
  dump: async (store) => {
    const filename = secretsFiles.get(store)!
    return [filename, `${filename}-wal`]
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file).toString('latin1'))
      .join('\n')
  },
})

describe('sqlite store: upgrading a database of migration 6', () => {
  it('endpoints stored before rotation_signatures and ordering existed read as "all" and "unordered", and reencryptSecrets can write them (compare-and-set)', async () => {
    const filename = freshFile()
    const endpoint = endpointFixture({ rotationSignatures: 'all', ordering: 'unordered', orderingKey: null })
    const before = sqliteStore({ filename })
    await before.createEndpoint(endpoint)
    await before.close()
    // The database as migration 6 left it: none of the columns and indexes of migrations 7 and 8.
    const db = new Database(filename)
    db.exec('ALTER TABLE endpoints DROP COLUMN rotation_signatures')
    db.exec('DROP INDEX deliveries_line_idx')
    db.exec('DROP INDEX deliveries_line_leased_idx')
    for (const [table, column] of [['endpoints', 'ordering'], ['endpoints', 'ordering_key'], ['deliveries', 'ordering_key']]) db.exec(`ALTER TABLE ${table} DROP COLUMN ${column}`)
    db.pragma('user_version = 6')
    db.close()

    const store = sqliteStore({ filename })
    try {
      await store.migrate()
      expect(await store.getEndpoint(endpoint.id)).toEqual(endpoint)
      const encrypted = encryptedStore(store, createSecretCodec([{ id: 'k1', key: randomBytes(32) }]))
      expect((await encrypted.reencryptSecrets()).endpoints).toEqual({ scanned: 1, reencrypted: 1, unreadable: 0 })
      expect(await encrypted.getEndpoint(endpoint.id)).toEqual(endpoint)
    } finally {
      await store.close()
    }
  })
})

describe('sqliteStore options', () => {
  it('rejects both or neither of filename and database', () => {
    expect(() => sqliteStore({} as never)).toThrow(/exactly one of `filename` or `database`/)
    expect(() => sqliteStore({ filename: 'x', database: new Database(':memory:') } as never)).toThrow(/exactly one/)
  })
})
