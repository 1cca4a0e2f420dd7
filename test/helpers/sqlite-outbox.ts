import Database from 'better-sqlite3'
import { beforeEach } from 'vitest'
import type { WebhookManager } from '../../src/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { useDeliveryFixture, type DeliveryFixture } from './delivery-fixture.js'

/** A SQLite outbox as a host runs it: the host's own connection, a manager on it, one endpoint. */
export interface SqliteOutbox {
  /** The delivery fixture underneath (its receiver is the endpoint's). */
  readonly fx: DeliveryFixture
  /** The host's connection to this test's database file (WAL). */
  readonly db: Database.Database
  /** A started manager whose store uses `db`, with one endpoint for every event to the receiver. */
  readonly manager: WebhookManager
}

/**
 * Registers, for each test of the file or `describe` it is called in: a new database file opened
 * by the test (`setup` runs on it first), a manager on that connection (`pollIntervalMs: 20`,
 * breakers off) with its worker started, and an endpoint for `*` to the fixture's receiver. The
 * manager is closed, then the connection, after each test.
 */
export function useSqliteOutbox(setup: (db: Database.Database) => void = () => {}): SqliteOutbox {
  const fx = useDeliveryFixture()
  let db: Database.Database | null = null
  let manager: WebhookManager | null = null
  beforeEach(async () => {
    const opened = new Database(fx.tempPath(`outbox-${Math.random().toString(36).slice(2)}.db`))
    db = opened
    fx.defer(() => opened.close())
    opened.pragma('journal_mode = WAL')
    setup(opened)
    manager = fx.manage({ store: sqliteStore({ database: opened }), pollIntervalMs: 20, breaker: { enabled: false } })
    await manager.start()
    await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
  })
  const current = <T>(value: T | null, name: string): T => {
    if (value === null) throw new Error(`the outbox ${name} exists only inside a test`)
    return value
  }
  return {
    fx,
    get db() {
      return current(db, 'database')
    },
    get manager() {
      return current(manager, 'manager')
    },
  }
}
