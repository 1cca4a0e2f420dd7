import { StoreError, ValidationError } from '../../errors.js'
import type { Delivery, DeliveryStatus, Message } from '../../types.js'
import {
  attemptCodec,
  deliveryCodec,
  endpointCodec,
  incomingHookCodec,
  incomingLogCodec,
  messageCodec,
  toDate,
  type SqlRow,
} from '../sql/codec.js'
import { retryTransient, toStoreError, type StoreRetryOptions } from '../retry.js'
import { runCleanup } from '../sql/cleanup.js'
import { classifyEnqueueConflict } from '../sql/enqueue-conflict.js'
import { incomingStatsFromRows, p95Offset, statsFromAggregates } from '../sql/stats.js'
import { emptyCounts } from '../stats.js'
import type { ClaimedDelivery, EnqueueResult, WebhookStore } from '../types.js'
import { WriteBatcher } from '../../util/write-batcher.js'
import { SQLITE_SCHEMA_VERSION, sqliteMigrations } from './migrations.js'
import { sqliteWorkerStatements as WORKERS, workerParams } from './worker-statements.js'
import { sqliteRateSlotStatements as SLOTS } from './rate-slot-statements.js'
import { sqliteBreakerStatements as BREAKERS } from './breaker-statements.js'
import { decodeBreaker } from '../sql/breaker-codec.js'
import { decodeWorker } from '../sql/worker-codec.js'
import {
  bindable,
  compareAndSetParams,
  listDeliveriesSql,
  listEndpointsSql,
  listIncomingHooksSql,
  replayDeliveriesSql,
  sqliteStatements as SQL,
} from './statements.js'

/** The slice of a prepared statement the store uses (better-sqlite3's `Statement`). */
export interface SqliteStatement {
  /** Runs a write; `changes` is the number of rows it changed. */
  run(...params: unknown[]): { changes: number | bigint }
  /** First row, or `undefined`. */
  get(...params: unknown[]): unknown
  /** All rows. */
  all(...params: unknown[]): unknown[]
}

/**
 * The slice of a SQLite connection the store uses: better-sqlite3's `Database` fits, and so does
 * anything with the same `prepare`, `exec` and `close`.
 */
export interface SqliteDatabase {
  /** Compiles a statement. */
  prepare(sql: string): SqliteStatement
  /** Runs SQL without results (DDL, PRAGMA, BEGIN/COMMIT). */
  exec(sql: string): unknown
  /** Closes the connection. Only called on a database the store opened. */
  close(): unknown
  /** True for an in-memory database (better-sqlite3). */
  readonly memory?: boolean
  /** True while a transaction is open (better-sqlite3); the store then nests with a SAVEPOINT. */
  readonly inTransaction?: boolean
}

/** Options shared by both ways of opening a store. */
export interface SqliteStoreBaseOptions {
  /**
   * Create or upgrade the tables automatically before the first operation. With `false`, call
   * `migrate()` yourself before using the store.
   * @default true
   */
  migrate?: boolean
  /**
   * How long a statement waits for another connection's write lock before failing, in ms
   * (`PRAGMA busy_timeout`), applied to databases the store opens. On a host's `database`, also how
   * long a write waits for the host's open transaction to end.
   * @default 5000
   */
  busyTimeoutMs?: number
  /**
   * Retries of an operation that still found the database locked (`SQLITE_BUSY`) after the busy
   * timeout, after short exponential delays. Other errors fail at once.
   * @default 3
   */
  retries?: number
}

/** Open a database file (or `':memory:'`) with better-sqlite3; `close()` closes it. */
export interface SqliteFileOptions extends SqliteStoreBaseOptions {
  /**
   * Path of the database file, created when missing, or `':memory:'` for a private in-memory
   * database (not durable). The store enables WAL mode, `busy_timeout` and foreign keys on it.
   * @example './data/hookline.db'
   */
  filename: string
  /** Not allowed together with `filename`. */
  database?: undefined
}

/** Use an open database (e.g. the host's better-sqlite3 `Database`); `close()` leaves it open. */
export interface SqliteDatabaseOptions extends SqliteStoreBaseOptions {
  /**
   * An open better-sqlite3 `Database` (or a compatible object). Its settings are left as they are;
   * WAL mode (`PRAGMA journal_mode = WAL`) and a `busy_timeout` are recommended when several
   * processes share the file. When `enqueue` runs while the host has a transaction open on this
   * connection, the write joins that transaction (through a SAVEPOINT): a transactional outbox.
   * Reads run inside it too; every other write (the worker's claims and outcomes included) waits
   * until the host commits or rolls back, at most `busyTimeoutMs`.
   */
  database: SqliteDatabase
  /** Not allowed together with `database`. */
  filename?: undefined
}

/** Options of {@link sqliteStore}: a `filename` or an open `database`, plus the shared options. */
export type SqliteStoreOptions = SqliteFileOptions | SqliteDatabaseOptions

const ADAPTER = 'sqlite'
/** Most messages written by one group-commit transaction. */
const ENQUEUE_BATCH = 200

const isMemoryFilename = (filename: string): boolean =>
  filename === '' || filename === ':memory:' || filename.startsWith('file::memory:') || /[?&]mode=memory\b/.test(filename)

function validateOptions(options: SqliteStoreOptions): void {
  const issues: { field: string; message: string }[] = []
  const hasFile = typeof options.filename === 'string'
  const hasDb = options.database !== undefined && options.database !== null
  if (hasFile === hasDb) issues.push({ field: '', message: 'expected exactly one of `filename` or `database`' })
  if (hasDb && typeof (options.database as { prepare?: unknown }).prepare !== 'function') {
    issues.push({ field: 'database', message: 'expected a better-sqlite3 Database' })
  }
  for (const [field, min] of [['busyTimeoutMs', 0], ['retries', 0]] as const) {
    const value = options[field]
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      issues.push({ field, message: `expected an integer >= ${min}, got \`${String(value)}\` (${typeof value})` })
    }
  }
  if (issues.length > 0) throw new ValidationError('sqliteStore options', issues)
}

/**
 * A durable store in one SQLite file (the `better-sqlite3` driver, an optional peer dependency).
 * Several processes can share the file: claims run in one `BEGIN IMMEDIATE` transaction, so no
 * two workers ever lease the same delivery.
 *
 * @example
 * import { sqliteStore } from 'hookline/sqlite'
 * const store = sqliteStore({ filename: './hookline.db' })
 */
export function sqliteStore(options: SqliteStoreOptions): WebhookStore {
  validateOptions(options)
  const ownsDatabase = options.database === undefined
  const filename = options.filename
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  const durable = ownsDatabase ? !isMemoryFilename(filename!) : options.database!.memory !== true
  const autoMigrate = options.migrate !== false
  const retry: StoreRetryOptions = { adapter: ADAPTER, retries: options.retries ?? 3 }

  let db: SqliteDatabase | null = options.database ?? null
  let opening: Promise<SqliteDatabase> | null = null
  let migrated = false
  let closed = false
  const statements = new Map<string, SqliteStatement>()

  const open = async (): Promise<SqliteDatabase> => {
    let Database: new (filename: string, options?: { timeout?: number }) => SqliteDatabase
    try {
      Database = ((await import('better-sqlite3')) as unknown as { default: typeof Database }).default
    } catch (error) {
      throw new StoreError(`[${ADAPTER}] the \`better-sqlite3\` package is required for sqliteStore({ filename }): npm install better-sqlite3`, { cause: error })
    }
    const opened = new Database(filename!, { timeout: busyTimeoutMs })
    opened.exec('PRAGMA journal_mode = WAL')
    // Every commit synced to disk, so an emit that resolved survives a power loss. (better-sqlite3
    // builds SQLite with NORMAL as the WAL default, which a reopened file would otherwise get.)
    opened.exec('PRAGMA synchronous = FULL')
    opened.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`)
    opened.exec('PRAGMA foreign_keys = ON')
    return opened
  }

  const database = async (): Promise<SqliteDatabase> => {
    if (db) return db
    opening ??= open().then(
      (opened) => {
        if (closed) {
          opened.close()
          throw new StoreError(`[${ADAPTER}] the store is closed`)
        }
        return (db = opened)
      },
      (error: unknown) => {
        opening = null
        throw error
      },
    )
    return opening
  }

  /** A statement prepared once per store and reused (lists get one per filter combination). */
  const stmt = (d: SqliteDatabase, sql: string): SqliteStatement => {
    let prepared = statements.get(sql)
    if (!prepared) statements.set(sql, (prepared = d.prepare(sql)))
    return prepared
  }

  /**
   * Runs `fn` in a transaction: `BEGIN IMMEDIATE` takes the write lock up front (a deferred
   * transaction that reads and then writes can fail with SQLITE_BUSY instead of waiting); inside a
   * host transaction a SAVEPOINT joins it instead.
   */
  const transaction = <T>(d: SqliteDatabase, fn: () => T, mode: 'IMMEDIATE' | 'DEFERRED' = 'IMMEDIATE'): T => {
    if (d.inTransaction === true) {
      d.exec('SAVEPOINT hookline')
      try {
        const result = fn()
        d.exec('RELEASE hookline')
        return result
      } catch (error) {
        // After SQLITE_FULL, IOERR or NOMEM SQLite may have rolled the whole transaction back
        // already, savepoint included: then there is nothing to roll back to, and the original
        // error is the one that matters.
        if (d.inTransaction === true) {
          d.exec('ROLLBACK TO hookline')
          d.exec('RELEASE hookline')
        }
        throw error
      }
    }
    d.exec(`BEGIN ${mode}`)
    try {
      const result = fn()
      d.exec('COMMIT')
      return result
    } catch (error) {
      try {
        d.exec('ROLLBACK')
      } catch {
        // SQLite already rolled back (e.g. after SQLITE_FULL); the original error matters.
      }
      throw error
    }
  }

  const runMigrations = (d: SqliteDatabase): void => {
    const version = (): number => Number((d.prepare(SQL.userVersion).get() as { user_version: number }).user_version)
    if (version() >= SQLITE_SCHEMA_VERSION) return
    // IMMEDIATE: a second process migrating at the same time waits here, then sees the new version.
    transaction(d, () => {
      const current = version()
      for (const migration of sqliteMigrations) {
        if (migration.version <= current) continue
        for (const statement of migration.up) d.exec(statement)
        d.exec(`PRAGMA user_version = ${Math.trunc(migration.version)}`)
      }
    })
  }

  const ready = async (): Promise<SqliteDatabase> => {
    const d = await database()
    if (autoMigrate && !migrated) {
      runMigrations(d)
      // Inside a host transaction the DDL is only final once the host commits: check again next time.
      if (d.inTransaction !== true) migrated = true
    }
    return d
  }

  /**
   * One store operation: lazy open and migration, retried while the database is locked.
   *
   * A transaction that is open on the connection when an operation starts is always the host's
   * (the store's own transactions begin and end inside one synchronous call). Reads and `enqueue`
   * run inside it: `enqueue` is the outbox write that must commit or roll back with the host's
   * rows. Every other write (`joinHost: false`) waits until the host's transaction has ended, as on
   * Postgres, where only `enqueue` takes the host's client: a claim inside it would lease, and send,
   * deliveries the host may still roll back, and an outcome, a lease or an incoming log written
   * inside it would vanish with a rollback. It waits up to `busyTimeoutMs`, then fails.
   */
  const op = <T>(name: string, fn: (d: SqliteDatabase) => T, joinHost = true): Promise<T> => {
    if (closed) return Promise.reject(new StoreError(`[${ADAPTER}] ${name} failed: the store is closed`))
    return retryTransient(
      name,
      async () => {
        const d = await ready()
        if (!joinHost && d.inTransaction === true) {
          const deadline = Date.now() + busyTimeoutMs
          for (let delayMs = 1; d.inTransaction === true; delayMs = Math.min(delayMs * 2, 20)) {
            if (Date.now() >= deadline) {
              throw new StoreError(
                `[${ADAPTER}] ${name} failed: the host's transaction on the shared connection stayed open for ${busyTimeoutMs} ms ` +
                  '(only enqueue and reads join a host transaction; other writes wait for it to end)',
              )
            }
            await new Promise((resolve) => setTimeout(resolve, delayMs))
          }
        }
        // No await between the check above and the statements: the host cannot begin in between.
        return fn(d)
      },
      retry,
    )
  }

  /** A write that never joins a host transaction (see {@link op}). */
  const write = <T>(name: string, fn: (d: SqliteDatabase) => T): Promise<T> => op(name, fn, false)

  const one = (d: SqliteDatabase, sql: string, params: object): SqlRow | undefined => stmt(d, sql).get(params) as SqlRow | undefined
  const all = (d: SqliteDatabase, sql: string, params: object): SqlRow[] => stmt(d, sql).all(params) as SqlRow[]
  const changes = (d: SqliteDatabase, sql: string, params: object): number => Number(stmt(d, sql).run(params).changes)
  const page = (query: { limit?: number; offset?: number }) => ({ limit: query.limit ?? 100, offset: query.offset ?? 0 })

  const enqueueIn = (d: SqliteDatabase, message: Message, deliveries: Delivery[]): EnqueueResult =>
    transaction(d, () => {
      if (changes(d, SQL.insertMessage, bindable(messageCodec.encode(message))) === 1) {
        for (const delivery of deliveries) stmt(d, SQL.insertDelivery).run(bindable(deliveryCodec.encode(delivery)))
        return { message, deliveries, duplicate: false }
      }
      const found =
        (message.idempotencyKey !== null ? one(d, SQL.messageByIdempotencyKey, { key: message.idempotencyKey, owner: message.owner ?? '' }) : undefined) ??
        one(d, SQL.getMessage, { id: message.id })
      if (!found) throw new StoreError(`[${ADAPTER}] enqueue failed: message conflict without a stored message`)
      const stored = messageCodec.decode(found)
      const { duplicate } = classifyEnqueueConflict(ADAPTER, message, stored)
      return { message: stored, deliveries: all(d, SQL.deliveriesOfMessage, { id: stored.id }).map(deliveryCodec.decode), duplicate }
    })

  /** One message in a transaction of its own (outside any host transaction). */
  const enqueueAlone = (message: Message, deliveries: Delivery[]): Promise<EnqueueResult> =>
    write('enqueue', (d) => enqueueIn(d, message, deliveries))

  /**
   * Group commit of the enqueues made outside a host transaction: every enqueue of one turn of the
   * event loop is written in one transaction, so concurrent emits share one commit (and its fsync)
   * instead of each blocking the event loop for its own. Each message is written in a savepoint
   * of its own, so a message the database refuses fails its own emit only. Each emit still
   * resolves only after the commit that stored it.
   */
  const enqueueBatcher = new WriteBatcher<{ message: Message; deliveries: Delivery[] }, EnqueueResult>({
    delay: 'immediate',
    maxBatch: ENQUEUE_BATCH,
    run: async (items) => {
      if (items.length === 1) return [await enqueueAlone(items[0]!.message, items[0]!.deliveries)]
      let rolledBack = false
      try {
        return await write('enqueue', (d) =>
          transaction(d, () =>
            items.map(({ message, deliveries }): EnqueueResult | Promise<EnqueueResult> => {
              try {
                return enqueueIn(d, message, deliveries)
              } catch (error) {
                if (d.inTransaction !== true) {
                  // SQLite rolled the whole transaction back because of this message (SQLITE_FULL,
                  // IOERR, NOMEM): abandon the batch; none of it is stored, and the rest must not
                  // run outside it.
                  rolledBack = true
                  throw error
                }
                // This message alone was refused (its savepoint is rolled back): its own emit fails.
                const failed = Promise.reject(toStoreError(ADAPTER, 'enqueue', error))
                failed.catch(() => {}) // rejects its emit once the batch is committed
                return failed
              }
            }),
          ),
        )
      } catch (error) {
        // A message took the whole transaction down with it: nothing of the batch is stored, so
        // each is written on its own and only that one fails. Any other failure of the batch (the
        // write lock still busy after the retries, a failed commit) fails every emit of it, as a
        // single write would: writing each again would only repeat the wait.
        if (!rolledBack) throw error
        return items.map(({ message, deliveries }) => enqueueAlone(message, deliveries))
      }
    },
  })

  const store: WebhookStore = {
    name: ADAPTER,
    durable,

    async migrate() {
      if (closed) throw new StoreError(`[${ADAPTER}] migrate failed: the store is closed`)
      await retryTransient('migrate', async () => runMigrations(await database()), retry)
      migrated = true
    },

    async close() {
      if (closed) return
      await enqueueBatcher.drain()
      closed = true
      statements.clear()
      if (!ownsDatabase) return
      const d = db ?? (opening ? await opening.catch(() => null) : null)
      db = null
      d?.close()
    },

    // ---- endpoints --------------------------------------------------------------------------
    createEndpoint: (endpoint) =>
      write('createEndpoint', (d) => {
        stmt(d, SQL.insertEndpoint).run(bindable(endpointCodec.encode(endpoint)))
      }),
    getEndpoint: (id) =>
      op('getEndpoint', (d) => {
        const row = one(d, SQL.getEndpoint, { id })
        return row ? endpointCodec.decode(row) : null
      }),
    listEndpoints: (query = {}) =>
      op('listEndpoints', (d) =>
        all(d, listEndpointsSql({ owner: query.owner !== undefined, status: query.status !== undefined }), {
          owner: query.owner ?? null,
          status: query.status ?? null,
          ...page(query),
        }).map(endpointCodec.decode),
      ),
    updateEndpoint: (endpoint, options) =>
      write('updateEndpoint', (d) =>
        options?.expected === undefined
          ? changes(d, SQL.updateEndpoint, bindable(endpointCodec.encode(endpoint))) > 0
          : changes(d, SQL.updateEndpointIfUnchanged, compareAndSetParams(endpointCodec, endpoint, options.expected)) > 0,
      ),
    deleteEndpoint: (id) =>
      write('deleteEndpoint', (d) =>
        transaction(d, () => {
          if (changes(d, SQL.deleteEndpoint, { id }) === 0) return false
          changes(d, SQL.deleteUnfinishedAttemptsOfEndpoint, { id })
          changes(d, SQL.deleteUnfinishedDeliveriesOfEndpoint, { id })
          return true
        }),
      ),

    // ---- messages and deliveries ------------------------------------------------------------
    enqueue: (message, deliveries, options) => {
      // Outside a host transaction (always, on a database of the store's own): group commit. An
      // enqueue that starts inside the host's open transaction joins it instead (the outbox).
      if (ownsDatabase || db?.inTransaction !== true) {
        if (closed) return Promise.reject(new StoreError(`[${ADAPTER}] enqueue failed: the store is closed`))
        return enqueueBatcher.add({ message, deliveries })
      }
      return op('enqueue', (d) => {
        // The write commits only with the host's transaction: a delivery handed to the worker now
        // could be sent before (or without) that commit. Stored pending instead.
        if (options?.handOff !== true || d.inTransaction !== true) return enqueueIn(d, message, deliveries)
        const unleased = deliveries.map((x): Delivery => (x.status === 'delivering' ? { ...x, status: 'pending', lockedBy: null, lockedUntil: null } : x))
        return { ...enqueueIn(d, message, unleased), handedOff: false }
      })
    },
    enqueueMany: (items) => {
      // One transaction for the lot: any refusal rolls every item back. Inside the host's open
      // transaction on a shared connection it joins that transaction (a savepoint), as enqueue does.
      const all = (d: SqliteDatabase): EnqueueResult[] => transaction(d, () => items.map(({ message, deliveries }) => enqueueIn(d, message, deliveries)))
      if (ownsDatabase || db?.inTransaction !== true) return write('enqueue', all)
      return op('enqueue', all)
    },
    getMessage: (id) =>
      op('getMessage', (d) => {
        const row = one(d, SQL.getMessage, { id })
        return row ? messageCodec.decode(row) : null
      }),
    claim: ({ now, limit, leaseMs, workerId, excludeEndpointIds }) =>
      write('claim', (d) => {
        if (limit <= 0) return []
        const nowMs = now.getTime()
        // One IMMEDIATE transaction: select due ids, lease them, read their messages. Other
        // processes wait for the write lock, so a delivery is leased by one claimer only.
        return transaction(d, () => {
          const due = all(d, SQL.dueDeliveries, { now: nowMs, excluded: JSON.stringify(excludeEndpointIds ?? []), limit })
          const messages = new Map<string, Message>()
          const out: ClaimedDelivery[] = []
          for (const { id } of due) {
            const row = one(d, SQL.leaseDelivery, { id, worker: workerId, until: nowMs + leaseMs, now: nowMs })
            if (!row) continue
            const delivery = deliveryCodec.decode(row)
            let message = messages.get(delivery.messageId)
            if (!message) {
              const messageRow = one(d, SQL.getMessage, { id: delivery.messageId })
              if (!messageRow) continue
              messages.set(delivery.messageId, (message = messageCodec.decode(messageRow)))
            }
            out.push({ delivery, message })
          }
          return out
        })
      }),
    complete: (outcomes) =>
      write('complete', (d) => {
        if (outcomes.length === 0) return
        transaction(d, () => {
          for (const o of outcomes) {
            if (o.attempt) stmt(d, SQL.insertAttempt).run(bindable(attemptCodec.encode(o.attempt)))
            stmt(d, SQL.completeDelivery).run(
              bindable({
                delivery_id: o.deliveryId,
                worker_id: o.workerId,
                status: o.status,
                attempts: o.attempts,
                next_attempt_at: o.nextAttemptAt,
                last_status_code: o.lastStatusCode,
                last_error: o.lastError,
                completed_at: o.completedAt,
                updated_at: o.updatedAt,
              }),
            )
          }
        })
      }),
    release: (ids, workerId, now) =>
      write('release', (d) => {
        if (ids.length === 0) return
        changes(d, SQL.release, { ids: JSON.stringify(ids), worker: workerId, now: now.getTime() })
      }),
    nextDueAt: () =>
      op('nextDueAt', (d) => {
        const value = one(d, SQL.nextDueAt, {})?.due_at
        return value === null || value === undefined ? null : toDate(value)
      }),
    getDelivery: (id) =>
      op('getDelivery', (d) => {
        const row = one(d, SQL.getDelivery, { id })
        return row ? deliveryCodec.decode(row) : null
      }),
    listDeliveries: (query = {}) =>
      op('listDeliveries', (d) => {
        const statuses = query.status === undefined ? undefined : Array.isArray(query.status) ? query.status : [query.status]
        const sql = listDeliveriesSql({
          endpointId: query.endpointId !== undefined,
          owner: query.owner !== undefined,
          messageId: query.messageId !== undefined,
          status: statuses !== undefined,
          since: query.since !== undefined,
          until: query.until !== undefined,
        })
        return all(d, sql, {
          endpointId: query.endpointId ?? null,
          messageId: query.messageId ?? null,
          owner: query.owner ?? null,
          statuses: JSON.stringify(statuses ?? []),
          since: query.since?.getTime() ?? null,
          until: query.until?.getTime() ?? null,
          ...page(query),
        }).map(deliveryCodec.decode)
      }),
    requeueDelivery: (id, at, now) =>
      write('requeueDelivery', (d) => {
        const row = one(d, SQL.requeueDelivery, { id, at: at.getTime(), now: now.getTime() })
        if (row) return { status: 'requeued', delivery: deliveryCodec.decode(row) } as const
        const current = one(d, SQL.getDelivery, { id })
        return current ? ({ status: 'busy', delivery: deliveryCodec.decode(current) } as const) : ({ status: 'missing' } as const)
      }),
    replayDeliveries: ({ endpointId, owner, statuses = ['dead', 'failed'], since, until, at }) =>
      write('replayDeliveries', (d) =>
        changes(d, replayDeliveriesSql({ endpointId: endpointId !== undefined, owner: owner !== undefined, since: since !== undefined, until: until !== undefined }), {
          statuses: JSON.stringify(statuses),
          endpointId: endpointId ?? null,
          owner: owner ?? null,
          since: since?.getTime() ?? null,
          until: until?.getTime() ?? null,
          at: at.getTime(),
        }),
      ),
    listAttempts: (deliveryId) => op('listAttempts', (d) => all(d, SQL.listAttempts, { id: deliveryId }).map(attemptCodec.decode)),
    getStats: (endpointId, since) =>
      op('getStats', (d) =>
        // One read transaction so the counts and the aggregates describe the same snapshot.
        transaction(
          d,
          () => {
            const params = { endpoint: endpointId, since: since?.getTime() ?? Number.MIN_SAFE_INTEGER }
            const counts = emptyCounts()
            for (const row of all(d, SQL.statusCounts, params)) counts[row.status as DeliveryStatus] = Number(row.n)
            const agg = one(d, SQL.attemptAggregates, params) ?? {}
            const count = Number(agg.n ?? 0)
            const p95 = count > 0 ? one(d, SQL.attemptDurationAt, { ...params, offset: p95Offset(count) })?.d : undefined
            return statsFromAggregates(counts, {
              count,
              sumDurationMs: Number(agg.total ?? 0),
              p95DurationMs: p95 === undefined || p95 === null ? null : Number(p95),
              lastAttemptAt: agg.last === null || agg.last === undefined ? null : toDate(agg.last),
            })
          },
          'DEFERRED',
        ),
      ),
    cleanup: ({ before, batchSize = 1000 }) => {
      const params = { before: before.getTime(), limit: batchSize }
      // Each batch is its own short transaction so other processes are never locked out for long.
      return runCleanup(batchSize, {
        deliveries: () =>
          write('cleanup', (d) =>
            transaction(d, () => {
              const ids = JSON.stringify(all(d, SQL.finishedBatch, params).map((r) => r.id))
              const attempts = changes(d, SQL.deleteAttemptsOf, { ids })
              return { attempts, deliveries: changes(d, SQL.deleteDeliveries, { ids }) }
            }),
          ),
        messages: () => write('cleanup', (d) => changes(d, SQL.deleteOrphanMessages, params)),
        incomingLogs: () => write('cleanup', (d) => changes(d, SQL.deleteOldLogs, params)),
        incomingKeys: () => write('cleanup', (d) => changes(d, SQL.deleteExpiredKeys, params)),
      })
    },

    // ---- incoming hooks ---------------------------------------------------------------------
    createIncomingHook: (hook) =>
      write('createIncomingHook', (d) => {
        stmt(d, SQL.insertIncomingHook).run(bindable(incomingHookCodec.encode(hook)))
      }),
    getIncomingHook: (id) =>
      op('getIncomingHook', (d) => {
        const row = one(d, SQL.getIncomingHook, { id })
        return row ? incomingHookCodec.decode(row) : null
      }),
    findIncomingHookByTokenHash: (tokenHash) =>
      op('findIncomingHookByTokenHash', (d) => {
        const row = one(d, SQL.incomingHookByTokenHash, { hash: tokenHash })
        return row ? incomingHookCodec.decode(row) : null
      }),
    listIncomingHooks: (query = {}) =>
      op('listIncomingHooks', (d) =>
        all(d, listIncomingHooksSql({ owner: query.owner !== undefined }), { owner: query.owner ?? null, ...page(query) }).map(
          incomingHookCodec.decode,
        ),
      ),
    updateIncomingHook: (hook, options) =>
      write('updateIncomingHook', (d) =>
        options?.expected === undefined
          ? changes(d, SQL.updateIncomingHook, bindable(incomingHookCodec.encode(hook))) > 0
          : changes(d, SQL.updateIncomingHookIfUnchanged, compareAndSetParams(incomingHookCodec, hook, options.expected)) > 0,
      ),
    deleteIncomingHook: (id) =>
      write('deleteIncomingHook', (d) =>
        transaction(d, () => {
          changes(d, SQL.deleteLogsOfHook, { id })
          changes(d, SQL.deleteKeysOfHook, { id })
          return changes(d, SQL.deleteIncomingHook, { id }) > 0
        }),
      ),
    insertIncomingLog: (log) =>
      write('insertIncomingLog', (d) => {
        stmt(d, SQL.insertIncomingLog).run(bindable(incomingLogCodec.encode(log)))
      }),
    getIncomingStats: (hookId, since) =>
      op('getIncomingStats', (d) =>
        transaction(
          d,
          () => {
            const params = { hook: hookId, since: since?.getTime() ?? Number.MIN_SAFE_INTEGER }
            const stats = incomingStatsFromRows(all(d, SQL.incomingStatusCounts, params))
            const p95 = stats.count > 0 ? one(d, SQL.incomingDurationAt, { ...params, offset: p95Offset(stats.count) })?.d : undefined
            return stats.build(p95 === undefined || p95 === null ? null : Number(p95))
          },
          'DEFERRED',
        ),
      ),
    listIncomingLogs: (hookId, query = {}) =>
      op('listIncomingLogs', (d) => all(d, SQL.listIncomingLogs, { hook: hookId, ...page(query) }).map(incomingLogCodec.decode)),
    rememberIncomingKey: (hookId, key, now, expiresAt) =>
      write('rememberIncomingKey', (d) => changes(d, SQL.rememberIncomingKey, { hook: hookId, key, now: now.getTime(), expires: expiresAt.getTime() }) > 0),
    recordWorker: (heartbeat) => write('recordWorker', (d) => void changes(d, WORKERS.record, workerParams(heartbeat))),
    listWorkers: () => op('listWorkers', (d) => all(d, WORKERS.list, {}).map(decodeWorker)),
    reportLostWorkers: (staleBefore, now) =>
      write('reportLostWorkers', (d) => all(d, WORKERS.reportLost, { stale_before: staleBefore.getTime(), now: now.getTime() }).map(decodeWorker)),
    takeRateSlots: (r) =>
      write('takeRateSlots', (d) =>
        transaction(d, () => {
          const keys = { endpoint: r.endpointId, max: r.max }
          const pick = (count: number) => all(d, SLOTS.pick, { ...keys, now: r.now.getTime(), count }).map((row) => Number(row.slot))
          const slots = pick(r.count)
          // Counted only when too few were free: the endpoint's slots are made on first use (and
          // when its max grows); otherwise the earliest time a slot given back comes free says
          // when to look again.
          if (slots.length < r.count && Number(one(d, SLOTS.total, keys)!.slots) < r.max) {
            changes(d, SLOTS.ensure, keys)
            slots.push(...pick(r.count - slots.length))
          }
          for (const slot of slots) changes(d, SLOTS.hold, { endpoint: r.endpointId, slot, hold_until: r.holdUntil.getTime(), worker: r.workerId })
          if (slots.length >= r.count) return { slots, retryAt: null }
          const next = one(d, SLOTS.nextFree, { ...keys, now: r.now.getTime() })?.retry_at
          return { slots, retryAt: next === null || next === undefined ? null : new Date(Number(next)) }
        }),
      ),
    releaseRateSlots: (workerId, releases) =>
      write('releaseRateSlots', (d) =>
        transaction(d, () => {
          for (const r of releases) changes(d, SLOTS.release, { endpoint: r.endpointId, slot: r.slot, worker: workerId, free_at: r.freeAt.getTime() })
        }),
      ),
    recordBreakerFailure: (f) =>
      write('recordBreakerFailure', (d) =>
        transaction(d, () => {
          const was = one(d, BREAKERS.get, { endpoint: f.endpointId })
          const failures = Number(was?.failures ?? 0) + 1
          const ownProbe = was?.probe_by === f.workerId
          // Opens a closed breaker at the threshold, re-opens one whose probe this worker held.
          const opened = ((was?.retry_at ?? null) === null && failures >= f.failureThreshold) || ownProbe
          const row = {
            endpoint: f.endpointId,
            failures,
            retry_at: opened ? f.retryAt.getTime() : (was?.retry_at ?? null),
            probe_by: ownProbe ? null : (was?.probe_by ?? null),
            probe_until: ownProbe ? null : (was?.probe_until ?? null),
          }
          changes(d, BREAKERS.put, row)
          return { breaker: decodeBreaker({ ...row, endpoint_id: f.endpointId }), opened }
        }),
      ),
    recordBreakerSuccess: (endpointId, workerId) =>
      write('recordBreakerSuccess', (d) => Number(one(d, BREAKERS.success, { endpoint: endpointId, worker: workerId })?.closed ?? 0) === 1),
    takeBreakerProbe: (r) =>
      write('takeBreakerProbe', (d) =>
        transaction(d, () => {
          const keys = { endpoint: r.endpointId }
          const granted = changes(d, BREAKERS.takeProbe, { ...keys, worker: r.workerId, now: r.now.getTime(), hold_until: r.holdUntil.getTime() }) === 1
          const row = one(d, BREAKERS.get, keys)
          return { granted, breaker: row ? decodeBreaker(row) : null }
        }),
      ),
    getBreaker: (endpointId) =>
      op('getBreaker', (d) => {
        const row = one(d, BREAKERS.get, { endpoint: endpointId })
        return row ? decodeBreaker(row) : null
      }),
    listOpenBreakers: () => op('listOpenBreakers', (d) => all(d, BREAKERS.listOpen, {}).map(decodeBreaker)),
    clearBreaker: (endpointId) => write('clearBreaker', (d) => void changes(d, BREAKERS.clear, { endpoint: endpointId })),
    pruneWorkers: (before) => write('pruneWorkers', (d) => changes(d, WORKERS.prune, { before: before.getTime() })),
  }
  return store
}
