import { MAX_RATE_LIMIT_PER_MINUTE } from '../../incoming/incoming-schema.js'
import * as v from 'valibot'
import type { BodyAlias } from '../route.js'
import { dateTimeInput, dateTimeOutput, freeObject, pageOutputEntries, pageQueryEntries } from '../common-schemas.js'

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const secret = v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(1024))
const tolerance = v.optional(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1), v.maxValue(86_400)))

/** Signature check of incoming requests (wire form). */
export const verificationWire = v.variant('type', [
  v.strictObject({ type: v.literal('standard-webhooks'), secret, tolerance_seconds: tolerance }),
  v.strictObject({ type: v.literal('github'), secret }),
  v.strictObject({ type: v.literal('stripe'), secret, tolerance_seconds: tolerance }),
  v.strictObject({
    type: v.literal('hmac'),
    secret,
    header: v.pipe(v.string(), v.regex(HEADER_NAME, 'must be a valid HTTP header name')),
    encoding: v.optional(v.picklist(['hex', 'base64'])),
    prefix: v.optional(v.pipe(v.string(), v.maxLength(64))),
  }),
])

const hookEntries = {
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(200)),
  description: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(2000)))),
  active: v.optional(v.pipe(v.boolean(), v.description('Inactive hooks answer 404. Default true.'))),
  route: v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, 'must name a handler registered with onIncoming()'),
    v.maxLength(200),
    v.description('Host handler the payload goes to (registered with `manager.onIncoming(route, …)`).'),
  ),
  transform: v.optional(
    v.nullable(
      v.pipe(
        v.union([v.string(), freeObject], 'must be a template string or an object of templates'),
        v.description('Nunjucks template (string) or object of templates that reshapes the payload; null = passthrough.'),
      ),
    ),
  ),
  rate_limit_per_minute: v.optional(v.pipe(v.nullable(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1), v.maxValue(MAX_RATE_LIMIT_PER_MINUTE))), v.description('Requests accepted per minute, up to 10 000 000; null = no limit. Default 100.'))),
  allowed_ips: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.maxLength(1000), v.description('Addresses or CIDR ranges; empty = any.'))),
  verification: v.optional(v.nullable(verificationWire)),
  dedupe_window_ms: v.optional(v.nullable(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1000), v.maxValue(30 * 86_400_000)))),
  dedupe_header: v.optional(v.nullable(v.pipe(v.string(), v.regex(HEADER_NAME, 'must be a valid HTTP header name')))),
  max_body_bytes: v.optional(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1), v.maxValue(64 * 1_048_576))),
  metadata: v.optional(freeObject),
  owner: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.description('Tenant; only for unscoped callers.')))),
}

/**
 * AGiXT's (seed 002) names of incoming-hook fields, accepted on create, PATCH and PUT: `agent_id`
 * (the route; a number becomes its decimal string), `is_active`, `transform_template` and
 * `payload_transformation` (a template string or an object whose string leaves are templates),
 * `rate_limit` (requests per minute).
 */
export const incomingAliases: readonly BodyAlias[] = Object.freeze([
  { from: 'agent_id', to: 'route', convert: (id: unknown) => (typeof id === 'number' && Number.isFinite(id) ? String(id) : id) },
  { from: 'is_active', to: 'active' },
  { from: 'transform_template', to: 'transform' },
  { from: 'payload_transformation', to: 'transform' },
  { from: 'rate_limit', to: 'rate_limit_per_minute' },
])

/** Body of `POST /incoming`. */
export const createIncomingBody = v.strictObject(hookEntries)

/** Body of `PATCH /incoming/:id`. */
export const patchIncomingBody = v.strictObject({ ...hookEntries, name: v.optional(hookEntries.name), route: v.optional(hookEntries.route) })

/** Query of `GET /incoming`. */
export const listIncomingQuery = v.object({ ...pageQueryEntries })

/** Query of `GET /incoming/:id/logs`. */
export const listIncomingLogsQuery = v.object({ ...pageQueryEntries })

/** An incoming hook in an answer. The token is returned once, on create. */
export const incomingHookOutput = v.object({
  id: v.string(),
  owner: v.nullable(v.string()),
  name: v.string(),
  description: v.nullable(v.string()),
  active: v.boolean(),
  route: v.string(),
  token: v.optional(v.pipe(v.string(), v.description('The secret token of the hook URL (create only; store it now).'))),
  path: v.optional(v.pipe(v.string(), v.description('Path to post to, `<incoming mount path>/<token>` (create only).'))),
  token_prefix: v.pipe(v.string(), v.description('First characters of the token, to recognise it.')),
  transform: v.nullable(v.union([v.string(), freeObject])),
  rate_limit_per_minute: v.pipe(v.nullable(v.number()), v.description('null = no limit.')),
  allowed_ips: v.array(v.string()),
  verification: v.pipe(v.nullable(verificationWire), v.description('Secrets read "[redacted]".')),
  dedupe_window_ms: v.nullable(v.number()),
  dedupe_header: v.nullable(v.string()),
  max_body_bytes: v.number(),
  version: v.number(),
  metadata: freeObject,
  created_at: dateTimeOutput,
  updated_at: dateTimeOutput,
})

/** One request an incoming hook received. */
export const incomingLogOutput = v.object({
  id: v.string(),
  hook_id: v.nullable(v.string()),
  route: v.nullable(v.string()),
  status: v.pipe(v.number(), v.description('HTTP status answered.')),
  error: v.nullable(v.string()),
  source_ip: v.nullable(v.string()),
  headers: v.pipe(v.record(v.string(), v.string()), v.description('Credentials and signatures redacted.')),
  payload: v.pipe(v.nullable(v.string()), v.description('Request body, truncated.')),
  delivery_key: v.nullable(v.string()),
  duration_ms: v.number(),
  received_at: dateTimeOutput,
})

/** Answer of `GET /incoming`. */
export const incomingListOutput = v.object({ incoming_hooks: v.array(incomingHookOutput), ...pageOutputEntries })

/** Query of `GET /incoming/:id/stats`. */
export const incomingStatsQuery = v.object({
  since: v.optional(dateTimeInput('Only requests received at or after this time.')),
})

/** Answer of `GET /incoming/:id/stats`. */
export const incomingStatsOutput = v.object({
  hook_id: v.string(),
  since: v.nullable(dateTimeOutput),
  total: v.pipe(v.number(), v.description('Requests logged.')),
  succeeded: v.pipe(v.number(), v.description('Answered with a 2xx.')),
  failed: v.pipe(v.number(), v.description('Answered with anything else: refused (401, 403, 413, 429 …), failed or not transformed.')),
  success_rate: v.nullable(v.number()),
  average_duration_ms: v.nullable(v.number()),
  p95_duration_ms: v.nullable(v.number()),
  by_status: v.pipe(v.record(v.string(), v.number()), v.description('Requests per status answered, e.g. {"200": 12, "401": 1}.')),
  last_received_at: v.nullable(dateTimeOutput),
})

/** Answer of `GET /incoming/:id/logs`. */
export const incomingLogListOutput = v.object({ logs: v.array(incomingLogOutput), ...pageOutputEntries })

export type CreateIncomingBody = v.InferOutput<typeof createIncomingBody>
export type PatchIncomingBody = v.InferOutput<typeof patchIncomingBody>
export type IncomingHookOutput = v.InferOutput<typeof incomingHookOutput>
export type IncomingLogOutput = v.InferOutput<typeof incomingLogOutput>
export type IncomingStatsOutput = v.InferOutput<typeof incomingStatsOutput>
