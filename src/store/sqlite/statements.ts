import {
  attemptCodec,
  deliveryCodec,
  endpointCodec,
  incomingHookCodec,
  incomingLogCodec,
  messageCodec,
  type NeutralValue,
  type TableCodec,
} from '../sql/codec.js'

/**
 * Every SQL statement of the SQLite store. Values are always bound as named parameters
 * (`@name`); lists (ids, statuses, excluded endpoints) are bound as one JSON array and read with
 * `json_each`, so each statement has a fixed text and is prepared once.
 */

/** A value better-sqlite3 can bind. */
export type SqliteValue = string | number | bigint | Buffer | null

/** Neutral column values → bindable ones: dates as ms, booleans as 0/1. */
export function bindable(row: Record<string, NeutralValue>): Record<string, SqliteValue> {
  const out: Record<string, SqliteValue> = {}
  for (const [key, value] of Object.entries(row)) {
    out[key] = value instanceof Date ? value.getTime() : typeof value === 'boolean' ? (value ? 1 : 0) : value
  }
  return out
}

const quote = (name: string): string => `"${name}"`
const columns = (codec: TableCodec<unknown>): string => codec.columns.map(([n]) => quote(n)).join(', ')
const params = (codec: TableCodec<unknown>): string => codec.columns.map(([n]) => `@${n}`).join(', ')
const insert = (codec: TableCodec<unknown>, suffix = ''): string =>
  `INSERT INTO ${codec.table} (${columns(codec)}) VALUES (${params(codec)})${suffix}`
const update = (codec: TableCodec<unknown>): string =>
  `UPDATE ${codec.table} SET ${codec.columns
    .filter(([n]) => n !== 'id')
    .map(([n]) => `${quote(n)} = @${n}`)
    .join(', ')} WHERE id = @id`

/**
 * `update` as a compare-and-set: only while every column still holds the value bound as
 * `@was_<column>` (`IS`: NULL equals NULL). See `compareAndSetParams`.
 */
const updateIfUnchanged = (codec: TableCodec<unknown>): string =>
  `${update(codec)} AND ${codec.columns
    .filter(([n]) => n !== 'id')
    .map(([n]) => `${quote(n)} IS @was_${n}`)
    .join(' AND ')}`

/** Parameters of an `updateIfUnchanged` statement: the new row, and the expected one as `was_<column>`. */
export function compareAndSetParams<T>(codec: TableCodec<T>, record: T, expected: T): Record<string, SqliteValue> {
  const params = bindable(codec.encode(record))
  for (const [key, value] of Object.entries(bindable(codec.encode(expected)))) if (key !== 'id') params[`was_${key}`] = value
  return params
}

/** Due time of a claimable delivery; the exact expression of the `deliveries_due_idx` index. */
const DUE_AT = `(CASE WHEN status = 'delivering' THEN locked_until ELSE next_attempt_at END)`
const CLAIMABLE = `status IN ('pending', 'failed', 'delivering')`

/**
 * Head-of-line condition of a claimable delivery: an unordered one (`ordering_key IS NULL`) always
 * passes; a fifo one only while no older unfinished delivery of its line exists and no other one
 * of its line holds a live lease. Each `NOT EXISTS` is one probe of a partial index of migration 8.
 */
const LINE = `o.endpoint_id = deliveries.endpoint_id AND o.ordering_key = deliveries.ordering_key`
const HEAD_OF_LINE =
  `(ordering_key IS NULL OR (` +
  `NOT EXISTS (SELECT 1 FROM deliveries o WHERE ${LINE} AND o.status IN ('pending', 'failed', 'delivering') AND o.rowid < deliveries.rowid) AND ` +
  `NOT EXISTS (SELECT 1 FROM deliveries o WHERE ${LINE} AND o.status = 'delivering' AND o.id <> deliveries.id AND o.locked_until > @now)))`

/** Fixed statements, prepared once per store. */
export const sqliteStatements = {
  userVersion: 'PRAGMA user_version',

  insertEndpoint: insert(endpointCodec),
  getEndpoint: 'SELECT * FROM endpoints WHERE id = @id',
  updateEndpoint: update(endpointCodec),
  updateEndpointIfUnchanged: updateIfUnchanged(endpointCodec),
  deleteEndpoint: 'DELETE FROM endpoints WHERE id = @id',
  deleteUnfinishedAttemptsOfEndpoint: `DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE endpoint_id = @id AND status NOT IN ('succeeded', 'dead'))`,
  deleteUnfinishedDeliveriesOfEndpoint: `DELETE FROM deliveries WHERE endpoint_id = @id AND status NOT IN ('succeeded', 'dead')`,

  /** Inserts a message unless its id or idempotency key is already stored (`changes` = 0 then). */
  insertMessage: insert(messageCodec, ' ON CONFLICT DO NOTHING'),
  getMessage: 'SELECT * FROM messages WHERE id = @id',
  messageByIdempotencyKey: "SELECT * FROM messages WHERE idempotency_key = @key AND coalesce(owner, '') = @owner",
  insertDelivery: insert(deliveryCodec),
  deliveriesOfMessage: 'SELECT * FROM deliveries WHERE message_id = @id ORDER BY rowid',

  /** Due deliveries, oldest due first (run inside the IMMEDIATE claim transaction). */
  dueDeliveries:
    `SELECT id FROM deliveries WHERE ${CLAIMABLE} AND ${DUE_AT} <= @now ` +
    `AND endpoint_id NOT IN (SELECT value FROM json_each(@excluded)) AND ${HEAD_OF_LINE} ` +
    `ORDER BY ${DUE_AT}, rowid LIMIT @limit`,
  leaseDelivery:
    `UPDATE deliveries SET status = 'delivering', locked_by = @worker, locked_until = @until, updated_at = @now WHERE id = @id RETURNING *`,
  /** Writes an outcome only while the outcome's worker still holds the lease. */
  completeDelivery:
    `UPDATE deliveries SET status = @status, attempts = @attempts, next_attempt_at = @next_attempt_at, ` +
    `last_status_code = @last_status_code, last_error = @last_error, completed_at = @completed_at, updated_at = @updated_at, ` +
    `locked_by = NULL, locked_until = NULL ` +
    `WHERE id = @delivery_id AND status = 'delivering' AND locked_by = @worker_id`,
  /** Stores an attempt (once, and only while its delivery exists). */
  insertAttempt:
    `INSERT INTO attempts (${columns(attemptCodec)}) SELECT ${params(attemptCodec)} ` +
    `WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = @delivery_id) ON CONFLICT (id) DO NOTHING`,
  release:
    `UPDATE deliveries SET status = 'pending', locked_by = NULL, locked_until = NULL, next_attempt_at = @now, updated_at = @now ` +
    `WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'delivering' AND locked_by = @worker`,
  nextDueAt: `SELECT min(${DUE_AT}) AS due_at FROM deliveries WHERE ${CLAIMABLE}`,
  getDelivery: 'SELECT * FROM deliveries WHERE id = @id',
  requeueDelivery:
    `UPDATE deliveries SET status = 'pending', next_attempt_at = @at, locked_by = NULL, locked_until = NULL, completed_at = NULL, updated_at = @now ` +
    `WHERE id = @id AND (status <> 'delivering' OR locked_until IS NULL OR locked_until <= @now) RETURNING *`,
  listAttempts: 'SELECT * FROM attempts WHERE delivery_id = @id ORDER BY rowid',

  statusCounts: `SELECT status, count(*) AS n FROM deliveries WHERE endpoint_id = @endpoint AND created_at >= @since GROUP BY status`,
  attemptAggregates:
    `SELECT count(*) AS n, total(a.duration_ms) AS total, max(a.started_at) AS last FROM attempts a ` +
    `JOIN deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = @endpoint AND d.created_at >= @since`,
  /** The duration at a given rank (the nearest-rank p95 when `@offset` = ceil(0.95 n) − 1). */
  attemptDurationAt:
    `SELECT a.duration_ms AS d FROM attempts a JOIN deliveries d ON d.id = a.delivery_id ` +
    `WHERE d.endpoint_id = @endpoint AND d.created_at >= @since ORDER BY a.duration_ms LIMIT 1 OFFSET @offset`,

  finishedBatch: `SELECT id FROM deliveries WHERE status IN ('succeeded', 'dead') AND completed_at < @before ORDER BY completed_at LIMIT @limit`,
  deleteAttemptsOf: 'DELETE FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(@ids))',
  deleteDeliveries: 'DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(@ids))',
  deleteOrphanMessages:
    `DELETE FROM messages WHERE id IN (SELECT m.id FROM messages m WHERE m.created_at < @before ` +
    `AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id) ORDER BY m.created_at LIMIT @limit)`,
  deleteOldLogs: 'DELETE FROM incoming_logs WHERE id IN (SELECT id FROM incoming_logs WHERE received_at < @before LIMIT @limit)',
  deleteExpiredKeys: 'DELETE FROM incoming_keys WHERE rowid IN (SELECT rowid FROM incoming_keys WHERE expires_at < @before LIMIT @limit)',

  insertIncomingHook: insert(incomingHookCodec),
  getIncomingHook: 'SELECT * FROM incoming_hooks WHERE id = @id',
  incomingHookByTokenHash: 'SELECT * FROM incoming_hooks WHERE token_hash = @hash',
  updateIncomingHook: update(incomingHookCodec),
  updateIncomingHookIfUnchanged: updateIfUnchanged(incomingHookCodec),
  deleteIncomingHook: 'DELETE FROM incoming_hooks WHERE id = @id',
  deleteLogsOfHook: 'DELETE FROM incoming_logs WHERE hook_id = @id',
  deleteKeysOfHook: 'DELETE FROM incoming_keys WHERE hook_id = @id',
  insertIncomingLog: insert(incomingLogCodec),
  listIncomingLogs: 'SELECT * FROM incoming_logs WHERE hook_id = @hook ORDER BY received_at DESC, rowid DESC LIMIT @limit OFFSET @offset',
  incomingStatusCounts:
    'SELECT status, count(*) AS n, total(duration_ms) AS total, max(received_at) AS last FROM incoming_logs ' +
    'WHERE hook_id = @hook AND received_at >= @since GROUP BY status',
  /** The handling time at a given rank (the nearest-rank p95 when `@offset` = ceil(0.95 n) − 1). */
  incomingDurationAt:
    'SELECT duration_ms AS d FROM incoming_logs WHERE hook_id = @hook AND received_at >= @since ORDER BY duration_ms LIMIT 1 OFFSET @offset',
  /** Inserts the key or renews an expired one; `changes` = 1 exactly in those cases. */
  rememberIncomingKey:
    `INSERT INTO incoming_keys (hook_id, key, expires_at) VALUES (@hook, @key, @expires) ` +
    `ON CONFLICT (hook_id, key) DO UPDATE SET expires_at = excluded.expires_at WHERE incoming_keys.expires_at <= @now`,
} as const

/** Names of the fixed statements. */
export type SqliteStatementName = keyof typeof sqliteStatements

/** `SELECT` of endpoints with the given filters present (`@owner`, `@status`), oldest first, paged. */
export function listEndpointsSql(shape: { owner: boolean; status: boolean }): string {
  const where: string[] = []
  if (shape.owner) where.push('owner IS @owner')
  if (shape.status) where.push('status = @status')
  return `SELECT * FROM endpoints${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, rowid LIMIT @limit OFFSET @offset`
}

/** `SELECT` of deliveries with the given filters present, newest first, paged. `@statuses` is a JSON array. */
/** Deliveries to the endpoints of `@owner` (`NULL`: endpoints without one). */
const OWNED_BY = 'endpoint_id IN (SELECT id FROM endpoints WHERE owner IS @owner)'

export function listDeliveriesSql(shape: { endpointId: boolean; owner: boolean; messageId: boolean; status: boolean; since: boolean; until: boolean }): string {
  const where: string[] = []
  if (shape.endpointId) where.push('endpoint_id = @endpointId')
  if (shape.owner) where.push(OWNED_BY)
  if (shape.messageId) where.push('message_id = @messageId')
  if (shape.status) where.push('status IN (SELECT value FROM json_each(@statuses))')
  if (shape.since) where.push('created_at >= @since')
  if (shape.until) where.push('created_at < @until')
  return `SELECT * FROM deliveries${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT @limit OFFSET @offset`
}

/** `UPDATE` that replays matching, unleased deliveries at `@at`. `@statuses` is a JSON array. */
export function replayDeliveriesSql(shape: { endpointId: boolean; owner: boolean; since: boolean; until: boolean }): string {
  const where = [`status IN (SELECT value FROM json_each(@statuses))`, `status <> 'delivering'`]
  if (shape.endpointId) where.push('endpoint_id = @endpointId')
  if (shape.owner) where.push(OWNED_BY)
  if (shape.since) where.push('created_at >= @since')
  if (shape.until) where.push('created_at < @until')
  return `UPDATE deliveries SET status = 'pending', next_attempt_at = @at, completed_at = NULL, updated_at = @at WHERE ${where.join(' AND ')}`
}

/** `SELECT` of incoming hooks, optionally of one owner, oldest first, paged. */
export function listIncomingHooksSql(shape: { owner: boolean }): string {
  return `SELECT * FROM incoming_hooks${shape.owner ? ' WHERE owner IS @owner' : ''} ORDER BY created_at, rowid LIMIT @limit OFFSET @offset`
}
