import { createHash } from 'node:crypto'
import { StoreError, ValidationError } from '../../errors.js'
import type { Delivery, Message } from '../../types.js'
import { dataJson } from '../../util/data-json.js'
import {
  attemptCodec,
  deliveryCodec,
  endpointCodec,
  incomingHookCodec,
  incomingLogCodec,
  messageCodec,
  toDate,
  unprefixer,
  type SqlRow,
} from '../sql/codec.js'
import { retryTransient, toStoreError, type StoreRetryOptions } from '../retry.js'
import { runCleanup } from '../sql/cleanup.js'
import { classifyEnqueueConflict } from '../sql/enqueue-conflict.js'
import { incomingStatsFromRows, statsFromAggregates } from '../sql/stats.js'
import type { EnqueueItem, EnqueueResult, WebhookStore } from '../types.js'
import { firstOccurrences } from '../first-occurrences.js'
import type { PgPool, PgQueryable, PgQueryConfig, PgQueryResult } from './driver.js'
import { migrationLockKey, postgresMigrations } from './migrations.js'
import { assertSchemaName, createPlans, MESSAGE_PREFIX, wakeChannel, withoutNulParams } from './plans.js'
import { WriteBatcher } from '../../util/write-batcher.js'
import { decodeWorker } from '../sql/worker-codec.js'
import { createWorkerPlans } from './worker-plans.js'
import { createRateSlotPlans } from './rate-slot-plans.js'
import { createBreakerPlans } from './breaker-plans.js'
import { decodeBreaker } from '../sql/breaker-codec.js'
import { createId } from '../../util/ids.js'
import { loadPg } from './load-pg.js'
import { createWakeListener, createWakeNotifier, type ListenConnection, type WakeListener } from './wake.js'

export type { PgListeningClient, PgNotification, PgPool, PgPoolClient, PgQueryable, PgQueryConfig, PgQueryResult } from './driver.js'

/** Options shared by both ways of connecting. */
export interface PostgresStoreBaseOptions {
  /**
   * Schema holding hookline's tables, created by `migrate()` when missing. Must be a lower-case SQL
   * identifier (`/^[a-z_][a-z0-9_]*$/`, at most 58 characters) because it is part of the SQL text.
   * The NOTIFY channel is `<schema>_wake`.
   * @default 'hookline'
   */
  schema?: string
  /**
   * Create or upgrade the schema automatically before the first operation. With `false`, call
   * `migrate()` yourself (e.g. in a deploy step) before using the store.
   * @default true
   */
  migrate?: boolean
  /**
   * Run the store's statements as named prepared statements on its pool's connections, so that
   * Postgres parses and plans each once per connection instead of on every call (the claim,
   * complete and enqueue statements are large). Turn off behind a pooler that cannot keep
   * prepared statements (PgBouncer in transaction mode before 1.21). Statements run on a host's
   * own client (`enqueue` with `client`) are never prepared.
   * @default true
   */
  preparedStatements?: boolean
  /**
   * Retries of an operation that failed with a transient error (serialization failure, deadlock,
   * dropped or refused connection), after short exponential delays starting at 20 ms. Other errors
   * fail at once. Writes made inside a host transaction (`enqueue` with `client`) are never retried.
   * @default 3
   */
  retries?: number
}

/** Connect with a connection string; the store owns (and `close()` ends) its pool. */
export interface PostgresConnectionStringOptions extends PostgresStoreBaseOptions {
  /**
   * libpq-style connection URL.
   * @example 'postgres://app:secret@db.internal:5432/app'
   */
  connectionString: string
  /** Not allowed together with `connectionString`. */
  pool?: undefined
  /** Most connections of the store's pool. One more is opened while `onWake` listeners exist. @default 10 */
  max?: number
}

/** Use the host's `pg.Pool`; `close()` leaves it open. */
export interface PostgresPoolOptions extends PostgresStoreBaseOptions {
  /**
   * An existing `pg.Pool` (or anything with its `query`, `connect` and `end`). While `onWake`
   * listeners exist the store keeps one of its clients checked out for LISTEN.
   */
  pool: PgPool
  /** Not allowed together with `pool`. */
  connectionString?: undefined
}

/** Options of {@link postgresStore}: a `connectionString` or an existing `pool`, plus the shared options. */
export type PostgresStoreOptions = PostgresConnectionStringOptions | PostgresPoolOptions

/** The Postgres store: a {@link WebhookStore} that also wakes workers through LISTEN/NOTIFY. */
export interface PostgresStore extends WebhookStore {
  /** Schema of the tables. */
  readonly schema: string
  /** NOTIFY channel an `enqueue` signals (`<schema>_wake`). */
  readonly channel: string
  /**
   * Calls `listener` whenever a committed `enqueue` (from any process, or a host transaction) added
   * deliveries, and once after every (re)connect of the listening connection, since a
   * notification sent while it was down is lost. Listens on one dedicated connection that
   * reconnects by itself. Returns an unsubscribe function; the connection closes with the last one.
   */
  onWake(listener: () => void): () => void
}

const ADAPTER = 'postgres'
/** Pooled enqueue batches in flight at once (each holds one pooled connection while it runs). */
const ENQUEUE_IN_FLIGHT = 2
/** Most messages in one enqueue batch. */
const ENQUEUE_BATCH = 200
/** Most deliveries whose message data the store keeps for their outcome writes (see `leasedData`). */
const LEASED_DATA_MAX = 100_000

/** A claimed row's message columns (selected with {@link MESSAGE_PREFIX}) as a `messages` row. */
const messageRow = unprefixer(messageCodec, MESSAGE_PREFIX)

const isQueryable = (value: unknown): value is PgQueryable =>
  typeof value === 'object' && value !== null && typeof (value as { query?: unknown }).query === 'function'

const firstRow = (result: PgQueryResult): SqlRow | undefined => result.rows[0]

function validateOptions(options: PostgresStoreOptions): void {
  const issues: { field: string; message: string }[] = []
  const hasUrl = typeof options.connectionString === 'string' && options.connectionString !== ''
  const hasPool = options.pool !== undefined && options.pool !== null
  if (hasUrl === hasPool) issues.push({ field: '', message: 'expected exactly one of `connectionString` or `pool`' })
  if (hasPool && !isQueryable(options.pool)) issues.push({ field: 'pool', message: 'expected a pg.Pool' })
  if ('max' in options && options.max !== undefined && !(Number.isInteger(options.max) && options.max >= 1)) {
    issues.push({ field: 'max', message: `expected an integer >= 1, got \`${String(options.max)}\` (${typeof options.max})` })
  }
  if (options.retries !== undefined && !(Number.isInteger(options.retries) && options.retries >= 0)) {
    issues.push({ field: 'retries', message: `expected an integer >= 0, got \`${String(options.retries)}\` (${typeof options.retries})` })
  }
  if (options.preparedStatements !== undefined && typeof options.preparedStatements !== 'boolean') {
    issues.push({ field: 'preparedStatements', message: `expected a boolean, got \`${String(options.preparedStatements)}\` (${typeof options.preparedStatements})` })
  }
  const schema = options.schema ?? 'hookline'
  try {
    assertSchemaName(schema)
  } catch {
    issues.push({ field: 'schema', message: `expected a lower-case SQL identifier (/^[a-z_][a-z0-9_]*$/, at most 58 characters), got \`${String(schema)}\`` })
  }
  if (issues.length > 0) throw new ValidationError('postgresStore options', issues)
}

/**
 * A durable store on PostgreSQL (the `pg` driver, an optional peer dependency). Claims use
 * `FOR UPDATE SKIP LOCKED`, so any number of workers in any number of processes share the queue;
 * `enqueue` accepts the host's client to join its transaction (transactional outbox); workers
 * are woken through LISTEN/NOTIFY (`onWake`). Message `data` is stored as `json` (the exact text of
 * `JSON.stringify`, key order kept); other structured fields as `jsonb`; times as `timestamptz`.
 *
 * @example
 * import { postgresStore } from 'hookline/postgres'
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL! })
 *
 * @example
 * // Emit inside your own transaction: rolled back → nothing is ever sent.
 * const client = await pool.connect()
 * await client.query('BEGIN')
 * await client.query('INSERT INTO orders …')
 * await store.enqueue(message, deliveries, { client })
 * await client.query('COMMIT')
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  validateOptions(options)
  const schema = options.schema ?? 'hookline'
  const plans = createPlans(schema)
  const workerPlans = createWorkerPlans(schema)
  const slotPlans = createRateSlotPlans(schema)
  const breakerPlans = createBreakerPlans(schema)
  const channel = wakeChannel(schema)
  const connectionString = options.connectionString
  const ownsPool = options.pool === undefined
  const pool: PgPool = options.pool ?? createPool(connectionString!, options.max ?? 10)
  const retry: StoreRetryOptions = { adapter: ADAPTER, retries: options.retries ?? 3 }
  const autoMigrate = options.migrate !== false
  let migrated: Promise<void> | null = null
  let wake: WakeListener | null = null
  let closed = false
  const prepare = options.preparedStatements !== false ? preparedName : (plan: PgQueryConfig): PgQueryConfig => plan
  /** Runs `plan` on the store's pool (prepared, unless turned off). */
  const onPool = (plan: PgQueryConfig): Promise<PgQueryResult> => pool.query(prepare(withoutNulParams(plan)))
  /**
   * The data JSON of the messages of deliveries this store leased (claimed, or stored leased by
   * an emit's hand-off), by delivery id, until their outcome or release is written: an outcome
   * then sends its attempt's request body without the data, which the server has in `messages`
   * (see `splitRequestBody`). Only an optimisation: a delivery missing here sends its body whole.
   */
  const leasedData = new Map<string, string>()
  const rememberLeased = (deliveryId: string, message: Message): void => {
    if (leasedData.size >= LEASED_DATA_MAX) leasedData.delete(leasedData.keys().next().value!)
    leasedData.set(deliveryId, dataJson(message))
  }
  const rememberLeasedOf = (results: readonly EnqueueResult[]): void => {
    for (const r of results) if (!r.duplicate) for (const d of r.deliveries) if (d.status === 'delivering') rememberLeased(d.id, r.message)
  }
  // Pooled enqueues notify after their commit, at most once per 10 ms (see plans.enqueue).
  const notifier = createWakeNotifier({ send: () => onPool(plans.notify(channel)) })

  const ready = (): Promise<void> => {
    if (!autoMigrate) return Promise.resolve()
    if (!migrated) {
      migrated = migrate().catch((error: unknown) => {
        migrated = null
        throw error
      })
    }
    return migrated
  }

  /** One statement on the pool, after the lazy migration, retried on transient errors. */
  const run = async (operation: string, plan: PgQueryConfig): Promise<PgQueryResult> => {
    if (closed) throw new StoreError(`[${ADAPTER}] ${operation} failed: the store is closed`)
    await ready()
    return retryTransient(operation, () => onPool(plan), retry)
  }

  const rows = async (operation: string, plan: PgQueryConfig): Promise<SqlRow[]> => (await run(operation, plan)).rows

  /** Statements in one transaction of the store's own, after the lazy migration, retried whole on transient errors. */
  const runTransaction = async <T>(operation: string, work: (db: PgQueryable) => Promise<T>): Promise<T> => {
    if (closed) throw new StoreError(`[${ADAPTER}] ${operation} failed: the store is closed`)
    await ready()
    return retryTransient(operation, () => inTransaction(work), retry)
  }

  async function migrate(): Promise<void> {
    const migrations = postgresMigrations(schema)
    const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0)
    await retryTransient(
      'migrate',
      async () => {
        // Fast path without the lock once the schema is current (the common case at start-up).
        try {
          const current = Number(firstRow(await onPool(plans.currentVersion()))?.version ?? 0)
          if (current >= latest) return
        } catch (error) {
          const code = (error as { code?: unknown }).code
          if (code !== '42P01' && code !== '3F000') throw error // undefined_table, invalid_schema_name
        }
        const client = await pool.connect()
        let destroy = false
        try {
          await client.query({ text: 'BEGIN' })
          await client.query(plans.advisoryLock(migrationLockKey(schema)))
          if (firstRow(await client.query(plans.schemaExists()))?.exists !== true) await client.query(plans.createSchema())
          await client.query(plans.createMigrationsTable())
          const current = Number(firstRow(await client.query(plans.currentVersion()))?.version ?? 0)
          for (const migration of migrations) {
            if (migration.version <= current) continue
            for (const statement of migration.up) await client.query({ text: statement })
            await client.query(plans.recordVersion(migration.version))
          }
          await client.query({ text: 'COMMIT' })
        } catch (error) {
          await client.query({ text: 'ROLLBACK' }).catch(() => {
            destroy = true
          })
          throw error
        } finally {
          client.release(destroy)
        }
      },
      retry,
    )
  }

  /**
   * The enqueue statement (and, on a conflict, the lookup of the stored message) on the host's
   * client, or on the pool when `host` is null. On a host client the statement itself NOTIFYs (the
   * wake-up goes out at the host's COMMIT); on the pool the caller signals the notifier after the
   * commit.
   */
  async function enqueueOn(host: PgQueryable | null, message: Message, deliveries: Delivery[], notifyInStatement = host !== null): Promise<EnqueueResult> {
    const db: PgQueryable = host ?? { query: onPool }
    // Bounded: a conflicting message that vanished in between (cleanup) makes one more try worthwhile.
    for (let round = 0; round < 3; round++) {
      const result = await db.query(plans.enqueue(message, deliveries, notifyInStatement && deliveries.length > 0 ? channel : null))
      if (Number(firstRow(result)?.inserted) === 1) return { message, deliveries, duplicate: false }
      let found: SqlRow | undefined
      if (message.idempotencyKey !== null) found = firstRow(await db.query(plans.messageByIdempotencyKey(message.idempotencyKey, message.owner)))
      found ??= firstRow(await db.query(plans.getMessage(message.id)))
      if (!found) continue
      const stored = messageCodec.decode(found)
      const { duplicate } = classifyEnqueueConflict(ADAPTER, message, stored)
      return { message: stored, deliveries: (await db.query(plans.deliveriesOfMessage(stored.id))).rows.map(deliveryCodec.decode), duplicate }
    }
    throw new StoreError(`[${ADAPTER}] enqueue failed: the conflicting message disappeared repeatedly`)
  }

  /**
   * Pooled enqueues of many concurrent emits, written together: one statement and one commit for
   * everything queued while the previous batches were in flight (group commit), so concurrent
   * emits do not each wait for their own fsync. An emit that arrives when a slot is free goes out
   * at once, alone. Each emit still resolves only after the commit that stored it.
   */
  const enqueueBatcher = new WriteBatcher<{ message: Message; deliveries: Delivery[] }, EnqueueResult>({
    maxInFlight: ENQUEUE_IN_FLIGHT,
    maxBatch: ENQUEUE_BATCH,
    // Emits made in the same turn of the event loop share a batch: producers resumed by one
    // batch's commit each emit again in that turn, and without the wait the first of them would
    // take the free slot alone (a statement and a commit of its own).
    delay: 'immediate',
    run: enqueueBatch,
  })

  const enqueueAlone = (message: Message, deliveries: Delivery[]): Promise<EnqueueResult> =>
    retryTransient('enqueue', () => enqueueOn(null, message, deliveries), retry)

  async function enqueueBatch(items: { message: Message; deliveries: Delivery[] }[]): Promise<(EnqueueResult | Promise<EnqueueResult>)[]> {
    if (items.length === 1) return [await enqueueAlone(items[0]!.message, items[0]!.deliveries)]
    // One item per message id in the statement: a repeat (the same message enqueued twice, or
    // another message under the same id) would slip its deliveries in under the first one. Repeats
    // go through the single path after the batch, which tells a retry from a conflict.
    const ids = new Set<string>()
    const batch = items.filter(({ message }) => !ids.has(message.id) && ids.add(message.id))
    let inserted: Set<unknown>
    try {
      inserted = new Set((await retryTransient('enqueue', () => onPool(plans.enqueueMany(batch)), retry)).rows.map((row) => row.id))
    } catch {
      // Nothing of the batch was stored. Write each on its own, so that a message the database
      // refuses fails its own emit only, with its own error.
      return items.map(({ message, deliveries }) => enqueueAlone(message, deliveries))
    }
    // A message that was not inserted conflicted (an idempotency key seen before), and a repeat of
    // an id is compared with what is stored now: the single path looks the stored message up and
    // tells a duplicate from a conflict.
    const first = new Set(batch)
    return items.map((item) =>
      first.has(item) && inserted.has(item.message.id) ? { message: item.message, deliveries: item.deliveries, duplicate: false } : enqueueAlone(item.message, item.deliveries),
    )
  }

  /**
   * `emitMany`'s write: every item in one statement, on the host's client (`notify`: the statement
   * queues the wake-up for the host's commit) or on a pooled client inside a transaction of the
   * store's own. Repeats within the batch (an idempotency key per owner, or a message id, seen in
   * an earlier item) are not sent: they resolve to that earlier item's result, as a later
   * `enqueue` of them would. An item that conflicts with a stored message takes the single path,
   * which looks the stored one up (and throws on a genuine id clash, failing the whole batch).
   */
  async function enqueueManyOn(db: PgQueryable, notify: boolean, items: EnqueueItem[]): Promise<EnqueueResult[]> {
    const source = firstOccurrences(items)
    const unique = items.filter((_, i) => source[i] === i)
    const channelIfAny = notify && unique.some((x) => x.deliveries.length > 0) ? channel : null
    const inserted = new Set((await db.query(plans.enqueueMany(unique, channelIfAny))).rows.map((row) => row.id))
    const results: EnqueueResult[] = []
    for (let i = 0; i < items.length; i++) {
      const { message, deliveries } = items[i]!
      const first = results[source[i]!]
      if (first !== undefined) results.push({ message: first.message, deliveries: first.deliveries, duplicate: first.message.id !== message.id })
      else if (inserted.has(message.id)) results.push({ message, deliveries, duplicate: false })
      else results.push(await enqueueOn(db, message, deliveries, notify))
    }
    return results
  }

  /**
   * `enqueueManyOn` in a transaction of the store's own on a pooled client: BEGIN, the batch
   * statement (plus a lookup per item that met a stored message), COMMIT. The transaction is what
   * makes a genuine conflict found by a lookup undo the rest of the batch.
   */
  function enqueueManyPooled(items: EnqueueItem[]): Promise<EnqueueResult[]> {
    return inTransaction((db) => enqueueManyOn(db, false, items))
  }

  /** `work` in a transaction of the store's own on a pooled client: BEGIN, its statements, COMMIT (ROLLBACK on an error). */
  async function inTransaction<T>(work: (db: PgQueryable) => Promise<T>): Promise<T> {
    const client = await pool.connect()
    let destroy = false
    try {
      await client.query({ text: 'BEGIN' })
      const result = await work({ query: (plan: PgQueryConfig) => client.query(prepare(plan)) })
      await client.query({ text: 'COMMIT' })
      return result
    } catch (error) {
      await client.query({ text: 'ROLLBACK' }).catch(() => {
        destroy = true
      })
      throw error
    } finally {
      client.release(destroy)
    }
  }

  const openListenConnection = async (): Promise<ListenConnection> => {
    if (connectionString !== undefined) {
      const client = new (loadPg('postgresStore({ connectionString })').Client)({ connectionString, application_name: 'hookline-listen' })
      client.on('error', () => {})
      try {
        await client.connect()
      } catch (error) {
        await client.end().catch(() => {})
        throw error
      }
      return { client, dispose: () => client.end() }
    }
    const client = await pool.connect()
    client.on('error', () => {})
    // Destroyed rather than returned: a connection in LISTEN state must not serve other queries.
    return { client, dispose: async () => client.release(true) }
  }

  const store: PostgresStore = {
    name: ADAPTER,
    durable: true,
    schema,
    channel,

    async migrate() {
      if (closed) throw new StoreError(`[${ADAPTER}] migrate failed: the store is closed`)
      await migrate()
      migrated = Promise.resolve()
    },

    async close() {
      if (closed) return
      closed = true
      await enqueueBatcher.drain()
      await wake?.close()
      await notifier.close()
      if (ownsPool) await pool.end()
    },

    onWake(listener) {
      if (closed) return () => {}
      wake ??= createWakeListener({ connect: openListenConnection, channel, listen: plans.listen(channel) })
      return wake.subscribe(listener)
    },

    // ---- endpoints --------------------------------------------------------------------------
    async createEndpoint(endpoint) {
      await run('createEndpoint', plans.insertEndpoint(endpoint))
    },
    async getEndpoint(id) {
      const row = (await rows('getEndpoint', plans.getEndpoint(id)))[0]
      return row ? endpointCodec.decode(row) : null
    },
    async listEndpoints(query = {}) {
      return (await rows('listEndpoints', plans.listEndpoints(query))).map(endpointCodec.decode)
    },
    async updateEndpoint(endpoint, options) {
      return ((await run('updateEndpoint', plans.updateEndpoint(endpoint, options?.expected))).rowCount ?? 0) > 0
    },
    async deleteEndpoint(id) {
      // Two statements in one transaction: the second deletes the attempts an outcome write
      // committed while the first waited for its lock (see plans.deleteAttemptsOf).
      const row = await runTransaction('deleteEndpoint', async (db) => {
        const deleted = firstRow(await db.query(withoutNulParams(plans.deleteEndpoint(id))))
        const ids = (deleted?.ids ?? []) as string[]
        if (ids.length > 0) await db.query(plans.deleteAttemptsOf(ids))
        return deleted
      })
      return Number(row?.deleted) > 0
    },

    // ---- messages and deliveries ------------------------------------------------------------
    async enqueue(message, deliveries, enqueueOptions = {}) {
      const host = enqueueOptions.client
      if (host === undefined || host === null) {
        if (closed) throw new StoreError(`[${ADAPTER}] enqueue failed: the store is closed`)
        await ready()
        const result = await enqueueBatcher.add({ message, deliveries })
        rememberLeasedOf([result])
        // In-process workers are woken by the manager directly; this wakes the other processes'.
        // Deliveries stored already leased (emit's hand-off, test sends) are nobody else's to claim.
        if (!result.duplicate && result.deliveries.some((d) => d.status !== 'delivering')) notifier.signal()
        return result
      }
      assertHostClient(host)
      await ready()
      // The host's transaction decides: no BEGIN/COMMIT here, and no retry (the transaction is
      // aborted after any error; only the host can start it over).
      try {
        return await enqueueOn(host, message, deliveries)
      } catch (error) {
        throw toStoreError(ADAPTER, 'enqueue', error)
      }
    },
    async enqueueMany(items, enqueueOptions = {}) {
      if (items.length === 0) return []
      const host = enqueueOptions.client
      if (host === undefined || host === null) {
        if (closed) throw new StoreError(`[${ADAPTER}] enqueue failed: the store is closed`)
        await ready()
        // A retry after a lost COMMIT reply finds its own messages stored and takes them as
        // written (the same id and content), so nothing is doubled.
        const results = await retryTransient('enqueue', () => enqueueManyPooled(items), retry)
        rememberLeasedOf(results)
        if (results.some((r) => !r.duplicate && r.deliveries.some((d) => d.status !== 'delivering'))) notifier.signal()
        return results
      }
      assertHostClient(host)
      await ready()
      try {
        return await enqueueManyOn(host, true, items)
      } catch (error) {
        throw toStoreError(ADAPTER, 'enqueue', error)
      }
    },
    async getMessage(id) {
      const row = (await rows('getMessage', plans.getMessage(id)))[0]
      return row ? messageCodec.decode(row) : null
    },
    async claim(request) {
      if (request.limit <= 0) return []
      return (await rows('claim', plans.claim(request))).map((row) => {
        const claimed = { delivery: deliveryCodec.decode(row), message: messageCodec.decode(messageRow(row)) }
        rememberLeased(claimed.delivery.id, claimed.message)
        return claimed
      })
    },
    async complete(outcomes) {
      if (outcomes.length === 0) return
      await run('complete', plans.complete(outcomes, (id) => leasedData.get(id)))
      for (const o of outcomes) leasedData.delete(o.deliveryId)
    },
    async release(ids, workerId, now) {
      if (ids.length === 0) return
      await run('release', plans.release(ids, workerId, now))
      for (const id of ids) leasedData.delete(id)
    },
    async nextDueAt() {
      const value = (await rows('nextDueAt', plans.nextDueAt()))[0]?.due_at
      return value === null || value === undefined ? null : toDate(value)
    },
    async getDelivery(id) {
      const row = (await rows('getDelivery', plans.getDelivery(id)))[0]
      return row ? deliveryCodec.decode(row) : null
    },
    async listDeliveries(query = {}) {
      return (await rows('listDeliveries', plans.listDeliveries(query))).map(deliveryCodec.decode)
    },
    async requeueDelivery(id, at, now) {
      const row = (await rows('requeueDelivery', plans.requeueDelivery(id, at, now)))[0]
      if (row) return { status: 'requeued', delivery: deliveryCodec.decode(row) }
      const current = (await rows('requeueDelivery', plans.getDelivery(id)))[0]
      return current ? { status: 'busy', delivery: deliveryCodec.decode(current) } : { status: 'missing' }
    },
    async replayDeliveries(request) {
      return (await run('replayDeliveries', plans.replayDeliveries(request))).rowCount ?? 0
    },
    async listAttempts(deliveryId) {
      return (await rows('listAttempts', plans.listAttempts(deliveryId))).map(attemptCodec.decode)
    },
    async getStats(endpointId, since) {
      const row = (await rows('getStats', plans.stats(endpointId, since)))[0] ?? {}
      const n = (key: string): number => Number(row[key] ?? 0)
      return statsFromAggregates(
        { pending: n('pending'), delivering: n('delivering'), succeeded: n('succeeded'), failed: n('failed'), dead: n('dead') },
        {
          count: n('attempt_count'),
          sumDurationMs: n('duration_sum'),
          p95DurationMs: row.duration_p95 === null || row.duration_p95 === undefined ? null : Number(row.duration_p95),
          lastAttemptAt: row.last_attempt_at === null || row.last_attempt_at === undefined ? null : toDate(row.last_attempt_at),
        },
      )
    },
    async cleanup({ before, batchSize = 1000 }) {
      const count = async (plan: PgQueryConfig): Promise<number> => (await run('cleanup', plan)).rowCount ?? 0
      return runCleanup(batchSize, {
        deliveries: async () => {
          // Two statements in one transaction, as deleteEndpoint: the second deletes an attempt
          // committed after the first's snapshot (see plans.deleteAttemptsOf).
          return runTransaction('cleanup', async (db) => {
            const row = firstRow(await db.query(plans.cleanupDeliveries(before, batchSize))) ?? {}
            const ids = (row.ids ?? []) as string[]
            const late = ids.length > 0 ? ((await db.query(plans.deleteAttemptsOf(ids))).rowCount ?? 0) : 0
            return { deliveries: Number(row.deliveries ?? 0), attempts: Number(row.attempts ?? 0) + late }
          })
        },
        messages: () => count(plans.cleanupMessages(before, batchSize)),
        incomingLogs: () => count(plans.cleanupIncomingLogs(before, batchSize)),
        incomingKeys: () => count(plans.cleanupIncomingKeys(before, batchSize)),
      })
    },

    // ---- incoming hooks ---------------------------------------------------------------------
    async createIncomingHook(hook) {
      await run('createIncomingHook', plans.insertIncomingHook(hook))
    },
    async getIncomingHook(id) {
      const row = (await rows('getIncomingHook', plans.getIncomingHook(id)))[0]
      return row ? incomingHookCodec.decode(row) : null
    },
    async findIncomingHookByTokenHash(tokenHash) {
      const row = (await rows('findIncomingHookByTokenHash', plans.findIncomingHookByTokenHash(tokenHash)))[0]
      return row ? incomingHookCodec.decode(row) : null
    },
    async listIncomingHooks(query = {}) {
      return (await rows('listIncomingHooks', plans.listIncomingHooks(query))).map(incomingHookCodec.decode)
    },
    async updateIncomingHook(hook, options) {
      return ((await run('updateIncomingHook', plans.updateIncomingHook(hook, options?.expected))).rowCount ?? 0) > 0
    },
    async deleteIncomingHook(id) {
      return Number((await rows('deleteIncomingHook', plans.deleteIncomingHook(id)))[0]?.deleted) > 0
    },
    async insertIncomingLog(log) {
      await run('insertIncomingLog', plans.insertIncomingLog(log))
    },
    async listIncomingLogs(hookId, query = {}) {
      return (await rows('listIncomingLogs', plans.listIncomingLogs(hookId, query))).map(incomingLogCodec.decode)
    },
    async getIncomingStats(hookId, since) {
      const found = await rows('getIncomingStats', plans.incomingStats(hookId, since))
      const p95 = found[0]?.p95
      return incomingStatsFromRows(found).build(p95 === null || p95 === undefined ? null : Number(p95))
    },
    async rememberIncomingKey(hookId, key, now, expiresAt) {
      return ((await run('rememberIncomingKey', plans.rememberIncomingKey(hookId, key, now, expiresAt))).rowCount ?? 0) > 0
    },
    async recordWorker(heartbeat) {
      await run('recordWorker', workerPlans.record(heartbeat))
    },
    async listWorkers() {
      return (await rows('listWorkers', workerPlans.list())).map(decodeWorker)
    },
    async reportLostWorkers(staleBefore, now) {
      return (await rows('reportLostWorkers', workerPlans.reportLost(staleBefore, now))).map(decodeWorker)
    },
    async takeRateSlots(request) {
      const first = (await rows('takeRateSlots', slotPlans.take(request)))[0]!
      const slots = (first.slots as (number | string)[]).map(Number)
      if (slots.length >= request.count) return { slots, retryAt: null }
      let row = first
      // The endpoint's slots are made on first use (and when its max grows), then taken again.
      if (Number(first.total) < request.max) {
        await run('takeRateSlots', slotPlans.ensure(request.endpointId, request.max))
        row = (await rows('takeRateSlots', slotPlans.take({ ...request, count: request.count - slots.length })))[0]!
        slots.push(...(row.slots as (number | string)[]).map(Number))
      }
      return { slots, retryAt: slots.length >= request.count || row.retry_at === null || row.retry_at === undefined ? null : toDate(row.retry_at) }
    },
    async releaseRateSlots(workerId, releases) {
      if (releases.length > 0) await run('releaseRateSlots', slotPlans.release(workerId, releases))
    },
    async recordBreakerFailure(failure) {
      const row = (await rows('recordBreakerFailure', breakerPlans.failure(failure, createId('brk'))))[0]!
      return { breaker: decodeBreaker(row), opened: row.opened === true }
    },
    async recordBreakerSuccess(endpointId, workerId) {
      return (await rows('recordBreakerSuccess', breakerPlans.success(endpointId, workerId)))[0]?.closed === true
    },
    async takeBreakerProbe(request) {
      const row = (await rows('takeBreakerProbe', breakerPlans.takeProbe(request)))[0]
      return { granted: row?.granted === true, breaker: row ? decodeBreaker(row) : null }
    },
    async getBreaker(endpointId) {
      const row = (await rows('getBreaker', breakerPlans.get(endpointId)))[0]
      return row ? decodeBreaker(row) : null
    },
    async listOpenBreakers() {
      return (await rows('listOpenBreakers', breakerPlans.listOpen())).map(decodeBreaker)
    },
    async clearBreaker(endpointId) {
      await run('clearBreaker', breakerPlans.clear(endpointId))
    },
    async pruneWorkers(before) {
      return (await run('pruneWorkers', workerPlans.prune(before))).rowCount ?? 0
    },
  }
  return store
}

/** Refuses an `enqueue` / `enqueueMany` `client` that is not a pg client. */
function assertHostClient(host: unknown): asserts host is PgQueryable {
  if (!isQueryable(host)) {
    throw new ValidationError('enqueue options', [{ field: 'client', message: 'expected a pg client (with a query() method) inside an open transaction' }])
  }
}

/** Prepared-statement names by statement text: a digest of the text, so equal texts share one. */
const statementNames = new Map<string, string>()

/** `plan` as a named prepared statement (the name is a digest of its text). */
function preparedName(plan: PgQueryConfig & { replan?: boolean }): PgQueryConfig {
  if (plan.replan === true) return { text: plan.text, values: plan.values }
  let name = statementNames.get(plan.text)
  if (name === undefined) {
    name = `hookline_${createHash('sha256').update(plan.text).digest('hex').slice(0, 24)}`
    // Statement texts come from a fixed set of templates; the bound keeps a bug from leaking memory.
    if (statementNames.size < 10_000) statementNames.set(plan.text, name)
  }
  return { name, text: plan.text, values: plan.values }
}

function createPool(connectionString: string, max: number): PgPool {
  const pool = new (loadPg('postgresStore({ connectionString })').Pool)({ connectionString, max, application_name: 'hookline' })
  // An idle client that loses its connection emits 'error' on the pool; the pool already discards
  // it, and an unhandled 'error' event would crash the host process.
  pool.on('error', () => {})
  return pool
}
