/** One schema version: statements applied in order inside the migration transaction. */
export interface SqliteMigration {
  /** Version number, stored in `PRAGMA user_version` once applied. */
  version: number
  /** DDL statements of this version. */
  up: string[]
}

/**
 * The ordered migrations of the SQLite store. Never edit a released version: append a new one.
 *
 * Types: times are INTEGER ms since the epoch, JSON is TEXT (the exact `JSON.stringify` output),
 * booleans are INTEGER 0/1. Ties on timestamps are ordered by `rowid` (insertion order).
 */
export const sqliteMigrations: readonly SqliteMigration[] = [
  {
    version: 1,
    up: [
      `CREATE TABLE endpoints (
        id TEXT PRIMARY KEY,
        owner TEXT,
        name TEXT NOT NULL,
        description TEXT,
        url TEXT NOT NULL,
        method TEXT NOT NULL,
        events TEXT NOT NULL,
        filters TEXT,
        headers TEXT NOT NULL,
        auth TEXT,
        signature_scheme TEXT NOT NULL,
        secrets TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
        disabled_reason TEXT,
        timeout_ms INTEGER,
        retry_policy TEXT,
        rate_limit TEXT,
        concurrency INTEGER,
        metadata TEXT NOT NULL,
        failing_since INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE INDEX endpoints_created_idx ON endpoints (created_at)`,
      `CREATE INDEX endpoints_owner_idx ON endpoints (owner, created_at)`,

      `CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        event TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT,
        idempotency_key TEXT,
        owner TEXT,
        created_at INTEGER NOT NULL
      )`,
      `CREATE INDEX messages_created_idx ON messages (created_at)`,
      // Idempotency keys are scoped per tenant: one tenant's key never matches another's message.
      `CREATE UNIQUE INDEX messages_idempotency_key_idx ON messages (coalesce(owner, ''), idempotency_key)`,

      `CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages (id),
        endpoint_id TEXT NOT NULL,
        event TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed', 'dead')),
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER,
        locked_until INTEGER,
        locked_by TEXT,
        last_status_code INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        completed_at INTEGER
      )`,
      // The claim query orders by this exact expression: one partial index serves retries due by
      // next_attempt_at and expired leases due by locked_until, as an ordered scan.
      `CREATE INDEX deliveries_due_idx ON deliveries
        ((CASE WHEN status = 'delivering' THEN locked_until ELSE next_attempt_at END))
        WHERE status IN ('pending', 'failed', 'delivering')`,
      `CREATE INDEX deliveries_endpoint_created_idx ON deliveries (endpoint_id, created_at)`,
      `CREATE INDEX deliveries_created_idx ON deliveries (created_at)`,
      `CREATE INDEX deliveries_message_idx ON deliveries (message_id)`,
      `CREATE INDEX deliveries_finished_idx ON deliveries (completed_at) WHERE status IN ('succeeded', 'dead')`,

      `CREATE TABLE attempts (
        id TEXT PRIMARY KEY,
        delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        endpoint_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        "trigger" TEXT NOT NULL,
        url TEXT NOT NULL,
        method TEXT NOT NULL,
        request_headers TEXT NOT NULL,
        request_body TEXT NOT NULL,
        response_status INTEGER,
        response_body TEXT,
        response_headers TEXT,
        error TEXT,
        succeeded INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        started_at INTEGER NOT NULL
      )`,
      `CREATE INDEX attempts_delivery_idx ON attempts (delivery_id)`,

      `CREATE TABLE incoming_hooks (
        id TEXT PRIMARY KEY,
        owner TEXT,
        name TEXT NOT NULL,
        description TEXT,
        active INTEGER NOT NULL,
        route TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        token_prefix TEXT NOT NULL,
        transform TEXT,
        rate_limit_per_minute INTEGER NOT NULL,
        allowed_ips TEXT NOT NULL,
        verification TEXT,
        dedupe_window_ms INTEGER,
        dedupe_header TEXT,
        max_body_bytes INTEGER NOT NULL,
        version INTEGER NOT NULL,
        metadata TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE INDEX incoming_hooks_owner_idx ON incoming_hooks (owner, created_at)`,

      `CREATE TABLE incoming_logs (
        id TEXT PRIMARY KEY,
        hook_id TEXT,
        route TEXT,
        status INTEGER NOT NULL,
        error TEXT,
        source_ip TEXT,
        headers TEXT NOT NULL,
        payload TEXT,
        delivery_key TEXT,
        duration_ms REAL NOT NULL,
        received_at INTEGER NOT NULL
      )`,
      `CREATE INDEX incoming_logs_hook_idx ON incoming_logs (hook_id, received_at)`,
      `CREATE INDEX incoming_logs_received_idx ON incoming_logs (received_at)`,

      `CREATE TABLE incoming_keys (
        hook_id TEXT NOT NULL,
        key TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (hook_id, key)
      )`,
      `CREATE INDEX incoming_keys_expires_idx ON incoming_keys (expires_at)`,
    ],
  },
  {
    // Worker registry: one row per worker process, written by its heartbeat.
    version: 2,
    up: [
      `CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        in_flight INTEGER NOT NULL,
        stopped_at INTEGER,
        lost_at INTEGER,
        leases INTEGER
      )`,
    ],
  },
  {
    // Text before the hex digest of an hmac-sha256 signature; NULL = the manager's default.
    version: 3,
    up: [`ALTER TABLE endpoints ADD COLUMN signature_prefix TEXT`],
  },
  {
    // Per-endpoint mutual TLS (JSON: cert, key, ca) and CONNECT proxy URL.
    version: 4,
    up: [`ALTER TABLE endpoints ADD COLUMN tls TEXT`, `ALTER TABLE endpoints ADD COLUMN proxy TEXT`],
  },
  {
    // Shared rate limits: `max` slots per rate-limited endpoint, each free from `free_at` on.
    version: 5,
    up: [
      `CREATE TABLE rate_slots (
        endpoint_id TEXT NOT NULL,
        slot INTEGER NOT NULL,
        free_at INTEGER NOT NULL,
        held_by TEXT,
        PRIMARY KEY (endpoint_id, slot)
      )`,
    ],
  },
  {
    // Shared circuit breakers: failures in a row over every worker, open until `retry_at`, the half-open probe's lease.
    version: 6,
    up: [
      `CREATE TABLE breakers (
        endpoint_id TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        retry_at INTEGER,
        probe_by TEXT,
        probe_until INTEGER
      )`,
    ],
  },
  {
    // Which secrets sign during a rotation overlap ('all', 'newest', 'oldest'); existing rows: 'all'.
    version: 7,
    up: [`ALTER TABLE endpoints ADD COLUMN rotation_signatures TEXT NOT NULL DEFAULT 'all'`],
  },
  {
    // Ordered (fifo) endpoints: the endpoint's setting (existing rows 'unordered', NOT NULL so a
    // compare-and-set sees what it read), and each delivery's line (NULL = unordered). The claim takes a fifo delivery only when no older unfinished delivery of its
    // line exists and no other one of it is leased: two small partial indexes (unfinished fifo
    // deliveries only; `rowid` is each index's last column) answer both in one probe each.
    version: 8,
    up: [
      `ALTER TABLE endpoints ADD COLUMN ordering TEXT NOT NULL DEFAULT 'unordered'`,
      `ALTER TABLE endpoints ADD COLUMN ordering_key TEXT`,
      `ALTER TABLE deliveries ADD COLUMN ordering_key TEXT`,
      `CREATE INDEX deliveries_line_idx ON deliveries (endpoint_id, ordering_key) ` +
        `WHERE ordering_key IS NOT NULL AND status IN ('pending', 'failed', 'delivering')`,
      `CREATE INDEX deliveries_line_leased_idx ON deliveries (endpoint_id, ordering_key) ` +
        `WHERE ordering_key IS NOT NULL AND status = 'delivering'`,
    ],
  },
]

/** The highest version of {@link sqliteMigrations}. */
export const SQLITE_SCHEMA_VERSION = sqliteMigrations.reduce((max, m) => Math.max(max, m.version), 0)
