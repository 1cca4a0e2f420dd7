import type { EncryptionKeyInput } from '../crypto/secret-codec.js'
import type { BreakerOptions } from '../dispatch/endpoint-breakers.js'
import type { EnvelopeNames, HeaderNames } from '../dispatch/build-request.js'
import type { EgressOptions } from '../dispatch/egress-guard.js'
import type { TelemetryOptions } from '../observability/telemetry.js'
import type { SignatureScheme } from '../signature/types.js'
import type { WebhookStore } from '../store/types.js'
import type { WorkerHeartbeatOptions } from './worker-registry.js'
import type { Clock, RetryPolicy } from '../types.js'

/** Periodic retention cleanup. */
export interface RetentionOptions {
  /** Finished deliveries, their attempts and incoming logs older than this are deleted, in ms. @default 2_592_000_000 (30 days) */
  olderThanMs?: number
  /** How often cleanup runs, in ms. @default 3_600_000 (1 h) */
  intervalMs?: number
}

/** Options of {@link createWebhookManager}. */
export interface WebhookManagerOptions {
  /** Where endpoints, messages, deliveries and logs live. @default memoryStore() */
  store?: WebhookStore
  /** Time source; inject one in tests. @default the system clock */
  clock?: Clock
  /** Run `store.migrate()` in `start()`. @default true */
  autoMigrate?: boolean
  /** Requests in flight at once over all endpoints. @default 50 */
  concurrency?: number
  /** Requests in flight at once to one endpoint (endpoints may override). @default 10 */
  endpointConcurrency?: number
  /**
   * Deliveries claimed per store round trip. Unset, claims start at 100 and grow with a backlog
   * (up to half of `10 × concurrency`, within what the worker finishes in a quarter of the lease);
   * set, every claim asks for at most this many.
   * @default 100
   */
  batchSize?: number
  /**
   * Lease of a claimed delivery, in ms; another worker may take it over after. An attempt's timeout
   * is cut short so that it always ends within its lease: keep this above your largest endpoint
   * timeout plus the time deliveries wait in rate-limited queues.
   * @default 120_000
   */
  leaseMs?: number
  /** Longest idle wait between looks at the store, in ms (bounds latency for work enqueued by other processes without a wake-up signal). @default 1000 */
  pollIntervalMs?: number
  /** Request timeout, in ms (endpoints may override). @default 10_000 */
  timeoutMs?: number
  /** Response body bytes kept per attempt. @default 65_536 */
  maxResponseBytes?: number
  /**
   * Retry policy (endpoints may override fields).
   * @default { strategy: 'exponential', maxAttempts: 6, initialDelayMs: 60_000, maxDelayMs: 3_600_000, factor: 2, jitter: 0.2, retryWindowMs: 86_400_000 }
   * @example { strategy: 'schedule', schedule: [60_000, 300_000, 1_800_000] } // 1 min, 5 min, 30 min
   */
  retryPolicy?: Partial<RetryPolicy>
  /** Circuit breaker of each endpoint. @default { failureThreshold: 5, cooldownMs: 300_000, enabled: true } */
  breaker?: Partial<BreakerOptions>
  /** Disable an endpoint that has had nothing but failures for this long, in ms; `null` = never. @default 432_000_000 (5 days) */
  disableAfterFailingMs?: number | null
  /** Signature scheme of new endpoints that do not choose one. @default 'hmac-sha256' */
  signatureScheme?: SignatureScheme
  /**
   * Text before the hex digest of `hmac-sha256` signatures, for endpoints that set no
   * `signaturePrefix` of their own: `'sha256='` sends `X-Webhook-Signature: sha256=<hex>`; `''`
   * sends the bare hex that seed 002's receivers compare (`hmac.compare_digest(signature, hexdigest)`).
   * `verifySignature` accepts both forms.
   * @default 'sha256='
   */
  signaturePrefix?: string
  /** How long a replaced secret keeps signing after a rotation, in ms. @default 86_400_000 (24 h) */
  secretRotationOverlapMs?: number
  /** Envelope field names. @default { id: 'id', event: 'event', timestamp: 'timestamp', webhookId: 'webhook_id', data: 'data', metadata: 'metadata' } */
  envelope?: Partial<EnvelopeNames>
  /** Header names. @default { event: 'X-Webhook-Event', id: 'X-Webhook-Id', timestamp: 'X-Webhook-Timestamp', signature: 'X-Webhook-Signature', delivery: 'X-Webhook-Delivery', attempt: 'X-Webhook-Attempt' } */
  headerNames?: Partial<HeaderNames>
  /**
   * Key that signs tenant-portal links (`portalLink`), at least 32 characters. Set the same value in
   * every process that serves the console; without it each manager makes a random one and its links
   * stop working when the process ends.
   * @default a random key per manager
   */
  portalSecret?: string
  /**
   * OpenTelemetry: with `@opentelemetry/api` installed (an optional peer dependency) and an SDK
   * registered by the host, the manager writes `hookline.emit`, `hookline.deliver` and
   * `hookline.incoming` spans and `hookline.*` metrics (see docs/observability.md). `false` turns
   * it off; `{ traceparent: true }` also sends the emit's trace context to receivers.
   * @default {} (on when the package is installed; no `traceparent`)
   */
  telemetry?: false | TelemetryOptions
  /** `User-Agent` of outgoing requests. @default 'hookline/<version>' */
  userAgent?: string
  /** Reject `emit` of event types that were not registered. @default false */
  strictEventTypes?: boolean
  /** How long the endpoint cache is trusted before it is reloaded, in ms (matters when several processes share a database). @default 5000 */
  endpointCacheTtlMs?: number
  /** Periodic retention cleanup; off unless given. */
  retention?: RetentionOptions | false
  /**
   * The SSRF guard: where deliveries may connect. On by default: only public unicast addresses,
   * checked when an endpoint is saved (a literal address or `localhost`) and at every new
   * connection (each address the host resolves to, the one connected to included). Refused
   * attempts are logged, go `dead` without a retry and emit `egress.refused`. Allow named hosts or
   * ranges for development and private deployments. Does not apply to a custom `fetch`. See
   * docs/security.md.
   * @default { allow: [], allowPrivateNetworks: false }
   * @example { allow: ['127.0.0.1/32', '::1/128', 'localhost'] } // deliver to this machine
   * @example { allow: ['hooks.internal', '10.20.0.0/16'] }
   */
  egress?: EgressOptions
  /**
   * CONNECT proxy (`http://` or `https://`, credentials as `user:password@`) for every endpoint
   * without a `proxy` of its own: e.g. to send all webhooks from one static egress IP. The egress
   * guard still checks each final destination; the proxy itself is trusted (it is yours). Applies
   * to the default transport only.
   * @default none (direct connections)
   * @example 'http://egress-proxy.internal:3128'
   */
  proxy?: string
  /**
   * fetch implementation under ofetch. The default is hookline's own transport: undici's `request()`
   * over a keep-alive connection pool owned by the manager (closed by `close()`), without the WHATWG
   * `Request`/`Response`/stream objects that make the global `fetch` about 10× costlier per request.
   * Pass `globalThis.fetch` (or undici's `fetch` with your own dispatcher, e.g. a proxy) to use that.
   * A custom fetch opens its own connections, so the egress guard cannot check them: `start()`
   * emits a `HOOKLINE_EGRESS_UNGUARDED` process warning (URLs are still checked on save).
   * @default hookline's undici transport
   */
  fetch?: typeof fetch
  /**
   * Path the incoming token URLs are mounted at: the default `path` of `incomingHandler()` and the
   * `path` shown when a hook is created or its token rotated (`<incomingPath>/<token>`).
   * @default '/webhook'
   */
  incomingPath?: string
  /**
   * Hand new deliveries straight to this process's worker. While the worker runs, has caught up
   * with the store (its last claim found no more due work) and has room, `emit` stores the
   * deliveries it has room for already leased to it (`delivering`, as a claim would) and they start
   * once the write is done: no claim round trip and no wake-up. Deliveries it has no room for, and
   * every `emit` inside a host transaction (`client`), are stored pending and claimed as usual. If
   * the process dies, another worker takes them over when the lease runs out, as after any claim.
   * @default true
   */
  leaseOnEmit?: boolean
  /** Id of this worker in leases. @default a random id */
  workerId?: string
  /**
   * Keys that encrypt secrets at rest: endpoint signing secrets (rotated-out ones too), auth
   * credentials, values of sensitive custom headers and incoming verification secrets are stored
   * AES-256-GCM encrypted (`enc:v2:<keyId>:…`, each value bound to its record and field) in any store, the host's own included. The FIRST key
   * encrypts; every key decrypts. To rotate, put a new key first and keep the old ones until
   * `reencryptSecrets()` has run. Rows written before encryption was turned on are read as plain
   * text and encrypted when next written (or by `reencryptSecrets()`). Without keys, secrets are
   * stored as plain text and `start()` warns once on a durable store.
   * @default none (plain text)
   * @example [{ id: 'k2', key: process.env.HOOKLINE_KEY_K2! }, { id: 'k1', key: process.env.HOOKLINE_KEY_K1! }] // base64 of 32 random bytes each
   */
  encryptionKeys?: EncryptionKeyInput[]
  /**
   * The worker registry: while it runs, the manager writes a heartbeat (id, host, pid, deliveries
   * in flight) to the store, lists its peers with `listWorkers()` and reports a peer that stopped
   * heartbeating with a `worker.lost` event. `false` turns it off. Stores without the registry
   * methods ignore it.
   * @default { intervalMs: 10_000, lostAfterMs: 30_000, keepStoppedMs: 86_400_000 }
   */
  workerHeartbeat?: WorkerHeartbeatOptions | false
}
