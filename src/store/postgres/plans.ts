import type { Attempt, Delivery, Endpoint, IncomingHook, IncomingLog, Message } from '../../types.js'
import {
  attemptCodec,
  deliveryCodec,
  endpointCodec,
  incomingHookCodec,
  incomingLogCodec,
  messageCodec,
  type ColumnKind,
  type NeutralValue,
  type TableCodec,
} from '../sql/codec.js'
import type {
  ClaimRequest,
  DeliveryOutcome,
  DeliveryQuery,
  EndpointQuery,
  IncomingHookQuery,
  PageQuery,
  ReplayRequest,
} from '../types.js'
import { binaryArray, type BinaryElement, type BinaryElementType } from './binary-array.js'

/**
 * One SQL statement with its bound parameters. Every value is a parameter; the only text ever
 * interpolated is the schema name, validated by {@link assertSchemaName} and quoted.
 */
export interface Plan {
  /** SQL text with `$n` placeholders. */
  text: string
  /** Parameter values, in placeholder order. */
  values: unknown[]
  /**
   * Planned anew, with its values, at every execution instead of running as a prepared statement.
   * For batch statements whose best plan depends on the tables' sizes: Postgres caches a prepared
   * statement's generic plan, and one made while the tables were small (a fresh schema, before
   * autovacuum first analyzes it) scans them whole on every later execution as they grow.
   */
  replan?: boolean
}

/** Pattern a schema name must match before it is interpolated (lower-case SQL identifier, ≤ 58 chars). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,57}$/

/** Throws a `TypeError` naming the value unless `schema` matches {@link SCHEMA_NAME}. */
export function assertSchemaName(schema: string): void {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new TypeError(
      `[hookline] [postgres] Expected \`schema\` to match ${String(SCHEMA_NAME)}, got \`${String(schema)}\` (${typeof schema})`,
    )
  }
}

/** `"name"` — only ever called with names matching {@link SCHEMA_NAME} or fixed identifiers below. */
const quote = (name: string): string => `"${name}"`

/** NOTIFY channel of a schema: `<schema>_wake`. */
export function wakeChannel(schema: string): string {
  return `${schema}_wake`
}

/**
 * When a delivery can next be claimed: its lease's end while `delivering`, its next attempt while
 * `pending` or `failed`, NULL once finished. Exactly the key expression of `deliveries_claim_idx`
 * (migration 2), which holds the deliveries where it is not NULL.
 */
const DUE_AT = `(CASE WHEN status = 'delivering' THEN locked_until WHEN status IN ('pending', 'failed') THEN next_attempt_at END)`

/**
 * Head-of-line condition of a claimable row of `table` (referred to by that name) due at `now`: an
 * unordered delivery (`ordering_key IS NULL`, checked first and alone for those) always passes; a
 * fifo one only while no older unfinished delivery of its line exists and no other one of its line
 * holds a live lease (a manual retry can make an older one unfinished again behind one in flight).
 * Each `NOT EXISTS` is one probe of a partial index of migration 9.
 */
function headOfLine(table: string, now: string): string {
  const line = `o.endpoint_id = ${table}.endpoint_id AND o.ordering_key = ${table}.ordering_key`
  return (
    `(ordering_key IS NULL OR (` +
    `NOT EXISTS (SELECT 1 FROM ${table} o WHERE ${line} AND o.status IN ('pending', 'failed', 'delivering') AND o.seq < ${table}.seq) AND ` +
    `NOT EXISTS (SELECT 1 FROM ${table} o WHERE ${line} AND o.status = 'delivering' AND o.id <> ${table}.id AND o.locked_until > ${now})))`
  )
}

/** Columns of type `json` (see migrations 1 and 11); every other JSON column is `jsonb`. */
const JSON_TEXT_COLUMNS = new Set(['messages.data', 'messages.metadata', 'attempts.request_headers', 'attempts.response_headers'])

/** Postgres type of a column (used for casts of parameters and `unnest` arrays). */
function pgType(codec: { table: string }, column: string, kind: ColumnKind): string {
  // Message data and metadata and an attempt's headers are `json` (exact text, key order kept); other JSON is `jsonb`.
  if (JSON_TEXT_COLUMNS.has(`${codec.table}.${column}`)) return 'json'
  switch (kind) {
    case 'text':
      return 'text'
    case 'int':
      return 'bigint'
    case 'real':
      return 'float8'
    case 'bool':
      return 'boolean'
    case 'time':
      return 'timestamptz'
    case 'json':
      return 'jsonb'
  }
}

/**
 * Postgres `text` cannot hold U+0000 (error 22021, not transient), and `jsonb` rejects the `\u0000`
 * escape. A receiver's response body, an error message or an incoming payload may contain one, and
 * an outcome that cannot be written would leave its delivery leased and re-sent after every lease,
 * forever. So text bound for those columns has each NUL replaced by U+FFFD. Message `data` and
 * `metadata` are `json`, which keeps the escape: the payload round-trips exactly.
 */
const NUL = '\u0000'
const REPLACEMENT = '\uFFFD'

/** A UTF-16 surrogate without its partner: `jsonb` refuses its `\ud800` escape (22P02). */
const LONE_SURROGATE = /\p{Cs}/gu

/** `value` with every NUL replaced by U+FFFD. */
export function pgText<T extends string | null>(value: T): T {
  return (value !== null && value.includes(NUL) ? value.replaceAll(NUL, REPLACEMENT) : value) as T
}

/**
 * `plan` with every NUL in its string parameters (and string arrays) replaced by U+FFFD, as every
 * write already does: a lookup of an id holding a NUL (`GET /webhooks/%00`) then finds nothing,
 * as in the other stores, instead of failing with 22021. Ids hookline creates never hold either.
 */
export function withoutNulParams<P extends { values?: unknown[] }>(plan: P): P {
  const values = plan.values
  if (values === undefined || !values.some(holdsNul)) return plan
  return { ...plan, values: values.map((value) => (typeof value === 'string' ? pgText(value) : Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? pgText(v) : v)) : value)) }
}

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL)
  return Array.isArray(value) && value.some((v) => typeof v === 'string' && v.includes(NUL))
}

function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return pgText(value).replace(LONE_SURROGATE, REPLACEMENT)
  if (Array.isArray(value)) return value.map(withoutNul)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k) as string, withoutNul(v)]))
  }
  return value
}

/**
 * JSON text for a `jsonb` column: unchanged unless it may hold an escaped NUL or lone surrogate
 * (inputs refuse both; this keeps a write from failing should one get through).
 */
function pgJsonb(text: string): string {
  // Both escapes start with `\u` (JSON has no other spelling of them): most texts hold none, and
  // a search for those two characters is far cheaper than the case-insensitive pattern below.
  if (!text.includes('\\u')) return text
  return text.includes('\\u0000') || /\\ud[89a-f]/i.test(text) ? JSON.stringify(withoutNul(JSON.parse(text))) : text
}

/**
 * A neutral value as a `pg` parameter of type `type`: dates as ISO strings (exact to the ms), text
 * and `jsonb` without NULs, the rest unchanged.
 */
function param(value: NeutralValue, type: string): unknown {
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'string') {
    if (type === 'text') return pgText(value)
    if (type === 'jsonb') return pgJsonb(value)
  }
  return value
}

const ms = (value: Date): string => value.toISOString()
const msOrNull = (value: Date | null): string | null => (value === null ? null : value.toISOString())

/**
 * Select list of a table: times as float8 ms since the epoch, JSON as text, so that rows decode the
 * same whatever type parsers the host installed on `pg`.
 */
function selectList(codec: { columns: TableCodec<unknown>['columns'] }, alias: string, prefix = ''): string {
  return codec.columns
    .map(([name, kind]) => {
      const col = `${alias}.${quote(name)}`
      const as = quote(prefix + name)
      if (kind === 'time') return `(extract(epoch from ${col}) * 1000)::float8 AS ${as}`
      if (kind === 'json') return `${col}::text AS ${as}`
      return `${col} AS ${as}`
    })
    .join(', ')
}

const columnList = (codec: { columns: TableCodec<unknown>['columns'] }): string => codec.columns.map(([n]) => quote(n)).join(', ')

/** Prefix of the message columns in joined selects. */
export const MESSAGE_PREFIX = 'm__'

/** Builds `$n` placeholders into `values`. */
class Params {
  readonly values: unknown[] = []
  /** Adds a value and returns its placeholder, with an optional cast. */
  add(value: unknown, cast?: string): string {
    this.values.push(value)
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`
  }
}

function insertRow<T>(codec: TableCodec<T>, table: string, record: T, suffix = ''): Plan {
  const p = new Params()
  const row = codec.encode(record)
  const placeholders = codec.columns.map(([name, kind]) => {
    const type = pgType(codec, name, kind)
    return p.add(param(row[name] ?? null, type), type)
  })
  return {
    text: `INSERT INTO ${table} (${columnList(codec)}) VALUES (${placeholders.join(', ')})${suffix}`,
    values: p.values,
  }
}

/**
 * `UPDATE … WHERE id = …`; with `expected`, a compare-and-set: only while every column still holds
 * the expected record's value (`IS NOT DISTINCT FROM`: NULL equals NULL, jsonb by value).
 */
function updateRow<T>(codec: TableCodec<T>, table: string, record: T, expected?: T): Plan {
  const p = new Params()
  const row = codec.encode(record)
  const id = p.add(row.id)
  const columns = codec.columns.filter(([name]) => name !== 'id').map(([name, kind]) => [name, pgType(codec, name, kind)] as const)
  const sets = columns.map(([name, type]) => `${quote(name)} = ${p.add(param(row[name] ?? null, type), type)}`)
  let text = `UPDATE ${table} SET ${sets.join(', ')} WHERE id = ${id}`
  if (expected !== undefined) {
    const was = codec.encode(expected)
    text += columns.map(([name, type]) => ` AND ${quote(name)} IS NOT DISTINCT FROM ${p.add(param(was[name] ?? null, type), type)}`).join('')
  }
  return { text, values: p.values }
}

/**
 * A neutral value as an element of a binary array of type `type` (see {@link binaryArray}): text
 * and `jsonb` without NULs, the rest unchanged (times stay `Date`s).
 */
function element(value: NeutralValue, type: string): BinaryElement {
  if (typeof value === 'string') {
    if (type === 'text') return pgText(value)
    if (type === 'jsonb') return pgJsonb(value)
  }
  return value
}

/**
 * `unnest(...)` of many records as a derived table `alias(col, …)`: one array parameter per column,
 * so a batch of any size is one statement with a fixed number of parameters. The arrays go in the
 * binary wire format (see {@link binaryArray}): no escaping in the driver, no parsing of array
 * literals and ISO times in the server.
 */
function unnestRows<T>(codec: TableCodec<T>, records: readonly T[], p: Params, alias: string): string {
  const rows = records.map((r) => codec.encode(r))
  const arrays = codec.columns.map(([name, kind]) => {
    const type = pgType(codec, name, kind) as BinaryElementType
    return p.add(
      binaryArray(
        rows.map((row) => element(row[name] ?? null, type)),
        type,
      ),
      `${type}[]`,
    )
  })
  return `unnest(${arrays.join(', ')}) AS ${alias}(${columnList(codec)})`
}

/** Rows Postgres assumes an `unnest` of a parameter yields when it cannot see the array (`prorows`). */
const UNNEST_ESTIMATE = 100

/** Shortest data text worth leaving out of an outcome write (shorter: the body goes whole). */
const MIN_SPLIT = 64

/**
 * An attempt's request body as `complete` sends and stores it: the text before and after the
 * message's data when the body holds `data` (the JSON text stored in `messages.data`, which
 * `listAttempts` puts back between them; migration 12), else the whole body and `null`. Any
 * occurrence of `data` will do: the parts and `data` make up the body exactly either way.
 */
export function splitRequestBody(body: string, data: string | undefined): { head: string; tail: string | null } {
  const at = data === undefined || data.length < MIN_SPLIT ? -1 : body.indexOf(data)
  if (at < 0) return { head: body, tail: null }
  return { head: body.slice(0, at), tail: body.slice(at + data!.length) }
}

/**
 * Columns of one outcome row of `complete`'s `json_to_recordset`, keyed short (the keys are sent
 * once per row): the delivery's new state (`d` id, `w` worker, `s` status, `n` attempts, `na` next
 * attempt, `c` status code, `e` error, `ca` completed, `u` updated) and its attempt, when one was
 * made (`ai` id, `ad` delivery, `ae` endpoint, `an` number, `at` trigger, `au` url, `am` method,
 * `rh` request headers, `bh`/`bt` request body around the message data (see
 * {@link splitRequestBody}), `rs` response status, `rb` response body, `rx` response headers,
 * `er` error, `ok` succeeded, `ms` duration, `st` started).
 */
const OUTCOME_ROW =
  'd text, w text, s text, n int, na float8, c int, e text, ca float8, u float8, ' +
  'ai text, ad text, ae text, an int, at text, au text, am text, rh json, bh text, bt text, ' +
  'rs int, rb text, rx json, er text, ok boolean, ms float8, st float8'

/** A `float8` of ms since the epoch (an outcome row's time) as `timestamptz`, exact to the ms. */
const fromEpoch = (column: string): string => `to_timestamp(${column} / 1000.0)`

/**
 * A time of an outcome row: ms since the epoch. `JSON.stringify` of a `Date` calls its `toJSON`,
 * about 1.4 µs each (three or four per outcome); a number costs next to nothing. An invalid date
 * throws, as `toISOString` did (JSON would make it a silent NULL).
 */
function epoch(value: Date): number
function epoch(value: Date | null): number | null
function epoch(value: Date | null): number | null {
  if (value === null) return null
  const time = value.getTime()
  if (!Number.isFinite(time)) throw new RangeError('[hookline] [postgres] an outcome holds an invalid date')
  return time
}

/**
 * The outcomes as the JSON text of `complete`'s rows (see {@link OUTCOME_ROW}); times as ms since
 * the epoch. Postgres refuses a NUL (`\u0000`) in text and jsonb and a lone
 * surrogate's escape in either: in the rare batch whose text holds one, every string is cleaned
 * (U+FFFD) and the batch serialised again (see {@link pgJsonb}).
 */
function outcomeRows(outcomes: readonly DeliveryOutcome[], dataOf: (deliveryId: string) => string | undefined): string {
  const rows = outcomes.map((o) => {
    const a = o.attempt
    if (a === null) return { d: o.deliveryId, w: o.workerId, s: o.status, n: o.attempts, na: epoch(o.nextAttemptAt), c: o.lastStatusCode, e: o.lastError, ca: epoch(o.completedAt), u: epoch(o.updatedAt) }
    const body = splitRequestBody(a.requestBody, dataOf(a.deliveryId))
    return {
      d: o.deliveryId,
      w: o.workerId,
      s: o.status,
      n: o.attempts,
      na: epoch(o.nextAttemptAt),
      c: o.lastStatusCode,
      e: o.lastError,
      ca: epoch(o.completedAt),
      u: epoch(o.updatedAt),
      ai: a.id,
      ad: a.deliveryId,
      ae: a.endpointId,
      an: a.attempt,
      at: a.trigger,
      au: a.url,
      am: a.method,
      rh: a.requestHeaders,
      bh: body.head,
      bt: body.tail,
      rs: a.responseStatus,
      rb: a.responseBody,
      rx: a.responseHeaders,
      er: a.error,
      ok: a.succeeded,
      ms: a.durationMs,
      st: epoch(a.startedAt),
    }
  })
  return pgJsonb(JSON.stringify(rows))
}

/**
 * `column` matches `owner` (`null`: no owner), written so that an index on the column serves it:
 * `IS NOT DISTINCT FROM` would say the same, but Postgres never uses an index for it.
 */
const ownerIs = (p: Params, column: string, owner: string | null): string => (owner === null ? `${column} IS NULL` : `${column} = ${p.add(owner, 'text')}`)

const pageClause = (p: Params, query: { limit?: number; offset?: number }): string =>
  `LIMIT ${p.add(query.limit ?? 100, 'bigint')} OFFSET ${p.add(query.offset ?? 0, 'bigint')}`

/** Every statement of the Postgres store, for tables in `schema`. Pure: builds text and values only. */
export function createPlans(schema: string) {
  assertSchemaName(schema)
  const s = quote(schema)
  const t = {
    migrations: `${s}.schema_migrations`,
    endpoints: `${s}.endpoints`,
    messages: `${s}.messages`,
    deliveries: `${s}.deliveries`,
    attempts: `${s}.attempts`,
    hooks: `${s}.incoming_hooks`,
    logs: `${s}.incoming_logs`,
    keys: `${s}.incoming_keys`,
  }
  const endpointCols = selectList(endpointCodec, 'e')
  const messageCols = selectList(messageCodec, 'm')
  const deliveryCols = selectList(deliveryCodec, 'd')
  // The request body whole again: head || message data || tail when stored apart (migration 12).
  const attemptCols = selectList(attemptCodec, 'a')
  const attemptReadCols = attemptCols.replace(
    'a."request_body" AS "request_body"',
    `CASE WHEN a.request_body_tail IS NULL THEN a."request_body" ELSE a."request_body" || md.data || a.request_body_tail END AS "request_body"`,
  )
  if (attemptReadCols === attemptCols) throw new Error('[hookline] [postgres] the attempts select list has no request_body column')
  const hookCols = selectList(incomingHookCodec, 'h')
  const logCols = selectList(incomingLogCodec, 'l')

  return {
    // ---- migrations -------------------------------------------------------------------------
    /** Transaction-scoped advisory lock serializing migrations of this schema. */
    advisoryLock: (key: bigint): Plan => ({ text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [key.toString()] }),
    /** Whether the schema exists (so `CREATE SCHEMA` is only attempted when needed). */
    schemaExists: (): Plan => ({ text: 'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS "exists"', values: [schema] }),
    /** Creates the schema. */
    createSchema: (): Plan => ({ text: `CREATE SCHEMA IF NOT EXISTS ${s}`, values: [] }),
    /** Creates the version table. */
    createMigrationsTable: (): Plan => ({
      text: `CREATE TABLE IF NOT EXISTS ${t.migrations} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      values: [],
    }),
    /** Highest applied version (fails when the table does not exist yet). */
    currentVersion: (): Plan => ({ text: `SELECT coalesce(max(version), 0)::int AS version FROM ${t.migrations}`, values: [] }),
    /** Records an applied version. */
    recordVersion: (version: number): Plan => ({ text: `INSERT INTO ${t.migrations} (version) VALUES ($1)`, values: [version] }),
    /** Starts listening on a channel (identifier quoted; channel names derive from the validated schema). */
    listen: (channel: string): Plan => ({ text: `LISTEN ${quote(channel)}`, values: [] }),
    /** Sends one wake-up on `channel`, as its own (autocommit) statement. */
    notify: (channel: string): Plan => ({ text: `SELECT pg_notify($1, '')`, values: [channel] }),

    // ---- endpoints --------------------------------------------------------------------------
    insertEndpoint: (e: Endpoint): Plan => insertRow(endpointCodec, t.endpoints, e),
    getEndpoint: (id: string): Plan => ({ text: `SELECT ${endpointCols} FROM ${t.endpoints} e WHERE e.id = $1`, values: [id] }),
    listEndpoints: (query: EndpointQuery): Plan => {
      const p = new Params()
      const where: string[] = []
      if (query.owner !== undefined) where.push(ownerIs(p, 'e.owner', query.owner))
      if (query.status !== undefined) where.push(`e.status = ${p.add(query.status)}`)
      const text =
        `SELECT ${endpointCols} FROM ${t.endpoints} e` +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY e.created_at, e.seq ${pageClause(p, query)}`
      return { text, values: p.values }
    },
    /** Replaces an endpoint; with `expected`, only while the stored row still equals it (compare-and-set). */
    updateEndpoint: (e: Endpoint, expected?: Endpoint): Plan => updateRow(endpointCodec, t.endpoints, e, expected),
    /**
     * Deletes the endpoint and, when it existed, its unfinished deliveries with the attempts this
     * statement sees; `ids` are the deleted deliveries, for {@link deleteAttemptsOf} (see there).
     */
    deleteEndpoint: (id: string): Plan => ({
      text:
        `WITH e AS (DELETE FROM ${t.endpoints} WHERE id = $1 RETURNING id), ` +
        `d AS (DELETE FROM ${t.deliveries} WHERE endpoint_id = $1 AND status NOT IN ('succeeded', 'dead') AND EXISTS (SELECT 1 FROM e) RETURNING id), ` +
        `a AS (DELETE FROM ${t.attempts} WHERE delivery_id IN (SELECT id FROM d) RETURNING 1) ` +
        `SELECT (SELECT count(*) FROM e)::int AS deleted, (SELECT count(*) FROM d)::int AS deliveries, ARRAY(SELECT id FROM d) AS ids`,
      values: [id],
    }),
    /**
     * Deletes the attempts of deliveries `deleteEndpoint` or `cleanupDeliveries` deleted, run next
     * in its transaction: an outcome write that held one of those deliveries (so the delete waited
     * for it, or locked it after it committed) committed its attempt after the delete's snapshot
     * was taken, and only a later statement sees it.
     * (Attempts have no foreign key to deliveries since migration 11, so no cascade does this.)
     */
    deleteAttemptsOf: (deliveryIds: readonly string[]): Plan => ({
      text: `DELETE FROM ${t.attempts} WHERE delivery_id = ANY($1::text[])`,
      values: [deliveryIds],
    }),

    // ---- messages and deliveries ------------------------------------------------------------
    /**
     * Inserts the message and its deliveries in one statement (so it is atomic on its own and joins a
     * host transaction when run on the host's client). Any unique conflict on the message (its id or
     * idempotency key) inserts nothing. When something was inserted and `channel` is given,
     * `pg_notify` queues a wake-up, delivered when the surrounding transaction commits. Only the
     * host-transaction path passes a channel: a transaction that notified holds a database-wide
     * lock through its commit, which serialises the commits of concurrent enqueues, so the pooled
     * path notifies after its commit instead, coalesced (see `createWakeNotifier`).
     */
    enqueue: (message: Message, deliveries: readonly Delivery[], channel: string | null): Plan => {
      const p = new Params()
      const row = messageCodec.encode(message)
      const values = messageCodec.columns.map(([name, kind]) => {
        const type = pgType(messageCodec, name, kind)
        return p.add(param(row[name] ?? null, type), type)
      })
      const rows = unnestRows(deliveryCodec, deliveries, p, 'u')
      const notify =
        channel === null
          ? `SELECT 1 WHERE false`
          : `SELECT pg_notify(${p.add(channel, 'text')}, '') WHERE EXISTS (SELECT 1 FROM d)`
      return {
        text:
          `WITH m AS (INSERT INTO ${t.messages} (${columnList(messageCodec)}) VALUES (${values.join(', ')}) ON CONFLICT DO NOTHING RETURNING id), ` +
          `d AS (INSERT INTO ${t.deliveries} (${columnList(deliveryCodec)}) SELECT * FROM ${rows} WHERE EXISTS (SELECT 1 FROM m) RETURNING id), ` +
          `n AS (${notify}) ` +
          `SELECT (SELECT count(*) FROM m)::int AS inserted, (SELECT count(*) FROM n)::int AS notified`,
        values: p.values,
      }
    },
    /**
     * Inserts many messages with their deliveries in one statement (the pooled path's group
     * commit). A message that conflicts (id or idempotency key, with a stored row or an earlier one
     * of the batch) is skipped with its deliveries; the statement returns the ids it inserted.
     * With a `channel` (a host transaction's `emitMany`), `pg_notify` queues one wake-up when any
     * delivery was inserted, sent at the host's commit.
     */
    enqueueMany: (items: readonly { message: Message; deliveries: readonly Delivery[] }[], channel: string | null = null): Plan => {
      const p = new Params()
      const messages = unnestRows(
        messageCodec,
        items.map((x) => x.message),
        p,
        'mm',
      )
      const deliveries = unnestRows(
        deliveryCodec,
        items.flatMap((x) => x.deliveries),
        p,
        'u',
      )
      return {
        text:
          `WITH m AS (INSERT INTO ${t.messages} (${columnList(messageCodec)}) SELECT * FROM ${messages} ON CONFLICT DO NOTHING RETURNING id), ` +
          `d AS (INSERT INTO ${t.deliveries} (${columnList(deliveryCodec)}) SELECT u.* FROM ${deliveries} WHERE u.message_id IN (SELECT id FROM m) RETURNING 1)` +
          (channel === null ? ' ' : `, n AS (SELECT pg_notify(${p.add(channel, 'text')}, '') WHERE EXISTS (SELECT 1 FROM d)) `) +
          (channel === null ? `SELECT m.id FROM m` : `SELECT m.id, (SELECT count(*) FROM n)::int AS notified FROM m`),
        values: p.values,
        // A named statement's generic plan assumes each unnest yields 100 rows (its default
        // estimate), good enough for group-commit batches of a few dozen; an emitMany of
        // hundreds or thousands is planned with its arrays, where planning costs ~1–5 µs a
        // message and the generic plan cost 15 µs more of backend CPU a message at 1 000
        // (bench/tools/emit-cost.ts, interleaved with single emits on the same connections).
        replan: items.length > UNNEST_ESTIMATE,
      }
    },
    getMessage: (id: string): Plan => ({ text: `SELECT ${messageCols} FROM ${t.messages} m WHERE m.id = $1`, values: [id] }),
    messageByIdempotencyKey: (key: string, owner: string | null): Plan => ({
      text: `SELECT ${messageCols} FROM ${t.messages} m WHERE m.idempotency_key = $1 AND coalesce(m.owner, '') = $2`,
      values: [pgText(key), pgText(owner ?? '')],
    }),
    deliveriesOfMessage: (messageId: string): Plan => ({
      text: `SELECT ${deliveryCols} FROM ${t.deliveries} d WHERE d.message_id = $1 ORDER BY d.seq`,
      values: [messageId],
    }),
    /**
     * Leases up to `limit` due deliveries in one statement: the CTE picks them oldest due first with
     * `FOR UPDATE SKIP LOCKED` (concurrent claimers skip each other's rows instead of waiting) by
     * walking `deliveries_claim_idx` in order, the UPDATE marks them `delivering`, and the final
     * SELECT joins their messages. Planned with its values every time (`replan`): a generic plan
     * cannot see how many rows are due, and one made from statistics that saw few would read and
     * sort every due delivery on each claim once a backlog builds up. The UPDATE finds its rows by
     * `id = ANY(ARRAY(…))`, an index lookup whatever the statistics say: as a join against the CTE,
     * a table of a few thousand rows got a hash join over a seq scan of all of them, every claim.
     */
    claim: (request: ClaimRequest): Plan => {
      const p = new Params()
      const now = p.add(ms(request.now), 'timestamptz')
      const excluded = p.add(request.excludeEndpointIds ?? [], 'text[]')
      const limit = p.add(request.limit, 'bigint')
      const worker = p.add(request.workerId, 'text')
      const until = p.add(ms(new Date(request.now.getTime() + request.leaseMs)), 'timestamptz')
      return {
        text:
          `WITH due AS (` +
          `SELECT id, ${DUE_AT} AS due_at, seq FROM ${t.deliveries} ` +
          `WHERE ${DUE_AT} <= ${now} AND NOT (endpoint_id = ANY(${excluded})) AND ${headOfLine(t.deliveries, now)} ` +
          `ORDER BY ${DUE_AT}, seq LIMIT ${limit} FOR UPDATE SKIP LOCKED), ` +
          `claimed AS (UPDATE ${t.deliveries} x SET status = 'delivering', locked_by = ${worker}, locked_until = ${until}, updated_at = ${now} ` +
          `WHERE x.id = ANY(ARRAY(SELECT id FROM due)) RETURNING x.*) ` +
          `SELECT ${selectList(deliveryCodec, 'd')}, ${selectList(messageCodec, 'm', MESSAGE_PREFIX)} ` +
          `FROM claimed d JOIN due ON due.id = d.id JOIN ${t.messages} m ON m.id = d.message_id ` +
          `ORDER BY due.due_at, due.seq`,
        values: p.values,
        replan: true,
      }
    },
    /**
     * Records a batch of outcomes in one statement: the state is written only where the outcome's
     * worker still holds the lease; every attempt is inserted (idempotently, so a retried batch
     * cannot duplicate them) as long as its delivery still exists (see `live`: one endpoint's
     * deletion never fails another endpoint's outcome). Both look deliveries up by
     * `id = ANY(ARRAY(SELECT …))`: an array the planner cannot see into, so it plans a lookup of a
     * few ids and takes the primary key. As a join, the planner (at the default
     * `random_page_cost`) chose a seq scan of a table of a few thousand deliveries for every batch.
     * The batch is one `json` parameter read by `json_to_recordset`, one row per outcome (see
     * {@link outcomeRows}): the client serialises it with one native `JSON.stringify` instead of
     * escaping every element of two dozen text arrays (`bench/tools/outcome-write-cost.ts`: client
     * CPU −20 %, the backend's the same as with `unnest`).
     */
    complete: (outcomes: readonly DeliveryOutcome[], dataOf: (deliveryId: string) => string | undefined = () => undefined): Plan => ({
      text:
        `WITH o AS (SELECT * FROM json_to_recordset($1::json) AS o(${OUTCOME_ROW})), ` +
        // The batch's deliveries, locked first (in id order) and held until this commits. A
        // delete committed while this statement runs (deleteEndpoint, cleanup) is waited for and
        // its rows are skipped here, so the attempts below are inserted only for deliveries that
        // still exist: such a delete never fails an attempt's foreign key check, and with it the
        // whole batch (other endpoints' outcomes included). Locked before the update, not by
        // the insert: a row this statement has updated can no longer be locked by it.
        `live AS (SELECT x.id FROM ${t.deliveries} x WHERE x.id = ANY(ARRAY(SELECT o.d FROM o)) ORDER BY x.id FOR NO KEY UPDATE OF x), ` +
        `upd AS (UPDATE ${t.deliveries} d SET status = o.s, attempts = o.n, next_attempt_at = ${fromEpoch('o.na')}, ` +
        `last_status_code = o.c, last_error = o.e, completed_at = ${fromEpoch('o.ca')}, updated_at = ${fromEpoch('o.u')}, ` +
        `locked_by = NULL, locked_until = NULL ` +
        `FROM o WHERE d.id = ANY(ARRAY(SELECT id FROM live)) AND d.id = o.d AND d.status = 'delivering' AND d.locked_by = o.w RETURNING d.id), ` +
        // The request body as sent without its message's data: head and tail (see migration 12).
        `ins AS (INSERT INTO ${t.attempts} (${columnList(attemptCodec)}, request_body_tail) ` +
        `SELECT o.ai, o.ad, o.ae, o.an, o.at, o.au, o.am, o.rh, o.bh, ` +
        `o.rs, o.rb, o.rx, o.er, o.ok, o.ms, ${fromEpoch('o.st')}, o.bt ` +
        `FROM o JOIN live ON live.id = o.ad WHERE o.ai IS NOT NULL ON CONFLICT (id) DO NOTHING RETURNING id) ` +
        `SELECT (SELECT count(*) FROM upd)::int AS updated, (SELECT count(*) FROM ins)::int AS inserted`,
      values: [outcomeRows(outcomes, dataOf)],
      replan: true,
    }),
    release: (ids: readonly string[], workerId: string, now: Date): Plan => ({
      text:
        `UPDATE ${t.deliveries} SET status = 'pending', locked_by = NULL, locked_until = NULL, next_attempt_at = $3, updated_at = $3 ` +
        `WHERE id = ANY($1::text[]) AND status = 'delivering' AND locked_by = $2`,
      values: [ids, workerId, ms(now)],
    }),
    nextDueAt: (): Plan => ({
      text: `SELECT (extract(epoch from min(${DUE_AT})) * 1000)::float8 AS due_at FROM ${t.deliveries} WHERE ${DUE_AT} IS NOT NULL`,
      values: [],
    }),
    getDelivery: (id: string): Plan => ({ text: `SELECT ${deliveryCols} FROM ${t.deliveries} d WHERE d.id = $1`, values: [id] }),
    listDeliveries: (query: DeliveryQuery): Plan => {
      const p = new Params()
      const where: string[] = []
      if (query.endpointId !== undefined) where.push(`d.endpoint_id = ${p.add(query.endpointId)}`)
      if (query.owner !== undefined) where.push(`d.endpoint_id IN (SELECT e.id FROM ${t.endpoints} e WHERE ${ownerIs(p, 'e.owner', query.owner)})`)
      if (query.messageId !== undefined) where.push(`d.message_id = ${p.add(query.messageId)}`)
      if (query.status !== undefined) {
        const statuses = Array.isArray(query.status) ? query.status : [query.status]
        where.push(`d.status = ANY(${p.add(statuses, 'text[]')})`)
      }
      if (query.since !== undefined) where.push(`d.created_at >= ${p.add(ms(query.since), 'timestamptz')}`)
      if (query.until !== undefined) where.push(`d.created_at < ${p.add(ms(query.until), 'timestamptz')}`)
      const text =
        `SELECT ${deliveryCols} FROM ${t.deliveries} d` +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY d.created_at DESC, d.seq DESC ${pageClause(p, query)}`
      return { text, values: p.values }
    },
    /** Makes a delivery due at `at` unless a live lease holds it; returns the row when it did. */
    requeueDelivery: (id: string, at: Date, now: Date): Plan => ({
      text:
        `UPDATE ${t.deliveries} d SET status = 'pending', next_attempt_at = $2, locked_by = NULL, locked_until = NULL, completed_at = NULL, updated_at = $3 ` +
        `WHERE d.id = $1 AND (d.status <> 'delivering' OR d.locked_until IS NULL OR d.locked_until <= $3) RETURNING ${deliveryCols}`,
      values: [id, ms(at), ms(now)],
    }),
    replayDeliveries: (request: ReplayRequest): Plan => {
      const p = new Params()
      const at = p.add(ms(request.at), 'timestamptz')
      const where = [`status = ANY(${p.add(request.statuses ?? ['dead', 'failed'], 'text[]')})`, `status <> 'delivering'`]
      if (request.endpointId !== undefined) where.push(`endpoint_id = ${p.add(request.endpointId)}`)
      if (request.owner !== undefined) where.push(`endpoint_id IN (SELECT e.id FROM ${t.endpoints} e WHERE ${ownerIs(p, 'e.owner', request.owner)})`)
      if (request.since !== undefined) where.push(`created_at >= ${p.add(ms(request.since), 'timestamptz')}`)
      if (request.until !== undefined) where.push(`created_at < ${p.add(ms(request.until), 'timestamptz')}`)
      return {
        text: `UPDATE ${t.deliveries} SET status = 'pending', next_attempt_at = ${at}, completed_at = NULL, updated_at = ${at} WHERE ${where.join(' AND ')}`,
        values: p.values,
      }
    },
    /**
     * The attempts of a delivery in order; a request body stored without its message's data
     * (`request_body_tail` not NULL, see migration 12) comes back whole, the data's exact text
     * put back between head and tail (the delivery's message, looked up once by primary keys).
     */
    listAttempts: (deliveryId: string): Plan => ({
      text:
        `SELECT ${attemptReadCols} FROM ${t.attempts} a ` +
        `LEFT JOIN LATERAL (SELECT m.data::text AS data FROM ${t.deliveries} d JOIN ${t.messages} m ON m.id = d.message_id ` +
        `WHERE d.id = a.delivery_id AND a.request_body_tail IS NOT NULL) md ON true ` +
        `WHERE a.delivery_id = $1 ORDER BY a.seq`,
      values: [deliveryId],
    }),
    /**
     * Per-status counts and attempt aggregates of an endpoint. `percentile_disc(0.95)` is the
     * nearest-rank percentile, the definition `summarizeStats` uses.
     */
    stats: (endpointId: string, since: Date | undefined): Plan => {
      const p = new Params()
      const where = [`d.endpoint_id = ${p.add(endpointId)}`]
      if (since !== undefined) where.push(`d.created_at >= ${p.add(ms(since), 'timestamptz')}`)
      const filter = where.join(' AND ')
      return {
        text:
          `SELECT c.*, a.* FROM (SELECT ` +
          `count(*) FILTER (WHERE d.status = 'pending')::int AS pending, ` +
          `count(*) FILTER (WHERE d.status = 'delivering')::int AS delivering, ` +
          `count(*) FILTER (WHERE d.status = 'succeeded')::int AS succeeded, ` +
          `count(*) FILTER (WHERE d.status = 'failed')::int AS failed, ` +
          `count(*) FILTER (WHERE d.status = 'dead')::int AS dead ` +
          `FROM ${t.deliveries} d WHERE ${filter}) c, (SELECT ` +
          `count(*)::int AS attempt_count, coalesce(sum(x.duration_ms), 0)::float8 AS duration_sum, ` +
          `percentile_disc(0.95) WITHIN GROUP (ORDER BY x.duration_ms)::float8 AS duration_p95, ` +
          `(extract(epoch from max(x.started_at)) * 1000)::float8 AS last_attempt_at ` +
          `FROM ${t.attempts} x JOIN ${t.deliveries} d ON d.id = x.delivery_id WHERE ${filter}) a`,
        values: p.values,
      }
    },

    /** Requests per status of a hook's log (with their summed handling time and latest arrival), and the p95. */
    incomingStats: (hookId: string, since: Date | undefined): Plan => {
      const p = new Params()
      const where = [`l.hook_id = ${p.add(hookId)}`]
      if (since !== undefined) where.push(`l.received_at >= ${p.add(ms(since), 'timestamptz')}`)
      const filter = where.join(' AND ')
      return {
        text:
          `SELECT s.status, s.n, s.total, s.last, q.p95 FROM (SELECT l.status, count(*)::int AS n, coalesce(sum(l.duration_ms), 0)::float8 AS total, ` +
          `(extract(epoch from max(l.received_at)) * 1000)::float8 AS last FROM ${t.logs} l WHERE ${filter} GROUP BY l.status) s, ` +
          `(SELECT percentile_disc(0.95) WITHIN GROUP (ORDER BY l.duration_ms)::float8 AS p95 FROM ${t.logs} l WHERE ${filter}) q ` +
          `ORDER BY s.status`,
        values: p.values,
      }
    },

    // ---- retention --------------------------------------------------------------------------
    /**
     * Deletes up to `batchSize` finished deliveries completed before `before`, with the attempts
     * this statement sees; `ids` are the deleted deliveries, for {@link deleteAttemptsOf}, run next
     * in the same transaction for an attempt committed after this statement's snapshot was taken.
     */
    cleanupDeliveries: (before: Date, batchSize: number): Plan => ({
      text:
        `WITH doomed AS (SELECT id FROM ${t.deliveries} WHERE status IN ('succeeded', 'dead') AND completed_at < $1 ` +
        `ORDER BY completed_at LIMIT $2 FOR UPDATE SKIP LOCKED), ` +
        `a AS (DELETE FROM ${t.attempts} WHERE delivery_id IN (SELECT id FROM doomed) RETURNING 1), ` +
        `d AS (DELETE FROM ${t.deliveries} WHERE id IN (SELECT id FROM doomed) RETURNING id) ` +
        `SELECT (SELECT count(*) FROM d)::int AS deliveries, (SELECT count(*) FROM a)::int AS attempts, ARRAY(SELECT id FROM d) AS ids`,
      values: [ms(before), batchSize],
    }),
    /** Deletes up to `batchSize` messages created before `before` that have no deliveries left. */
    cleanupMessages: (before: Date, batchSize: number): Plan => ({
      text:
        `DELETE FROM ${t.messages} WHERE id IN (SELECT m.id FROM ${t.messages} m WHERE m.created_at < $1 ` +
        `AND NOT EXISTS (SELECT 1 FROM ${t.deliveries} d WHERE d.message_id = m.id) ` +
        `ORDER BY m.created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      values: [ms(before), batchSize],
    }),
    /** Deletes up to `batchSize` incoming logs received before `before`. */
    cleanupIncomingLogs: (before: Date, batchSize: number): Plan => ({
      text: `DELETE FROM ${t.logs} WHERE id IN (SELECT id FROM ${t.logs} WHERE received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      values: [ms(before), batchSize],
    }),
    /** Deletes up to `batchSize` dedupe keys that expired before `before`. */
    cleanupIncomingKeys: (before: Date, batchSize: number): Plan => ({
      text:
        `DELETE FROM ${t.keys} WHERE (hook_id, key) IN (SELECT hook_id, key FROM ${t.keys} WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      values: [ms(before), batchSize],
    }),

    // ---- incoming hooks ---------------------------------------------------------------------
    insertIncomingHook: (h: IncomingHook): Plan => insertRow(incomingHookCodec, t.hooks, h),
    getIncomingHook: (id: string): Plan => ({ text: `SELECT ${hookCols} FROM ${t.hooks} h WHERE h.id = $1`, values: [id] }),
    findIncomingHookByTokenHash: (tokenHash: string): Plan => ({
      text: `SELECT ${hookCols} FROM ${t.hooks} h WHERE h.token_hash = $1`,
      values: [tokenHash],
    }),
    listIncomingHooks: (query: IncomingHookQuery): Plan => {
      const p = new Params()
      const where = query.owner !== undefined ? ` WHERE ${ownerIs(p, 'h.owner', query.owner)}` : ''
      return {
        text: `SELECT ${hookCols} FROM ${t.hooks} h${where} ORDER BY h.created_at, h.seq ${pageClause(p, query)}`,
        values: p.values,
      }
    },
    /** Replaces a hook; with `expected`, only while the stored row still equals it (compare-and-set). */
    updateIncomingHook: (h: IncomingHook, expected?: IncomingHook): Plan => updateRow(incomingHookCodec, t.hooks, h, expected),
    /** Deletes a hook with its logs and dedupe keys. */
    deleteIncomingHook: (id: string): Plan => ({
      text:
        `WITH h AS (DELETE FROM ${t.hooks} WHERE id = $1 RETURNING id), ` +
        `l AS (DELETE FROM ${t.logs} WHERE hook_id = $1 RETURNING 1), ` +
        `k AS (DELETE FROM ${t.keys} WHERE hook_id = $1 RETURNING 1) ` +
        `SELECT (SELECT count(*) FROM h)::int AS deleted, (SELECT count(*) FROM l)::int AS logs, (SELECT count(*) FROM k)::int AS keys`,
      values: [id],
    }),
    insertIncomingLog: (l: IncomingLog): Plan => insertRow(incomingLogCodec, t.logs, l),
    listIncomingLogs: (hookId: string, query: PageQuery): Plan => {
      const p = new Params()
      const hook = p.add(hookId)
      return {
        text: `SELECT ${logCols} FROM ${t.logs} l WHERE l.hook_id = ${hook} ORDER BY l.received_at DESC, l.seq DESC ${pageClause(p, query)}`,
        values: p.values,
      }
    },
    /** Inserts the key, or renews it when its earlier record expired; returns a row only in those cases. */
    rememberIncomingKey: (hookId: string, key: string, now: Date, expiresAt: Date): Plan => ({
      text:
        `INSERT INTO ${t.keys} AS k (hook_id, key, expires_at) VALUES ($1, $2, $4) ` +
        `ON CONFLICT (hook_id, key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE k.expires_at <= $3 RETURNING 1`,
      values: [hookId, key, ms(now), ms(expiresAt)],
    }),
  }
}

/** The statement builders of one schema. */
export type PostgresPlans = ReturnType<typeof createPlans>
