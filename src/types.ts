import type { SignatureScheme } from './signature/types.js'

/** A source of time in milliseconds since the epoch. Injected so retries, leases and breakers can be tested. */
export interface Clock {
  /** Current time in ms since the epoch. */
  now(): number
}

/** Lifecycle state of an endpoint. Only `active` endpoints receive new deliveries. */
export type EndpointStatus = 'active' | 'paused' | 'disabled'

/**
 * State of a delivery (one message to one endpoint):
 * `pending` (due or waiting) → `delivering` (leased by a worker) → `succeeded` | `failed`
 * (an automatic retry is scheduled) | `dead` (gave up).
 */
export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed' | 'dead'

/** Backoff strategy between attempts. */
export type RetryStrategy = 'exponential' | 'linear' | 'fixed' | 'schedule'

/** How failed deliveries are retried. Every field is optional where it is accepted as input. */
export interface RetryPolicy {
  /**
   * Backoff strategy: `exponential` (initialDelay × factor^(n-1)), `linear` (initialDelay × n),
   * `fixed` (initialDelay), `schedule` (the explicit `schedule` list).
   * @default 'exponential'
   */
  strategy: RetryStrategy
  /**
   * Total attempts including the first one. For `schedule`, defaults to `schedule.length + 1`.
   * @default 5
   */
  maxAttempts: number
  /** Delay before the first retry, in ms. @default 60_000 */
  initialDelayMs: number
  /** Upper bound of any computed delay, in ms. @default 3_600_000 (1 h) */
  maxDelayMs: number
  /** Multiplier of the exponential strategy. @default 2 */
  factor: number
  /** Explicit delays in ms for the `schedule` strategy, e.g. `[60_000, 300_000, 1_800_000]`. */
  schedule: number[]
  /** Random spread applied to each delay, as a fraction (0.2 = ±20 %). @default 0.2 */
  jitter: number
  /** No retry is scheduled later than this long after the delivery was created, in ms. @default 86_400_000 (24 h) */
  retryWindowMs: number
  /** Honour a `Retry-After` header (seconds or HTTP date) on 429 and 503 answers. @default true */
  respectRetryAfter: boolean
}

/**
 * Outgoing rate limit of one endpoint: at most `max` requests reach the receiver in any `intervalMs`
 * window (each of `max` slots is free again `intervalMs` after its request ended).
 */
export interface RateLimit {
  /** Requests allowed per interval. */
  max: number
  /** Interval length in ms. @default 1000 */
  intervalMs: number
}

/** Credentials sent with each request to an endpoint. Never logged or returned unredacted. */
export type EndpointAuth =
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | {
      type: 'api-key'
      key: string
      /** Header carrying the key. @default 'X-API-Key' */
      headerName?: string
    }
  | {
      type: 'hmac'
      secret: string
      /** Header carrying `sha256=<hex>` of the body signed with this secret. @default 'X-Webhook-Signature' */
      headerName?: string
    }

/**
 * Which secrets sign a request while a secret rotation overlaps (the new secret and the previous
 * one(s) are all live):
 * - `'all'` — one signature per live secret in the header (`sha256=<new> sha256=<old>`, or
 *   `v1,<new> v1,<old>`), as Standard Webhooks, Svix and Stripe do: a receiver holding either
 *   secret verifies. Receivers that accept exactly one value (octokit's `verify()`, a plain
 *   `===` of the header) reject it.
 * - `'newest'` — only the newest secret signs, from the moment of the rotation: one value, a
 *   cut-over for the receiver at rotation time (it may accept both secrets meanwhile).
 * - `'oldest'` — only the oldest live secret signs until its overlap ends, then the newest: one
 *   value, a cut-over at the end of the overlap; the receiver switches its secret (or accepts
 *   both) before then.
 */
export type RotationSignatures = 'all' | 'newest' | 'oldest'

/** One signing secret of an endpoint. Several exist during a rotation. */
export interface EndpointSecret {
  /** The secret itself. */
  secret: string
  /** When this secret was created. */
  createdAt: Date
  /** After this time the secret no longer signs; `null` = current secret. */
  expiresAt: Date | null
}

/**
 * Delivery order of an endpoint: `unordered` (deliveries go out in parallel, up to the endpoint's
 * concurrency, and a retry never holds up the ones behind it) or `fifo` (one at a time per ordering
 * key, in emit order; a failing delivery holds the ones behind it until it succeeds or dies).
 */
export type EndpointOrdering = 'unordered' | 'fifo'

/** Equality filters on payload fields: every key must equal the value at that (dotted) path of `data`. */
export type PayloadFilters = Record<string, unknown>

/** A registered receiver of outgoing webhooks, as stored. */
export interface Endpoint {
  /** Unique id (`ep_…`). */
  id: string
  /** Tenant (user or company) the endpoint belongs to; list calls filter by it. */
  owner: string | null
  /** Human-readable name. */
  name: string
  /** Free text. */
  description: string | null
  /** Target URL (http or https). */
  url: string
  /** HTTP method. @default 'POST' */
  method: 'POST' | 'PUT' | 'PATCH'
  /** Event patterns: exact names, `prefix.*` wildcards or `*`. */
  events: string[]
  /** Equality filters on payload fields; `null` = every payload. */
  filters: PayloadFilters | null
  /** Extra HTTP headers sent with every request. */
  headers: Record<string, string>
  /** Credentials sent with every request. */
  auth: EndpointAuth | null
  /** Signature scheme of the outgoing requests. */
  signatureScheme: SignatureScheme
  /** Text before the hex digest (`hmac-sha256` only); `null` = the manager's `signaturePrefix`. */
  signaturePrefix: string | null
  /** Signing secrets; the first unexpired ones sign. */
  secrets: EndpointSecret[]
  /** Which live secrets sign during a rotation overlap: every one (`'all'`), or only one. */
  rotationSignatures: RotationSignatures
  /** Lifecycle state. */
  status: EndpointStatus
  /** Why the endpoint was disabled, when it was. */
  disabledReason: string | null
  /** Request timeout in ms; `null` = the manager default. */
  timeoutMs: number | null
  /** Retry policy overrides; `null` = the manager default. */
  retryPolicy: Partial<RetryPolicy> | null
  /** Outgoing rate limit; `null` = unlimited. */
  rateLimit: RateLimit | null
  /** Parallel requests to this endpoint; `null` = the manager default. */
  concurrency: number | null
  /** Delivery order: `unordered`, or `fifo` (one at a time per ordering key, in emit order). */
  ordering: EndpointOrdering
  /**
   * With `fifo`: dotted path into the message (`data.customerId`, `metadata.tenant`, `event`, `owner`)
   * whose value at emit time keys the order: one key's deliveries go one at a time, different keys'
   * in parallel. `null` = one line for the whole endpoint.
   */
  orderingKey: string | null
  /** Free-form data of the host application. */
  metadata: Record<string, unknown>
  /** Start of the current unbroken run of failures, `null` after any success. */
  failingSince: Date | null
  /** Mutual TLS and trust: a client certificate and key to present, a CA bundle to trust; `null` = none. */
  tls: EndpointTls | null
  /** `http(s)://[user:password@]host:port` CONNECT proxy of this endpoint; `null` = the manager's `proxy`, if any. */
  proxy: string | null
  /** Creation time. */
  createdAt: Date
  /** Last change. */
  updatedAt: Date
}

/**
 * TLS settings of an endpoint (PEM text). The key and its passphrase are secrets: views show them
 * as `[redacted]`, and they are encrypted at rest like any credential when encryption keys are
 * configured.
 */
export interface EndpointTls {
  /** Client certificate chain presented to the receiver (mutual TLS). Needs `key`. */
  cert?: string | null
  /** Private key of `cert` (PEM; an encrypted PEM key needs `passphrase`). Needs `cert`. */
  key?: string | null
  /** Passphrase of an encrypted `key`. A secret, like `key`. */
  passphrase?: string | null
  /** CA certificates trusted for this endpoint's receiver, in addition to Node's root store. */
  ca?: string | null
}

/** One emitted event. Immutable once stored. */
export interface Message {
  /** Unique id (`msg_…`), sent as the envelope `id` and the `X-Webhook-Id` / `webhook-id` header. */
  id: string
  /** Event name. */
  event: string
  /** Event payload. */
  data: unknown
  /** Extra data added to the envelope. */
  metadata: Record<string, unknown> | null
  /** Key that makes a repeated emit return the same message. */
  idempotencyKey: string | null
  /** Tenant the message belongs to, when emitted for one. */
  owner: string | null
  /** Emit time. */
  createdAt: Date
}

/** One message to one endpoint. */
export interface Delivery {
  /** Unique id (`dlv_…`). */
  id: string
  /** The message delivered. */
  messageId: string
  /** The endpoint it goes to. */
  endpointId: string
  /** Event name (copied from the message for filtering). */
  event: string
  /**
   * The line this delivery waits in when its endpoint was `fifo` at emit time (the value of the
   * endpoint's `orderingKey`, `''` without one); `null` for an unordered delivery. One delivery of a
   * line is attempted at a time, oldest first.
   */
  orderingKey: string | null
  /** Current state. */
  status: DeliveryStatus
  /** Attempts made so far. */
  attempts: number
  /** When the next attempt is due; `null` when none is (succeeded, dead). */
  nextAttemptAt: Date | null
  /** Lease end while a worker holds the delivery. */
  lockedUntil: Date | null
  /** Worker holding the lease. */
  lockedBy: string | null
  /** HTTP status of the last attempt. */
  lastStatusCode: number | null
  /** Error of the last attempt. */
  lastError: string | null
  /** Creation time (= message emit time). */
  createdAt: Date
  /** Last change. */
  updatedAt: Date
  /** When the delivery reached `succeeded` or `dead`. */
  completedAt: Date | null
}

/** What triggered an attempt. */
export type AttemptTrigger = 'automatic' | 'manual' | 'test'

/** One HTTP try of a delivery, as logged. Secrets and credentials are redacted. */
export interface Attempt {
  /** Unique id (`att_…`). */
  id: string
  /** The delivery tried. */
  deliveryId: string
  /** The endpoint called. */
  endpointId: string
  /** 1-based attempt number. */
  attempt: number
  /** What triggered it. */
  trigger: AttemptTrigger
  /** Request URL. */
  url: string
  /** Request method. */
  method: string
  /** Request headers, credentials redacted. */
  requestHeaders: Record<string, string>
  /** Request body exactly as sent. */
  requestBody: string
  /** Response status; `null` when no response arrived. */
  responseStatus: number | null
  /** Response body, truncated. */
  responseBody: string | null
  /** Response headers. */
  responseHeaders: Record<string, string> | null
  /** Error message (network error, timeout, non-2xx). */
  error: string | null
  /** True for a 2xx answer. */
  succeeded: boolean
  /** Duration in ms. */
  durationMs: number
  /** Start time. */
  startedAt: Date
}

/** Delivery statistics of one endpoint. */
export interface DeliveryStats {
  /** Deliveries in total. */
  total: number
  /** Deliveries that succeeded. */
  succeeded: number
  /** Deliveries that are failing and will retry. */
  failed: number
  /** Deliveries that gave up. */
  dead: number
  /** Deliveries waiting or in flight. */
  pending: number
  /** Attempts made in total. */
  attempts: number
  /** Mean attempt duration in ms (`null` without attempts). */
  averageDurationMs: number | null
  /** 95th percentile attempt duration in ms (`null` without attempts). */
  p95DurationMs: number | null
  /** succeeded / (succeeded + failed + dead), 0–1; `null` when nothing finished. */
  successRate: number | null
  /** Time of the most recent attempt. */
  lastAttemptAt: Date | null
}

/** Provider scheme an incoming hook verifies signatures with. */
export type IncomingVerification =
  | {
      type: 'standard-webhooks'
      /** `whsec_…` secret shared with the sender. */
      secret: string
      /** Accepted clock skew in seconds. @default 300 */
      toleranceSeconds?: number
    }
  | {
      type: 'github'
      /** Webhook secret configured at GitHub (`X-Hub-Signature-256`). */
      secret: string
    }
  | {
      type: 'stripe'
      /** Endpoint signing secret (`whsec_…`) from Stripe (`Stripe-Signature`). */
      secret: string
      /** Accepted clock skew in seconds. @default 300 */
      toleranceSeconds?: number
    }
  | {
      type: 'hmac'
      /** Shared secret (UTF-8 key). */
      secret: string
      /** Header carrying the signature. */
      header: string
      /** Encoding of the digest. @default 'hex' */
      encoding?: 'hex' | 'base64'
      /** Prefix before the digest, e.g. `sha256=`. @default '' */
      prefix?: string
    }

/** A token URL that accepts webhooks from outside and routes them to a host handler, as stored. */
export interface IncomingHook {
  /** Unique id (`ih_…`). */
  id: string
  /** Tenant the hook belongs to. */
  owner: string | null
  /** Human-readable name. */
  name: string
  /** Free text. */
  description: string | null
  /** Inactive hooks answer 404. */
  active: boolean
  /** Host handler the payload goes to (registered with `manager.onIncoming(route, …)`). */
  route: string
  /** SHA-256 (hex) of the token; the token itself is only shown once, at creation. */
  tokenHash: string
  /** First characters of the token, to recognise it in lists. */
  tokenPrefix: string
  /** Nunjucks template (string) or object of templates that reshapes the payload; `null` = passthrough. */
  transform: string | Record<string, unknown> | null
  /** Requests accepted per minute (at most 10 000 000); `null` = no limit. @default 100 */
  rateLimitPerMinute: number | null
  /** Allowed source addresses or CIDR ranges (IPv4 and IPv6); empty = any. */
  allowedIps: string[]
  /** Signature check of incoming requests; `null` = none. */
  verification: IncomingVerification | null
  /** Requests repeating a delivery id within this window (ms) are acknowledged without calling the handler; `null` = off. */
  dedupeWindowMs: number | null
  /** Header holding the sender's delivery id; `null` = the preset's (e.g. `webhook-id`, `X-GitHub-Delivery`). */
  dedupeHeader: string | null
  /** Largest accepted body in bytes. @default 1_048_576 */
  maxBodyBytes: number
  /** Incremented on every change (templates are cached per version). */
  version: number
  /** Free-form data of the host application. */
  metadata: Record<string, unknown>
  /** Creation time. */
  createdAt: Date
  /** Last change. */
  updatedAt: Date
}

/** Statistics of an incoming hook's requests, from its log. */
export interface IncomingStats {
  /** Requests logged. */
  total: number
  /** Answered with a 2xx. */
  succeeded: number
  /** Answered with anything else (refused, failed, no handler, transform error). */
  failed: number
  /** `succeeded / total`; `null` without requests. */
  successRate: number | null
  /** Mean handling time in ms (2 decimals); `null` without requests. */
  averageDurationMs: number | null
  /** Nearest-rank 95th percentile of the handling time in ms; `null` without requests. */
  p95DurationMs: number | null
  /** Requests per status answered, e.g. `{ "200": 12, "401": 1, "429": 3 }`. */
  byStatus: Record<string, number>
  /** Arrival of the latest request; `null` without requests. */
  lastReceivedAt: Date | null
}

/** One received request of an incoming hook. */
export interface IncomingLog {
  /** Unique id (`il_…`). */
  id: string
  /** The hook addressed (`null` for an unknown token). */
  hookId: string | null
  /** Route the payload went to. */
  route: string | null
  /** HTTP status answered. */
  status: number
  /** Error, when the request was refused or the handler failed. */
  error: string | null
  /** Source address. */
  sourceIp: string | null
  /** Request headers, credentials and signatures redacted. */
  headers: Record<string, string>
  /** Request body, truncated. */
  payload: string | null
  /** Sender's delivery id, when found. */
  deliveryKey: string | null
  /** Handling time in ms. */
  durationMs: number
  /** Arrival time. */
  receivedAt: Date
}
