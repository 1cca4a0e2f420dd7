import * as v from 'valibot'
import type { BodyAlias } from '../route.js'
import { eventsSchema, filtersSchema, headersSchema, orderingKeySchema, signaturePrefixSchema, urlSchema } from '../../endpoints/endpoint-schema.js'
import { dateTimeInput, dateTimeOutput, freeObject, nullableDateTime, pageOutputEntries, pageQueryEntries } from '../common-schemas.js'

// The wire form (snake_case) of endpoints — "webhooks" in the API. URL, events, headers and
// filters reuse the library's own schemas; objects with camelCase keys in the library get a
// snake_case twin here, and `webhook-wire.ts` converts between the two.

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const headerName = v.pipe(v.string(), v.regex(HEADER_NAME, 'must be a valid HTTP header name'))
const positiveInt = (max: number) => v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1, 'must be at least 1'), v.maxValue(max, `must be at most ${max}`))
const nonNegativeInt = v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0, 'must be 0 or more'))

/** Credentials sent with each request (wire form). */
export const authWire = v.variant('type', [
  v.strictObject({ type: v.literal('basic'), username: v.pipe(v.string(), v.minLength(1)), password: v.string() }),
  v.strictObject({ type: v.literal('bearer'), token: v.pipe(v.string(), v.minLength(1)) }),
  v.strictObject({ type: v.literal('api-key'), key: v.pipe(v.string(), v.minLength(1)), header_name: v.optional(headerName) }),
  v.strictObject({ type: v.literal('hmac'), secret: v.pipe(v.string(), v.minLength(8, 'must be at least 8 characters')), header_name: v.optional(headerName) }),
])

/** Retry policy overrides (wire form). */
export const retryPolicyWire = v.pipe(
  v.strictObject({
    strategy: v.optional(v.picklist(['exponential', 'linear', 'fixed', 'schedule'])),
    max_attempts: v.optional(positiveInt(100)),
    initial_delay_ms: v.optional(nonNegativeInt),
    max_delay_ms: v.optional(nonNegativeInt),
    factor: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(10))),
    schedule: v.optional(v.pipe(v.array(nonNegativeInt), v.minLength(1), v.maxLength(100))),
    jitter: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
    retry_window_ms: v.optional(nonNegativeInt),
    respect_retry_after: v.optional(v.boolean()),
  }),
  v.check((p) => p.strategy !== 'schedule' || p.schedule !== undefined, 'strategy `schedule` needs a `schedule` list'),
)

/** Outgoing rate limit (wire form). */
export const rateLimitWire = v.strictObject({
  max: positiveInt(1_000_000),
  interval_ms: v.optional(positiveInt(86_400_000)),
})

/**
 * Outgoing rate limit as a body may give it: the object, or (seed 002's `"rate_limit": 1000`) a
 * number of requests per minute.
 */
export const rateLimitInput = v.union(
  [rateLimitWire, v.pipe(positiveInt(1_000_000), v.description('Requests per minute (seed 002 form), same as `{ "max": n, "interval_ms": 60000 }`.'))],
  'must be { max, interval_ms? } or a number of requests per minute',
)

const pemText = (what: string) => v.pipe(v.string(), v.maxLength(262_144), v.description(what))

/**
 * Mutual TLS and trust for the receiver, as a body gives them (the library's field names; the
 * library checks that the certificate parses and the key opens and belongs to it, naming
 * `tls.cert`, `tls.key` or `tls.passphrase`).
 */
export const tlsInput = v.pipe(
  v.strictObject({
    cert: v.optional(v.nullable(pemText('Client certificate chain (PEM) presented to the receiver. Needs `key`.'))),
    key: v.optional(v.nullable(pemText('Private key of `cert` (PEM). Write-only: answers show "[redacted]".'))),
    passphrase: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(1024), v.description('Passphrase of an encrypted `key`. Write-only: answers show "[redacted]".')))),
    ca: v.optional(v.nullable(pemText('CA certificates (PEM) trusted for this receiver besides Node’s roots.'))),
  }),
  v.description('Mutual TLS: `cert` + `key` (+ `passphrase`), and/or a `ca` bundle. The key and passphrase are encrypted at rest and never returned. Replaced as a whole: send every part you want to keep.'),
)

/** TLS settings in an answer: the certificates, a summary of the client certificate, the secrets redacted. */
export const tlsOutput = v.pipe(
  v.object({
    cert: v.pipe(v.nullable(v.string()), v.description('Client certificate (PEM).')),
    key: v.pipe(v.nullable(v.literal('[redacted]')), v.description('"[redacted]" when a client key is set.')),
    passphrase: v.pipe(v.nullable(v.literal('[redacted]')), v.description('"[redacted]" when a passphrase is set.')),
    ca: v.pipe(v.nullable(v.string()), v.description('Trusted CA certificates (PEM).')),
    cert_fingerprint: v.pipe(v.nullable(v.string()), v.description('SHA-256 fingerprint of the client certificate (AB:CD:…).')),
    cert_subject: v.pipe(v.nullable(v.string()), v.description('Subject of the client certificate.')),
    cert_expires_at: v.pipe(nullableDateTime, v.description('End of the client certificate’s validity.')),
  }),
  v.description('Mutual TLS settings; the client key and its passphrase are never returned.'),
)

const proxyInput = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.description('http(s) CONNECT proxy for this webhook’s requests, credentials as user:password@ (the password is encrypted at rest and answers show it as "[redacted]"). null = the manager’s proxy, if any.'),
)

const configEntries = {
  name: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(200), v.description('Display name. Default: the URL host.'))),
  description: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(2000)))),
  url: v.pipe(urlSchema, v.description('Target URL (http or https).')),
  method: v.optional(v.pipe(v.picklist(['POST', 'PUT', 'PATCH']), v.description('HTTP method. Default POST.'))),
  events: v.pipe(eventsSchema, v.description('Event names, `prefix.*` wildcards or `*`.')),
  filters: v.optional(v.nullable(v.pipe(filtersSchema, v.description('Equality filters on dotted paths of the event data.')))),
  headers: v.optional(v.pipe(headersSchema, v.description('Extra HTTP headers sent with every request.'))),
  auth: v.optional(v.nullable(authWire)),
  secret: v.optional(
    v.pipe(v.string(), v.minLength(8, 'must be at least 8 characters'), v.maxLength(1024), v.description('Signing secret. Generated when left out; returned once, in the create answer.')),
  ),
  signature_scheme: v.optional(v.picklist(['hmac-sha256', 'standard-webhooks'])),
  signature_prefix: v.optional(
    v.nullable(
      v.pipe(
        signaturePrefixSchema,
        v.description('Text before the hex digest of an hmac-sha256 signature: "sha256=" (default) or "" for the bare hex seed 002’s receivers compare. null = the manager’s.'),
      ),
    ),
  ),
  rotation_signatures: v.optional(
    v.pipe(
      v.picklist(['all', 'newest', 'oldest']),
      v.description(
        'Which secrets sign during a secret rotation’s overlap: "all" (default; one signature per live secret, as Standard Webhooks and Svix do), "newest" or "oldest" (one value, for receivers that accept exactly one, such as @octokit/webhooks’ verify()).',
      ),
    ),
  ),
  active: v.optional(v.pipe(v.boolean(), v.description('false creates the webhook paused. Default true.'))),
  owner: v.optional(
    v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.description('Tenant; only for unscoped callers (scoped callers always own what they create).'))),
  ),
  timeout_ms: v.optional(v.nullable(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(100), v.maxValue(300_000)))),
  retry_policy: v.optional(v.nullable(retryPolicyWire)),
  rate_limit: v.optional(v.nullable(rateLimitInput)),
  concurrency: v.optional(v.nullable(positiveInt(1000))),
  ordering: v.optional(
    v.pipe(
      v.picklist(['unordered', 'fifo']),
      v.description('Delivery order. "fifo": one delivery at a time per ordering key, in emit order; a failing one holds those behind it until it succeeds or dies. Default "unordered".'),
    ),
  ),
  ordering_key: v.optional(
    v.nullable(
      v.pipe(
        orderingKeySchema,
        v.description('With "fifo": the message field keying the order — "event", "owner" or a dotted path under "data" or "metadata" (e.g. "data.customerId"). Different values go in parallel. null = one line for the webhook.'),
      ),
    ),
  ),
  metadata: v.optional(freeObject),
  tls: v.optional(v.nullable(tlsInput)),
  proxy: v.optional(v.nullable(proxyInput)),
}

/**
 * Other field names of create and update bodies, from the seed platforms' own request formats, so
 * their examples work as written: AGiXT's `event_types`, `is_active`, `retry_count` (retries after
 * the first attempt), `retry_delay` and `timeout` (seconds), `target_url` and `agent_id` (kept in `metadata`),
 * and the camelCase `targetUrl` / `isActive` of seed 001. Answers always use hookline's names.
 */
export const webhookAliases: readonly BodyAlias[] = Object.freeze([
  { from: 'event_types', to: 'events' },
  { from: 'is_active', to: 'active' },
  { from: 'target_url', to: 'url' },
  { from: 'targetUrl', to: 'url' },
  { from: 'isActive', to: 'active' },
  { from: 'retry_count', to: 'retry_policy.max_attempts', convert: (n: unknown) => (typeof n === 'number' ? n + 1 : n) },
  { from: 'retry_delay', to: 'retry_policy.initial_delay_ms', convert: (s: unknown) => (typeof s === 'number' ? s * 1000 : s) },
  { from: 'agent_id', to: 'metadata.agent_id' },
  { from: 'timeout', to: 'timeout_ms', convert: (s: unknown) => (typeof s === 'number' ? s * 1000 : s) },
])

/** Body of `POST /webhooks` (the seed request `{ name, url, events, secret, active }` is valid as is). */
export const createWebhookBody = v.strictObject(configEntries)

/** Body of `PATCH /webhooks/:id`: any subset of the fields; a new `secret` starts a rotation. */
export const patchWebhookBody = v.strictObject({
  ...configEntries,
  url: v.optional(configEntries.url),
  events: v.optional(configEntries.events),
})

/**
 * Body of `PUT /webhooks/:id`. With both `url` and `events` it is the whole configuration: fields
 * left out go back to their defaults (`secret` and `signature_scheme` keep their values). Without
 * them (seed 002's `{"event_types": [...], "is_active": false}`) it is a merge, like PATCH.
 */
export const putWebhookBody = patchWebhookBody

/** Body of `POST /webhooks/:id/rotate-secret`. */
export const rotateSecretBody = v.strictObject({
  secret: v.optional(v.pipe(v.string(), v.minLength(8, 'must be at least 8 characters'), v.maxLength(1024), v.description('The new secret. Generated when left out.'))),
  overlap_ms: v.optional(
    v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0), v.maxValue(30 * 86_400_000), v.description('How long the old secret keeps signing too. Default: the manager setting (24 h).')),
  ),
})

/** Body of `POST /webhooks/:id/replay`. */
export const replayBody = v.strictObject({
  since: dateTimeInput('Replay deliveries created at or after this time.'),
  until: v.optional(dateTimeInput('…and before this time. Default: now.')),
  statuses: v.optional(
    v.pipe(v.array(v.picklist(['failed', 'dead', 'succeeded'])), v.minLength(1), v.description('States to replay. Default ["failed", "dead"].')),
  ),
})

/** Query of `GET /webhooks`. */
export const listWebhooksQuery = v.object({
  status: v.optional(v.pipe(v.picklist(['active', 'paused', 'disabled']), v.description('Only webhooks in this state.'))),
  event: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be an event name such as agent.created'),
      v.description('Only webhooks subscribed to this event (by its name or a wildcard pattern such as `agent.*`).'),
    ),
  ),
  ...pageQueryEntries,
})

/** Query of `GET /webhooks/:id`. */
export const getWebhookQuery = v.object({
  include_secret: v.optional(v.pipe(v.boolean(), v.description('Also return the current signing secret.'))),
})

/** Query of `GET /webhooks/:id/stats`. */
export const statsQuery = v.object({
  since: v.optional(dateTimeInput('Only deliveries created at or after this time.')),
})

/** A webhook in an answer. Secrets appear only on create, rotation and `include_secret`. */
export const webhookOutput = v.object({
  id: v.string(),
  owner: v.nullable(v.string()),
  name: v.string(),
  description: v.nullable(v.string()),
  url: v.string(),
  method: v.picklist(['POST', 'PUT', 'PATCH']),
  events: v.array(v.string()),
  filters: v.nullable(freeObject),
  headers: v.record(v.string(), v.string()),
  auth: v.pipe(v.nullable(authWire), v.description('Credentials; passwords, tokens, keys and secrets read "[redacted]".')),
  signature_scheme: v.picklist(['hmac-sha256', 'standard-webhooks']),
  signature_prefix: v.pipe(v.nullable(v.string()), v.description('Text before the hex digest (hmac-sha256); null = the manager’s (default "sha256=").')),
  secret: v.optional(v.pipe(v.string(), v.description('Current signing secret (create, rotate-secret and include_secret only).'))),
  rotation_signatures: v.pipe(v.picklist(['all', 'newest', 'oldest']), v.description('Which secrets sign during a rotation’s overlap.')),
  previous_secret_expires_at: v.pipe(nullableDateTime, v.description('When the previous secret stops signing, during a rotation.')),
  status: v.picklist(['active', 'paused', 'disabled']),
  active: v.pipe(v.boolean(), v.description('status == "active".')),
  disabled_reason: v.nullable(v.string()),
  timeout_ms: v.nullable(v.number()),
  retry_policy: v.nullable(retryPolicyWire),
  rate_limit: v.nullable(v.object({ max: v.number(), interval_ms: v.number() })),
  concurrency: v.nullable(v.number()),
  ordering: v.pipe(v.picklist(['unordered', 'fifo']), v.description('Delivery order.')),
  ordering_key: v.pipe(v.nullable(v.string()), v.description('With "fifo": the message field keying the order; null = one line.')),
  metadata: freeObject,
  tls: v.nullable(tlsOutput),
  proxy: v.pipe(v.nullable(v.string()), v.description('CONNECT proxy URL; its password reads "[redacted]".')),
  failing_since: nullableDateTime,
  created_at: dateTimeOutput,
  updated_at: dateTimeOutput,
})

/** Answer of `GET /webhooks`. */
export const webhookListOutput = v.object({ webhooks: v.array(webhookOutput), ...pageOutputEntries })

/** Answer of `DELETE /webhooks/:id`. */
export const deletedOutput = v.object({ id: v.string(), deleted: v.literal(true) })

/** Answer of `POST /webhooks/:id/replay`. */
export const replayOutput = v.object({ replayed: v.pipe(v.number(), v.description('Deliveries made due again.')) })

/** Answer of `GET /webhooks/:id/stats`. */
export const statsOutput = v.object({
  webhook_id: v.string(),
  since: nullableDateTime,
  total: v.number(),
  succeeded: v.number(),
  failed: v.pipe(v.number(), v.description('Failing, with a retry scheduled.')),
  dead: v.pipe(v.number(), v.description('Gave up.')),
  pending: v.pipe(v.number(), v.description('Waiting or in flight.')),
  attempts: v.number(),
  average_duration_ms: v.nullable(v.number()),
  p95_duration_ms: v.nullable(v.number()),
  success_rate: v.pipe(v.nullable(v.number()), v.description('succeeded / (succeeded + failed + dead), 0–1.')),
  last_attempt_at: nullableDateTime,
})

export type CreateWebhookBody = v.InferOutput<typeof createWebhookBody>
export type PatchWebhookBody = v.InferOutput<typeof patchWebhookBody>
export type WebhookOutput = v.InferOutput<typeof webhookOutput>
export type StatsOutput = v.InferOutput<typeof statsOutput>
