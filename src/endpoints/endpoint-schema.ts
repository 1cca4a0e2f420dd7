import * as v from 'valibot'
import { EVENT_PATTERN } from '../events/match-pattern.js'
import type { SignatureScheme } from '../signature/types.js'
import type { EndpointAuth, EndpointOrdering, EndpointTls, RetryPolicy, RotationSignatures } from '../types.js'
import { isNotRedacted, REDACTED_INPUT_MESSAGE } from '../util/sensitive-header.js'
import { noControlCharacters, notSealedLike, proseText } from '../validation/text-checks.js'
import { findTlsProblem } from './tls-check.js'

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/**
 * Headers hookline sets itself, and hop-by-hop headers the HTTP client manages (undici refuses
 * them): an endpoint may not set them.
 */
const RESERVED_HEADERS = new Set([
  'content-length',
  'host',
  'transfer-encoding',
  'connection',
  'expect',
  'upgrade',
  'keep-alive',
  'te',
  'trailer',
  'proxy-connection',
])

/** A header value HTTP can carry: bytes of Latin-1, no control characters (C0, DEL, C1) but tab. */
const HEADER_VALUE = /^[\t\x20-\x7e\xa0-\xff]*$/

const positiveInt = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max))

/** Schema of an HTTP(S) URL. */
export const urlSchema = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(2048),
  // The URL parser drops tabs and line breaks silently; what is stored must be what was checked.
  noControlCharacters(),
  v.check(isHttpUrl, 'must be an absolute http(s) URL'),
  // Credentials in a URL would be stored, listed and logged: they belong in `auth`.
  v.check(hasNoCredentials, 'must not contain a username or password; use `auth: { type: "basic", … }`'),
)

function hasNoCredentials(value: string): boolean {
  try {
    const { username, password } = new URL(value)
    return username === '' && password === ''
  } catch {
    return true
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value)
    return protocol === 'http:' || protocol === 'https:'
  } catch {
    return false
  }
}

/** Schema of a list of event patterns. */
export const eventsSchema = v.pipe(
  v.array(v.pipe(v.string(), v.regex(EVENT_PATTERN, 'must be an event name, `prefix.*` or `*`'))),
  v.minLength(1, 'must list at least one event'),
  v.maxLength(500),
)

/** Schema of custom request headers. */
export const headersSchema = v.pipe(
  v.record(
    v.pipe(
      v.string(),
      v.regex(HEADER_NAME, 'must be a valid HTTP header name'),
      v.check((h) => !RESERVED_HEADERS.has(h.toLowerCase()), 'is set by hookline and cannot be overridden'),
    ),
    v.pipe(
      v.string(),
      v.check((s) => !/[\r\n]/.test(s), 'must not contain line breaks'),
      v.check((s) => /[\r\n]/.test(s) || HEADER_VALUE.test(s), 'must hold only Latin-1 characters and no control characters (HTTP header values are bytes)'),
      v.check(isNotRedacted, REDACTED_INPUT_MESSAGE), notSealedLike(),
      v.maxLength(8192),
    ),
  ),
  // Seed 002's Slack and Discord examples set `Content-Type: application/json` themselves: a value
  // equal to what hookline sends is accepted (and changes nothing); any other is refused.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    for (const [name, value] of Object.entries(dataset.value)) {
      if (name.toLowerCase() === 'content-type' && !isJsonContentType(value)) {
        addIssue({
          message: `is set by hookline to application/json and cannot be overridden (got ${JSON.stringify(value)})`,
          path: [{ type: 'object', origin: 'value', input: dataset.value, key: name, value }],
        })
      }
    }
  }),
)

/** `application/json`, optionally with `charset=utf-8` — what hookline sends, in any letter case. */
function isJsonContentType(value: string): boolean {
  return /^\s*application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(value)
}

/** Schema of endpoint credentials. */
export const authSchema = v.variant('type', [
  v.object({
    type: v.literal('basic'),
    username: v.pipe(v.string(), v.minLength(1), noControlCharacters()),
    password: v.pipe(v.string(), noControlCharacters(), v.check(isNotRedacted, REDACTED_INPUT_MESSAGE), notSealedLike()),
  }),
  v.object({ type: v.literal('bearer'), token: v.pipe(v.string(), v.minLength(1), noControlCharacters(), v.check(isNotRedacted, REDACTED_INPUT_MESSAGE), notSealedLike()) }),
  v.object({
    type: v.literal('api-key'),
    key: v.pipe(v.string(), v.minLength(1), noControlCharacters(), v.check(isNotRedacted, REDACTED_INPUT_MESSAGE), notSealedLike()),
    headerName: v.optional(v.pipe(v.string(), v.regex(HEADER_NAME, 'must be a valid HTTP header name'))),
  }),
  v.object({
    type: v.literal('hmac'),
    secret: v.pipe(v.string(), v.minLength(8), noControlCharacters(), v.check(isNotRedacted, REDACTED_INPUT_MESSAGE), notSealedLike()),
    headerName: v.optional(v.pipe(v.string(), v.regex(HEADER_NAME, 'must be a valid HTTP header name'))),
  }),
])

/** Schema of a (partial) retry policy. */
export const retryPolicySchema = v.pipe(
  v.strictObject({
    strategy: v.optional(v.picklist(['exponential', 'linear', 'fixed', 'schedule'])),
    maxAttempts: v.optional(positiveInt(100)),
    initialDelayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    maxDelayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    factor: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(10))),
    schedule: v.optional(v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(0))), v.minLength(1), v.maxLength(100))),
    jitter: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
    retryWindowMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    respectRetryAfter: v.optional(v.boolean()),
  }),
  v.check((p) => p.strategy !== 'schedule' || p.schedule !== undefined, 'strategy `schedule` needs a `schedule` list'),
)

/** Schema of an outgoing rate limit. */
export const rateLimitSchema = v.strictObject({
  max: positiveInt(1_000_000),
  intervalMs: v.optional(positiveInt(86_400_000), 1000),
})

/**
 * Schema of an `hmac-sha256` signature prefix: `'sha256='`, `''` (bare hex, what seed 002's
 * receiver compares) or another short token. No spaces or commas: they separate the signatures of
 * a rotation.
 */
export const signaturePrefixSchema = v.pipe(
  v.string(),
  v.maxLength(32),
  v.regex(/^[\x21-\x2b\x2d-\x7e]*$/, 'must be printable ASCII without spaces or commas, e.g. "sha256=" or ""'),
)

const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/
const pem = (what: string) => v.pipe(v.string(), v.maxLength(262_144), v.check(isNotRedacted, REDACTED_INPUT_MESSAGE), notSealedLike(), v.regex(PEM, `must be PEM text (-----BEGIN …-----) of ${what}`))

/** Schema of an endpoint's TLS settings: a client certificate and its key together, and/or a CA bundle. */
export const tlsSchema = v.pipe(
  v.strictObject({
    cert: v.optional(v.nullable(pem('a certificate'))),
    key: v.optional(v.nullable(pem('a private key'))),
    passphrase: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(1024), noControlCharacters(), v.check(isNotRedacted, REDACTED_INPUT_MESSAGE), notSealedLike()))),
    ca: v.optional(v.nullable(pem('CA certificates'))),
  }),
  v.check((t) => !t.cert === !t.key, 'needs both `cert` and `key` (a client certificate and its private key), or neither'),
  v.check((t) => Boolean(t.cert || t.ca), 'must set `cert` and `key`, or `ca`'),
  v.check((t) => !t.passphrase || Boolean(t.key), 'a `passphrase` needs the encrypted `key` it opens'),
  v.rawCheck(({ dataset, addIssue }) => {
    // Loaded only when every field passed its own checks (a redacted placeholder opens nothing).
    if (!dataset.typed || dataset.issues !== undefined) return
    const problem = findTlsProblem(dataset.value)
    if (problem === null) return
    const value = dataset.value[problem.field]
    addIssue({ message: problem.message, path: [{ type: 'object', origin: 'value', input: dataset.value, key: problem.field, value }] })
  }),
)

/** Schema of a CONNECT proxy URL: http(s), a host, optional credentials, nothing else. */
export const proxySchema = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(2048),
  v.check(isProxyUrl, 'must be an http:// or https:// proxy URL with a host and nothing after the port (user:password@ allowed)'),
  v.check((value) => !value.includes(encodeURIComponent('[redacted]')) && !value.includes('[redacted]'), REDACTED_INPUT_MESSAGE),
)

function isProxyUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === ''
  } catch {
    return false
  }
}

/**
 * Schema of an ordering key path: `event`, `owner`, or a dotted path under `data` or `metadata`
 * (`data.customerId`, `metadata.tenant.id`).
 */
export const orderingKeySchema = v.pipe(
  v.string(),
  v.maxLength(200),
  v.regex(/^(event|owner|(data|metadata)(\.[^.\s]+)+)$/, 'must be `event`, `owner` or a dotted path under `data` or `metadata`, e.g. "data.customerId"'),
)

/** Schema of payload filters (values are checked further by `assertStorableJson`). */
export const filtersSchema = v.record(v.pipe(v.string(), v.minLength(1)), v.unknown())

const endpointFields = {
  name: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200), noControlCharacters())),
  description: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(2000), proseText()))),
  url: urlSchema,
  method: v.optional(v.picklist(['POST', 'PUT', 'PATCH'])),
  events: eventsSchema,
  filters: v.optional(v.nullable(filtersSchema)),
  headers: v.optional(headersSchema),
  auth: v.optional(v.nullable(authSchema)),
  secret: v.optional(v.pipe(v.string(), v.minLength(8, 'must be at least 8 characters'), v.maxLength(1024), noControlCharacters(), notSealedLike())),
  signatureScheme: v.optional(v.picklist(['hmac-sha256', 'standard-webhooks'])),
  signaturePrefix: v.optional(v.nullable(signaturePrefixSchema)),
  rotationSignatures: v.optional(v.picklist(['all', 'newest', 'oldest'], 'must be "all", "newest" or "oldest"')),
  active: v.optional(v.boolean()),
  owner: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(200), noControlCharacters()))),
  timeoutMs: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(300_000)))),
  retryPolicy: v.optional(v.nullable(retryPolicySchema)),
  rateLimit: v.optional(v.nullable(rateLimitSchema)),
  concurrency: v.optional(v.nullable(positiveInt(1000))),
  ordering: v.optional(v.picklist(['unordered', 'fifo'])),
  orderingKey: v.optional(v.nullable(orderingKeySchema)),
  metadata: v.optional(v.record(v.string(), v.unknown())),
  tls: v.optional(v.nullable(tlsSchema)),
  proxy: v.optional(v.nullable(proxySchema)),
}

/** Schema of `createEndpoint` input. */
export const createEndpointSchema = v.strictObject(endpointFields)

/** Schema of `updateEndpoint` input: every field optional. */
export const updateEndpointSchema = v.strictObject({
  ...endpointFields,
  url: v.optional(urlSchema),
  events: v.optional(eventsSchema),
})

/** Input of `createEndpoint`. Validated with {@link createEndpointSchema}; unknown fields are refused. */
export interface CreateEndpointInput {
  /** Target URL (http or https). */
  url: string
  /** Event patterns: exact names (`agent.created`), `prefix.*`, `*.suffix` or `*`. At least one. */
  events: string[]
  /** Human-readable name, 1–200 characters. @default the URL's host */
  name?: string
  /** Free text, up to 2000 characters. */
  description?: string | null
  /** HTTP method. @default 'POST' */
  method?: 'POST' | 'PUT' | 'PATCH'
  /** Equality filters on payload fields (dotted paths; an array value means any of). @default null */
  filters?: Record<string, unknown> | null
  /** Custom request headers; hookline's own (`Content-Type`, `User-Agent`, `X-Webhook-*`, `Host`, …) and the `auth` header cannot be overridden, in any letter case. @default {} */
  headers?: Record<string, string>
  /** Credentials sent with every request. @default null */
  auth?: EndpointAuth | null
  /** Signing secret (at least 8 characters; `whsec_…` base64 for Standard Webhooks). @default generated */
  secret?: string
  /** Signature scheme. @default the manager's `signatureScheme` ('hmac-sha256') */
  signatureScheme?: SignatureScheme
  /**
   * Text before the hex digest in an `hmac-sha256` signature header: `'sha256='` gives
   * `sha256=<hex>`, `''` the bare hex that seed 002's receiver compares. `null` = the manager's
   * `signaturePrefix`. Ignored by `'standard-webhooks'`.
   * @default null (the manager's, `'sha256='`)
   */
  signaturePrefix?: string | null
  /**
   * Which secrets sign during a secret rotation's overlap: `'all'` (one signature per live secret,
   * as Standard Webhooks and Svix do), `'newest'` or `'oldest'` (one value, for receivers that
   * accept exactly one, such as `@octokit/webhooks`' `verify()`). See {@link RotationSignatures}.
   * @default 'all'
   */
  rotationSignatures?: RotationSignatures
  /** `false` creates the endpoint paused. @default true */
  active?: boolean
  /** Tenant (user or company) owning the endpoint. @default null */
  owner?: string | null
  /** Request timeout in ms, 100–300 000. @default the manager's `timeoutMs` */
  timeoutMs?: number | null
  /** Retry policy fields overriding the manager's. @default null */
  retryPolicy?: Partial<RetryPolicy> | null
  /** Outgoing rate limit: at most `max` requests reach the receiver in any `intervalMs` window (default 1000). @default null (unlimited) */
  rateLimit?: { max: number; intervalMs?: number } | null
  /** Requests in flight at once, 1–1000. @default the manager's `endpointConcurrency` */
  concurrency?: number | null
  /**
   * Delivery order. `'fifo'`: deliveries go out one at a time in emit order (per `orderingKey`),
   * and a failing delivery holds the ones behind it through its retries until it succeeds or
   * dies. Throughput of one line is then one request per round trip. Applies to deliveries emitted
   * while it is set. See docs/outgoing.md, "Ordered delivery".
   * @default 'unordered'
   */
  ordering?: EndpointOrdering
  /**
   * With `ordering: 'fifo'`: the message field whose value at emit time keys the order — `event`,
   * `owner`, or a dotted path under `data` or `metadata`. Deliveries with one value go one at a
   * time; different values go in parallel. A message without a value there joins the line of
   * messages without one. Ignored while the endpoint is unordered.
   * @default null (one line for the whole endpoint)
   * @example 'data.customerId'
   */
  orderingKey?: string | null
  /** Free-form data of the host application. @default {} */
  metadata?: Record<string, unknown>
  /**
   * Mutual TLS and trust for this endpoint's receiver (PEM): `cert` + `key` (a client certificate
   * and its private key, presented during the handshake; `passphrase` opens an encrypted key)
   * and/or `ca` (certificates trusted in addition to Node's roots). Checked on save: the
   * certificate parses, the key opens and belongs to it. The key and the passphrase read
   * `[redacted]` in every view.
   * @default null
   * @example { cert: readFileSync('client.crt', 'utf8'), key: readFileSync('client.key', 'utf8') }
   */
  tls?: EndpointTls | null
  /**
   * CONNECT proxy for this endpoint's requests (`http://` or `https://`, credentials as
   * `user:password@`): e.g. to leave from a static egress IP. The password reads `[redacted]` in
   * every view. The egress guard still checks the final destination; the proxy itself is trusted.
   * @default null (the manager's `proxy`, if any)
   * @example 'http://hooks:s3cret@egress-proxy.internal:3128'
   */
  proxy?: string | null
}

/** Input of `updateEndpoint`: any subset of the create fields. A new `secret` starts a rotation. */
export type UpdateEndpointInput = Partial<CreateEndpointInput>

// Compile-time guarantee that the documented interfaces and the schemas accept the same input.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const createMatches: Same<Required<CreateEndpointInput>, Required<v.InferInput<typeof createEndpointSchema>>> = true
const updateMatches: Same<Required<UpdateEndpointInput>, Required<v.InferInput<typeof updateEndpointSchema>>> = true
void createMatches
void updateMatches
