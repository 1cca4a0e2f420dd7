import { createHash } from 'node:crypto'
import { assertSchemaName } from './plans.js'

/** One schema version: statements applied in order, in the migration transaction. */
export interface Migration {
  /** Version number; versions are applied in ascending order and recorded in `schema_migrations`. */
  version: number
  /** DDL statements of this version. */
  up: string[]
}

/**
 * The ordered migrations of the Postgres store for tables in `schema` (validated and quoted). Never
 * edit a released version: append a new one.
 *
 * Types: times are `timestamptz`; message `data` and `metadata` and an attempt's headers are `json`
 * (the exact text of `JSON.stringify`, so key order and every byte round-trip; the headers since
 * version 11); other structured columns are `jsonb`.
 * `seq` identity columns give a stable insertion order for ties on timestamps.
 */
export function postgresMigrations(schema: string): Migration[] {
  assertSchemaName(schema)
  const s = `"${schema}"`
  return [
    {
      version: 1,
      up: [
        `CREATE TABLE ${s}.endpoints (
          id text PRIMARY KEY,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          owner text,
          name text NOT NULL,
          description text,
          url text NOT NULL,
          method text NOT NULL,
          events jsonb NOT NULL,
          filters jsonb,
          headers jsonb NOT NULL,
          auth jsonb,
          signature_scheme text NOT NULL,
          secrets jsonb NOT NULL,
          status text NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
          disabled_reason text,
          timeout_ms integer,
          retry_policy jsonb,
          rate_limit jsonb,
          concurrency integer,
          metadata jsonb NOT NULL,
          failing_since timestamptz,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`,
        `CREATE INDEX endpoints_created_idx ON ${s}.endpoints (created_at, seq)`,
        `CREATE INDEX endpoints_owner_idx ON ${s}.endpoints (owner, created_at, seq)`,

        `CREATE TABLE ${s}.messages (
          id text PRIMARY KEY,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          event text NOT NULL,
          data json NOT NULL,
          metadata json,
          idempotency_key text,
          owner text,
          created_at timestamptz NOT NULL
        )`,
        // Idempotency keys are scoped per tenant: one tenant's key never matches another's message.
        `CREATE UNIQUE INDEX messages_idempotency_key_idx ON ${s}.messages (coalesce(owner, ''), idempotency_key)`,
        `CREATE INDEX messages_created_idx ON ${s}.messages (created_at)`,

        `CREATE TABLE ${s}.deliveries (
          id text PRIMARY KEY,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          message_id text NOT NULL REFERENCES ${s}.messages (id),
          endpoint_id text NOT NULL,
          event text NOT NULL,
          status text NOT NULL CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed', 'dead')),
          attempts integer NOT NULL,
          next_attempt_at timestamptz,
          locked_until timestamptz,
          locked_by text,
          last_status_code integer,
          last_error text,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          completed_at timestamptz
        )`,
        // The claim query orders by this exact expression, so one partial index serves both kinds of
        // due rows (retries due by next_attempt_at, expired leases by locked_until) as an ordered scan.
        `CREATE INDEX deliveries_due_idx ON ${s}.deliveries
          ((CASE WHEN status = 'delivering' THEN locked_until ELSE next_attempt_at END), seq)
          WHERE status IN ('pending', 'failed', 'delivering')`,
        `CREATE INDEX deliveries_endpoint_created_idx ON ${s}.deliveries (endpoint_id, created_at, seq)`,
        `CREATE INDEX deliveries_created_idx ON ${s}.deliveries (created_at, seq)`,
        `CREATE INDEX deliveries_message_idx ON ${s}.deliveries (message_id)`,
        `CREATE INDEX deliveries_finished_idx ON ${s}.deliveries (completed_at) WHERE status IN ('succeeded', 'dead')`,

        `CREATE TABLE ${s}.attempts (
          id text PRIMARY KEY,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          delivery_id text NOT NULL REFERENCES ${s}.deliveries (id) ON DELETE CASCADE,
          endpoint_id text NOT NULL,
          attempt integer NOT NULL,
          trigger text NOT NULL,
          url text NOT NULL,
          method text NOT NULL,
          request_headers jsonb NOT NULL,
          request_body text NOT NULL,
          response_status integer,
          response_body text,
          response_headers jsonb,
          error text,
          succeeded boolean NOT NULL,
          duration_ms double precision NOT NULL,
          started_at timestamptz NOT NULL
        )`,
        `CREATE INDEX attempts_delivery_idx ON ${s}.attempts (delivery_id, seq)`,

        `CREATE TABLE ${s}.incoming_hooks (
          id text PRIMARY KEY,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          owner text,
          name text NOT NULL,
          description text,
          active boolean NOT NULL,
          route text NOT NULL,
          token_hash text NOT NULL,
          token_prefix text NOT NULL,
          transform jsonb,
          rate_limit_per_minute integer NOT NULL,
          allowed_ips jsonb NOT NULL,
          verification jsonb,
          dedupe_window_ms bigint,
          dedupe_header text,
          max_body_bytes bigint NOT NULL,
          version integer NOT NULL,
          metadata jsonb NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`,
        `CREATE UNIQUE INDEX incoming_hooks_token_hash_idx ON ${s}.incoming_hooks (token_hash)`,
        `CREATE INDEX incoming_hooks_owner_idx ON ${s}.incoming_hooks (owner, created_at, seq)`,

        `CREATE TABLE ${s}.incoming_logs (
          id text PRIMARY KEY,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          hook_id text,
          route text,
          status integer NOT NULL,
          error text,
          source_ip text,
          headers jsonb NOT NULL,
          payload text,
          delivery_key text,
          duration_ms double precision NOT NULL,
          received_at timestamptz NOT NULL
        )`,
        `CREATE INDEX incoming_logs_hook_idx ON ${s}.incoming_logs (hook_id, received_at, seq)`,
        `CREATE INDEX incoming_logs_received_idx ON ${s}.incoming_logs (received_at)`,

        `CREATE TABLE ${s}.incoming_keys (
          hook_id text NOT NULL,
          key text NOT NULL,
          expires_at timestamptz NOT NULL,
          PRIMARY KEY (hook_id, key)
        )`,
        `CREATE INDEX incoming_keys_expires_idx ON ${s}.incoming_keys (expires_at)`,
      ],
    },
    {
      // The claim index keyed by a due time that is NULL for every delivery that cannot be claimed,
      // so the claim needs no `status IN (…)` clause: that clause's default selectivity made the
      // planner expect a handful of due rows before the table was first analyzed (and after a
      // burst), and it read and sorted every due delivery on each claim instead of walking the
      // index in order and stopping at the limit.
      // The expression is written out here, not taken from plans.ts: a released migration never
      // changes. The claim's DUE_AT must stay exactly this text for the index to serve it.
      version: 2,
      up: [
        `CREATE INDEX IF NOT EXISTS deliveries_claim_idx ON ${s}.deliveries ` +
          `((CASE WHEN status = 'delivering' THEN locked_until WHEN status IN ('pending', 'failed') THEN next_attempt_at END), seq) ` +
          `WHERE (CASE WHEN status = 'delivering' THEN locked_until WHEN status IN ('pending', 'failed') THEN next_attempt_at END) IS NOT NULL`,
        `DROP INDEX IF EXISTS ${s}.deliveries_due_idx`,
      ],
    },
    {
      // Worker registry: one row per worker process, written by its heartbeat.
      version: 3,
      up: [
        `CREATE TABLE IF NOT EXISTS ${s}.workers (
          id text PRIMARY KEY,
          host text NOT NULL,
          pid integer NOT NULL,
          started_at timestamptz NOT NULL,
          last_seen_at timestamptz NOT NULL,
          in_flight integer NOT NULL,
          stopped_at timestamptz,
          lost_at timestamptz,
          leases integer
        )`,
      ],
    },
    {
      // Text before the hex digest of an hmac-sha256 signature; NULL = the manager's default.
      version: 4,
      up: [`ALTER TABLE ${s}.endpoints ADD COLUMN IF NOT EXISTS signature_prefix text`],
    },
    {
      // Per-endpoint mutual TLS (cert, key, ca) and CONNECT proxy URL.
      version: 5,
      up: [`ALTER TABLE ${s}.endpoints ADD COLUMN IF NOT EXISTS tls jsonb`, `ALTER TABLE ${s}.endpoints ADD COLUMN IF NOT EXISTS proxy text`],
    },
    {
      // Shared rate limits: `max` slots per rate-limited endpoint, each free from `free_at` on.
      version: 6,
      up: [
        `CREATE TABLE IF NOT EXISTS ${s}.rate_slots (
          endpoint_id text NOT NULL,
          slot integer NOT NULL,
          free_at timestamptz NOT NULL,
          held_by text,
          PRIMARY KEY (endpoint_id, slot)
        )`,
      ],
    },
    {
      // Shared circuit breakers: failures in a row over every worker, open until `retry_at`, the half-open probe's lease.
      version: 7,
      up: [
        `CREATE TABLE IF NOT EXISTS ${s}.breakers (
          endpoint_id text PRIMARY KEY,
          failures integer NOT NULL,
          retry_at timestamptz,
          open_token text,
          probe_by text,
          probe_until timestamptz
        )`,
      ],
    },
    {
      // Which secrets sign during a rotation overlap ('all', 'newest', 'oldest'); existing rows: 'all'.
      version: 8,
      up: [`ALTER TABLE ${s}.endpoints ADD COLUMN IF NOT EXISTS rotation_signatures text NOT NULL DEFAULT 'all'`],
    },
    {
      // Ordered (fifo) endpoints: the endpoint's setting (existing rows 'unordered', NOT NULL so a
      // compare-and-set sees what it read), and each delivery's line (NULL = unordered). The claim takes a fifo delivery only when no older unfinished delivery of its
      // line exists and no other one of it is leased: two small partial indexes (unfinished fifo
      // deliveries only) answer both in one index probe each.
      version: 9,
      up: [
        `ALTER TABLE ${s}.endpoints ADD COLUMN IF NOT EXISTS ordering text NOT NULL DEFAULT 'unordered'`,
        `ALTER TABLE ${s}.endpoints ADD COLUMN IF NOT EXISTS ordering_key text`,
        `ALTER TABLE ${s}.deliveries ADD COLUMN IF NOT EXISTS ordering_key text`,
        `CREATE INDEX IF NOT EXISTS deliveries_line_idx ON ${s}.deliveries (endpoint_id, ordering_key, seq) ` +
          `WHERE ordering_key IS NOT NULL AND status IN ('pending', 'failed', 'delivering')`,
        `CREATE INDEX IF NOT EXISTS deliveries_line_leased_idx ON ${s}.deliveries (endpoint_id, ordering_key) ` +
          `WHERE ordering_key IS NOT NULL AND status = 'delivering'`,
      ],
    },
    {
      // The enqueue statement's per-row cost (docs/benchmarks.md, "fifth session: the enqueue
      // statement"). The idempotency key index holds only messages that have a key: a message
      // without one no longer costs an index entry and a conflict probe (ON CONFLICT DO NOTHING
      // still checks the partial index for the messages that have one; the key lookup's
      // `idempotency_key = $1` implies its predicate). The foreign key from deliveries to messages
      // goes: its check ran a query per inserted delivery for a guarantee the store keeps by
      // construction: a delivery is inserted only in the statement that inserts its message, and
      // a message is deleted only by the retention cleanup, once none of its deliveries is left
      // (in the snapshot of the delete, where a message and its deliveries appear together).
      version: 10,
      up: [
        `ALTER TABLE ${s}.deliveries DROP CONSTRAINT IF EXISTS deliveries_message_id_fkey`,
        `DROP INDEX IF EXISTS ${s}.messages_idempotency_key_idx`,
        `CREATE UNIQUE INDEX IF NOT EXISTS messages_idempotency_key_idx ON ${s}.messages (coalesce(owner, ''), idempotency_key) ` +
          `WHERE idempotency_key IS NOT NULL`,
      ],
    },
    {
      // The outcome write's per-attempt cost (docs/benchmarks.md, "fifth session: the Postgres
      // backends per delivery"). An attempt's request and response headers are `json`, the text
      // as the worker wrote it (key order as sent, as the memory and SQLite stores keep it): `jsonb`
      // parsed and rebuilt both on every insert. Existing rows keep their content (jsonb's text).
      // The foreign key from attempts to deliveries goes: its check ran a query per inserted
      // attempt for what the outcome write already ensures (it inserts an attempt only for a
      // delivery it has locked, see plans.complete), and every delete of deliveries deletes their
      // attempts itself (retention in the same statement, deleteEndpoint in the same transaction).
      // Changing the column types rewrites the attempts table once.
      version: 11,
      up: [
        `ALTER TABLE ${s}.attempts DROP CONSTRAINT IF EXISTS attempts_delivery_id_fkey`,
        `ALTER TABLE ${s}.attempts ALTER COLUMN request_headers TYPE json USING request_headers::json, ` +
          `ALTER COLUMN response_headers TYPE json USING response_headers::json`,
      ],
    },
    {
      // An attempt's request body without a copy of its message's data (docs/benchmarks.md, "fifth
      // session: the Postgres backends per delivery"): when `request_body_tail` is not NULL the
      // body sent was `request_body || messages.data || request_body_tail` (the data's exact text;
      // a message is immutable and outlives its deliveries' attempts), and listAttempts puts it
      // back. NULL (every row before this version, a body without the data): `request_body` is
      // the whole body. No rewrite: a nullable column without a default.
      version: 12,
      up: [`ALTER TABLE ${s}.attempts ADD COLUMN IF NOT EXISTS request_body_tail text`],
    },
  ]
}

/**
 * Key of the transaction-scoped advisory lock that serializes migrations of one schema: the first
 * 8 bytes of SHA-256 over a hookline-specific string, so other schemas (and other applications'
 * locks, most likely) never collide with it.
 */
export function migrationLockKey(schema: string): bigint {
  const digest = createHash('sha256').update(`hookline:migrate:${schema}`).digest()
  return digest.readBigInt64BE(0)
}
