import * as v from 'valibot'
import { EVENT_PATTERN } from '../events/match-pattern.js'

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Headers hookline sets itself; an endpoint may not override them. */
const RESERVED_HEADERS = new Set(['content-length', 'host', 'transfer-encoding', 'connection', 'content-type'])

const positiveInt = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max))

/** Schema of an HTTP(S) URL. */
export const urlSchema = v.pipe(v.string(), v.trim(), v.maxLength(2048), v.check(isHttpUrl, 'must be an absolute http(s) URL'))

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
    v.pipe(v.string(), v.check((s) => !/[\r\n]/.test(s), 'must not contain line breaks'), v.maxLength(8192)),
  ),
)

/** Schema of endpoint credentials. */
export const authSchema = v.variant('type', [
  v.object({ type: v.literal('basic'), username: v.pipe(v.string(), v.minLength(1)), password: v.string() }),
  v.object({ type: v.literal('bearer'), token: v.pipe(v.string(), v.minLength(1)) }),
  v.object({
    type: v.literal('api-key'),
    key: v.pipe(v.string(), v.minLength(1)),
    headerName: v.optional(v.pipe(v.string(), v.regex(HEADER_NAME, 'must be a valid HTTP header name'))),
  }),
  v.object({
    type: v.literal('hmac'),
    secret: v.pipe(v.string(), v.minLength(8)),
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

/** Schema of payload filters. */
export const filtersSchema = v.record(v.pipe(v.string(), v.minLength(1)), v.unknown())

const endpointFields = {
  name: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200))),
  description: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(2000)))),
  url: urlSchema,
  method: v.optional(v.picklist(['POST', 'PUT', 'PATCH'])),
  events: eventsSchema,
  filters: v.optional(v.nullable(filtersSchema)),
  headers: v.optional(headersSchema),
  auth: v.optional(v.nullable(authSchema)),
  secret: v.optional(v.pipe(v.string(), v.minLength(8, 'must be at least 8 characters'), v.maxLength(1024))),
  signatureScheme: v.optional(v.picklist(['hmac-sha256', 'standard-webhooks'])),
  active: v.optional(v.boolean()),
  owner: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(200)))),
  timeoutMs: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(300_000)))),
  retryPolicy: v.optional(v.nullable(retryPolicySchema)),
  rateLimit: v.optional(v.nullable(rateLimitSchema)),
  concurrency: v.optional(v.nullable(positiveInt(1000))),
  metadata: v.optional(v.record(v.string(), v.unknown())),
}

/** Schema of `createEndpoint` input. */
export const createEndpointSchema = v.strictObject(endpointFields)

/** Schema of `updateEndpoint` input: every field optional. */
export const updateEndpointSchema = v.strictObject({
  ...endpointFields,
  url: v.optional(urlSchema),
  events: v.optional(eventsSchema),
})

/** Input of `createEndpoint`. */
export type CreateEndpointInput = v.InferInput<typeof createEndpointSchema>
/** Input of `updateEndpoint`. */
export type UpdateEndpointInput = v.InferInput<typeof updateEndpointSchema>
