import type {
  Attempt,
  Delivery,
  Endpoint,
  EndpointSecret,
  IncomingHook,
  IncomingLog,
  Message,
} from '../../types.js'
import { dataJson, rememberDataJson } from '../../util/data-json.js'

/**
 * How a column is stored. Each SQL backend maps the kinds to its own types:
 * `time` is INTEGER ms in SQLite and `timestamptz` in Postgres, `json` is TEXT in SQLite and
 * `jsonb` (or `json` for message data) in Postgres, `bool` is INTEGER 0/1 in SQLite.
 */
export type ColumnKind = 'text' | 'int' | 'real' | 'bool' | 'time' | 'json'

/**
 * A column value before the backend converts it: JSON columns are already serialized text, times
 * are `Date`s, booleans are booleans.
 */
export type NeutralValue = string | number | boolean | Date | null

/** A row as either backend returns it: times as ms numbers, JSON as text, booleans as 0/1 or booleans. */
export type SqlRow = Record<string, unknown>

/** Column layout and conversions of one table, shared by the SQLite and Postgres stores. */
export interface TableCodec<T> {
  /** Table name (unqualified). */
  readonly table: string
  /** Columns in insert order, with their kinds. */
  readonly columns: readonly (readonly [name: string, kind: ColumnKind])[]
  /** Record → column values keyed by column name. */
  encode(record: T): Record<string, NeutralValue>
  /** Row (as selected by the backend) → record. */
  decode(row: SqlRow): T
}

const json = (value: unknown): string => JSON.stringify(value) ?? 'null'
const jsonOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : json(value))

/** Parses a JSON column. The drivers are asked for text so that a JSON string value is never parsed twice. */
function parseJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

function parseJsonOrNull<T>(value: unknown): T | null {
  return value === null || value === undefined ? null : parseJson<T>(value)
}

/** A time column (ms since the epoch, as a number, numeric string or Date) → `Date`. */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return new Date(value.getTime())
  return new Date(Math.round(Number(value)))
}

function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value)
}

const str = (value: unknown): string => String(value)
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value))
const num = (value: unknown): number => Number(value)
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value))
const bool = (value: unknown): boolean => value === true || value === 1 || value === 1n || value === 't'

interface StoredSecret {
  secret: string
  createdAt: number
  expiresAt: number | null
}

const encodeSecrets = (secrets: EndpointSecret[]): string =>
  json(
    secrets.map<StoredSecret>((s) => ({
      secret: s.secret,
      createdAt: s.createdAt.getTime(),
      expiresAt: s.expiresAt === null ? null : s.expiresAt.getTime(),
    })),
  )

const decodeSecrets = (value: unknown): EndpointSecret[] =>
  parseJson<StoredSecret[]>(value).map((s) => ({
    secret: s.secret,
    createdAt: new Date(s.createdAt),
    expiresAt: s.expiresAt === null ? null : new Date(s.expiresAt),
  }))

/** `endpoints` table. */
export const endpointCodec: TableCodec<Endpoint> = {
  table: 'endpoints',
  columns: [
    ['id', 'text'],
    ['owner', 'text'],
    ['name', 'text'],
    ['description', 'text'],
    ['url', 'text'],
    ['method', 'text'],
    ['events', 'json'],
    ['filters', 'json'],
    ['headers', 'json'],
    ['auth', 'json'],
    ['signature_scheme', 'text'],
    ['signature_prefix', 'text'],
    ['secrets', 'json'],
    ['status', 'text'],
    ['disabled_reason', 'text'],
    ['timeout_ms', 'int'],
    ['retry_policy', 'json'],
    ['rate_limit', 'json'],
    ['concurrency', 'int'],
    ['metadata', 'json'],
    ['failing_since', 'time'],
    ['created_at', 'time'],
    ['updated_at', 'time'],
    ['tls', 'json'],
    ['proxy', 'text'],
    ['rotation_signatures', 'text'],
    ['ordering', 'text'],
    ['ordering_key', 'text'],
  ],
  encode: (e) => ({
    id: e.id,
    owner: e.owner,
    name: e.name,
    description: e.description,
    url: e.url,
    method: e.method,
    events: json(e.events),
    filters: jsonOrNull(e.filters),
    headers: json(e.headers),
    auth: jsonOrNull(e.auth),
    signature_scheme: e.signatureScheme,
    signature_prefix: e.signaturePrefix,
    secrets: encodeSecrets(e.secrets),
    status: e.status,
    disabled_reason: e.disabledReason,
    timeout_ms: e.timeoutMs,
    retry_policy: jsonOrNull(e.retryPolicy),
    rate_limit: jsonOrNull(e.rateLimit),
    concurrency: e.concurrency,
    metadata: json(e.metadata),
    failing_since: e.failingSince,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
    tls: jsonOrNull(e.tls),
    proxy: e.proxy,
    rotation_signatures: e.rotationSignatures,
    ordering: e.ordering,
    ordering_key: e.orderingKey,
  }),
  decode: (r) => ({
    id: str(r.id),
    owner: strOrNull(r.owner),
    name: str(r.name),
    description: strOrNull(r.description),
    url: str(r.url),
    method: str(r.method) as Endpoint['method'],
    events: parseJson<string[]>(r.events),
    filters: parseJsonOrNull<Endpoint['filters']>(r.filters),
    headers: parseJson<Record<string, string>>(r.headers),
    auth: parseJsonOrNull<Endpoint['auth']>(r.auth),
    signatureScheme: str(r.signature_scheme) as Endpoint['signatureScheme'],
    signaturePrefix: strOrNull(r.signature_prefix ?? null),
    secrets: decodeSecrets(r.secrets),
    status: str(r.status) as Endpoint['status'],
    disabledReason: strOrNull(r.disabled_reason),
    timeoutMs: numOrNull(r.timeout_ms),
    retryPolicy: parseJsonOrNull<Endpoint['retryPolicy']>(r.retry_policy),
    rateLimit: parseJsonOrNull<Endpoint['rateLimit']>(r.rate_limit),
    concurrency: numOrNull(r.concurrency),
    metadata: parseJson<Record<string, unknown>>(r.metadata),
    failingSince: toDateOrNull(r.failing_since),
    tls: parseJsonOrNull<Endpoint['tls']>(r.tls),
    proxy: strOrNull(r.proxy),
    rotationSignatures: (strOrNull(r.rotation_signatures ?? null) ?? 'all') as Endpoint['rotationSignatures'],
    ordering: (strOrNull(r.ordering ?? null) ?? 'unordered') as Endpoint['ordering'],
    orderingKey: strOrNull(r.ordering_key ?? null),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  }),
}

/** `messages` table. `data` is stored as the exact text of `JSON.stringify(data)`. */
export const messageCodec: TableCodec<Message> = {
  table: 'messages',
  columns: [
    ['id', 'text'],
    ['event', 'text'],
    ['data', 'json'],
    ['metadata', 'json'],
    ['idempotency_key', 'text'],
    ['owner', 'text'],
    ['created_at', 'time'],
  ],
  encode: (m) => ({
    id: m.id,
    event: m.event,
    data: dataJson(m),
    metadata: jsonOrNull(m.metadata),
    idempotency_key: m.idempotencyKey,
    owner: m.owner,
    created_at: m.createdAt,
  }),
  decode: (r) => {
    const message: Message = {
      id: str(r.id),
      event: str(r.event),
      data: parseJson<unknown>(r.data),
      metadata: parseJsonOrNull<Record<string, unknown>>(r.metadata),
      idempotencyKey: strOrNull(r.idempotency_key),
      owner: strOrNull(r.owner),
      createdAt: toDate(r.created_at),
    }
    // The column holds the exact JSON text the payload was written as: the envelope reuses it.
    if (typeof r.data === 'string') rememberDataJson(message, r.data)
    return message
  },
}

/** `deliveries` table. */
export const deliveryCodec: TableCodec<Delivery> = {
  table: 'deliveries',
  columns: [
    ['id', 'text'],
    ['message_id', 'text'],
    ['endpoint_id', 'text'],
    ['event', 'text'],
    ['status', 'text'],
    ['attempts', 'int'],
    ['next_attempt_at', 'time'],
    ['locked_until', 'time'],
    ['locked_by', 'text'],
    ['last_status_code', 'int'],
    ['last_error', 'text'],
    ['created_at', 'time'],
    ['updated_at', 'time'],
    ['completed_at', 'time'],
    ['ordering_key', 'text'],
  ],
  encode: (d) => ({
    id: d.id,
    message_id: d.messageId,
    endpoint_id: d.endpointId,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.nextAttemptAt,
    locked_until: d.lockedUntil,
    locked_by: d.lockedBy,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    completed_at: d.completedAt,
    ordering_key: d.orderingKey,
  }),
  decode: (r) => ({
    id: str(r.id),
    messageId: str(r.message_id),
    endpointId: str(r.endpoint_id),
    event: str(r.event),
    orderingKey: strOrNull(r.ordering_key ?? null),
    status: str(r.status) as Delivery['status'],
    attempts: num(r.attempts),
    nextAttemptAt: toDateOrNull(r.next_attempt_at),
    lockedUntil: toDateOrNull(r.locked_until),
    lockedBy: strOrNull(r.locked_by),
    lastStatusCode: numOrNull(r.last_status_code),
    lastError: strOrNull(r.last_error),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    completedAt: toDateOrNull(r.completed_at),
  }),
}

/** `attempts` table. */
export const attemptCodec: TableCodec<Attempt> = {
  table: 'attempts',
  columns: [
    ['id', 'text'],
    ['delivery_id', 'text'],
    ['endpoint_id', 'text'],
    ['attempt', 'int'],
    ['trigger', 'text'],
    ['url', 'text'],
    ['method', 'text'],
    ['request_headers', 'json'],
    ['request_body', 'text'],
    ['response_status', 'int'],
    ['response_body', 'text'],
    ['response_headers', 'json'],
    ['error', 'text'],
    ['succeeded', 'bool'],
    ['duration_ms', 'real'],
    ['started_at', 'time'],
  ],
  encode: (a) => ({
    id: a.id,
    delivery_id: a.deliveryId,
    endpoint_id: a.endpointId,
    attempt: a.attempt,
    trigger: a.trigger,
    url: a.url,
    method: a.method,
    request_headers: json(a.requestHeaders),
    request_body: a.requestBody,
    response_status: a.responseStatus,
    response_body: a.responseBody,
    response_headers: jsonOrNull(a.responseHeaders),
    error: a.error,
    succeeded: a.succeeded,
    duration_ms: a.durationMs,
    started_at: a.startedAt,
  }),
  decode: (r) => ({
    id: str(r.id),
    deliveryId: str(r.delivery_id),
    endpointId: str(r.endpoint_id),
    attempt: num(r.attempt),
    trigger: str(r.trigger) as Attempt['trigger'],
    url: str(r.url),
    method: str(r.method),
    requestHeaders: parseJson<Record<string, string>>(r.request_headers),
    requestBody: str(r.request_body),
    responseStatus: numOrNull(r.response_status),
    responseBody: strOrNull(r.response_body),
    responseHeaders: parseJsonOrNull<Record<string, string>>(r.response_headers),
    error: strOrNull(r.error),
    succeeded: bool(r.succeeded),
    durationMs: num(r.duration_ms),
    startedAt: toDate(r.started_at),
  }),
}

/** `incoming_hooks` table. */
export const incomingHookCodec: TableCodec<IncomingHook> = {
  table: 'incoming_hooks',
  columns: [
    ['id', 'text'],
    ['owner', 'text'],
    ['name', 'text'],
    ['description', 'text'],
    ['active', 'bool'],
    ['route', 'text'],
    ['token_hash', 'text'],
    ['token_prefix', 'text'],
    ['transform', 'json'],
    ['rate_limit_per_minute', 'int'],
    ['allowed_ips', 'json'],
    ['verification', 'json'],
    ['dedupe_window_ms', 'int'],
    ['dedupe_header', 'text'],
    ['max_body_bytes', 'int'],
    ['version', 'int'],
    ['metadata', 'json'],
    ['created_at', 'time'],
    ['updated_at', 'time'],
  ],
  encode: (h) => ({
    id: h.id,
    owner: h.owner,
    name: h.name,
    description: h.description,
    active: h.active,
    route: h.route,
    token_hash: h.tokenHash,
    token_prefix: h.tokenPrefix,
    transform: jsonOrNull(h.transform),
    // No limit (`null`) is stored as 0 (the column is NOT NULL; 0 is never a valid limit).
    rate_limit_per_minute: h.rateLimitPerMinute ?? 0,
    allowed_ips: json(h.allowedIps),
    verification: jsonOrNull(h.verification),
    dedupe_window_ms: h.dedupeWindowMs,
    dedupe_header: h.dedupeHeader,
    max_body_bytes: h.maxBodyBytes,
    version: h.version,
    metadata: json(h.metadata),
    created_at: h.createdAt,
    updated_at: h.updatedAt,
  }),
  decode: (r) => ({
    id: str(r.id),
    owner: strOrNull(r.owner),
    name: str(r.name),
    description: strOrNull(r.description),
    active: bool(r.active),
    route: str(r.route),
    tokenHash: str(r.token_hash),
    tokenPrefix: str(r.token_prefix),
    transform: parseJsonOrNull<IncomingHook['transform']>(r.transform),
    rateLimitPerMinute: num(r.rate_limit_per_minute) || null,
    allowedIps: parseJson<string[]>(r.allowed_ips),
    verification: parseJsonOrNull<IncomingHook['verification']>(r.verification),
    dedupeWindowMs: numOrNull(r.dedupe_window_ms),
    dedupeHeader: strOrNull(r.dedupe_header),
    maxBodyBytes: num(r.max_body_bytes),
    version: num(r.version),
    metadata: parseJson<Record<string, unknown>>(r.metadata),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  }),
}

/** `incoming_logs` table. */
export const incomingLogCodec: TableCodec<IncomingLog> = {
  table: 'incoming_logs',
  columns: [
    ['id', 'text'],
    ['hook_id', 'text'],
    ['route', 'text'],
    ['status', 'int'],
    ['error', 'text'],
    ['source_ip', 'text'],
    ['headers', 'json'],
    ['payload', 'text'],
    ['delivery_key', 'text'],
    ['duration_ms', 'real'],
    ['received_at', 'time'],
  ],
  encode: (l) => ({
    id: l.id,
    hook_id: l.hookId,
    route: l.route,
    status: l.status,
    error: l.error,
    source_ip: l.sourceIp,
    headers: json(l.headers),
    payload: l.payload,
    delivery_key: l.deliveryKey,
    duration_ms: l.durationMs,
    received_at: l.receivedAt,
  }),
  decode: (r) => ({
    id: str(r.id),
    hookId: strOrNull(r.hook_id),
    route: strOrNull(r.route),
    status: num(r.status),
    error: strOrNull(r.error),
    sourceIp: strOrNull(r.source_ip),
    headers: parseJson<Record<string, string>>(r.headers),
    payload: strOrNull(r.payload),
    deliveryKey: strOrNull(r.delivery_key),
    durationMs: num(r.duration_ms),
    receivedAt: toDate(r.received_at),
  }),
}

/**
 * A function taking a joined select's row to the row of `codec`'s table: its columns, selected as
 * `prefix` + name, under their own names. The key pairs are made once, so a row costs one object
 * and no key strings (the claim decodes one per delivery).
 */
export function unprefixer(codec: { readonly columns: TableCodec<unknown>['columns'] }, prefix: string): (row: SqlRow) => SqlRow {
  const keys = codec.columns.map(([name]) => [prefix + name, name] as const)
  return (row) => {
    const out: SqlRow = {}
    for (const [from, to] of keys) out[to] = row[from]
    return out
  }
}
