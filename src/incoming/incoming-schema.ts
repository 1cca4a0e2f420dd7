import * as v from 'valibot'
import { decodeStandardSecret } from '../signature/standard-webhooks.js'
import { isNotRedacted, REDACTED_INPUT_MESSAGE } from '../util/sensitive-header.js'
import { noControlCharacters, notSealedLike, proseText } from '../validation/text-checks.js'
import { isIpRule } from './ip-allowlist.js'
import { MAX_TEMPLATE_CHARS } from './sandbox-rules.js'

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

const headerName = v.pipe(v.string(), v.regex(HEADER_NAME, 'must be a valid HTTP header name'), v.maxLength(200))
const secret = v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(1024), noControlCharacters(), v.check(isNotRedacted, REDACTED_INPUT_MESSAGE), notSealedLike())
const tolerance = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86_400))

function isStandardSecret(value: string): boolean {
  try {
    decodeStandardSecret(value)
    return true
  } catch {
    return false
  }
}

/** Schema of an incoming hook's signature check. */
export const verificationSchema = v.variant('type', [
  v.strictObject({
    type: v.literal('standard-webhooks'),
    secret: v.pipe(secret, v.check(isStandardSecret, 'must be "whsec_" followed by base64 key bytes')),
    toleranceSeconds: v.optional(tolerance),
  }),
  v.strictObject({ type: v.literal('github'), secret }),
  v.strictObject({ type: v.literal('stripe'), secret, toleranceSeconds: v.optional(tolerance) }),
  v.strictObject({
    type: v.literal('hmac'),
    secret,
    header: headerName,
    encoding: v.optional(v.picklist(['hex', 'base64'])),
    prefix: v.optional(v.pipe(v.string(), v.maxLength(64), noControlCharacters())),
  }),
])

/** Schema of a transform: a template string or an object of templates (checked further by the sandbox). */
export const transformSchema = v.nullable(
  v.union(
    [v.pipe(v.string(), v.maxLength(MAX_TEMPLATE_CHARS)), v.record(v.string(), v.unknown())],
    'must be a template string or an object of templates',
  ),
)

/**
 * Highest `rateLimitPerMinute`. The limiter keeps one timestamp per request inside the window, so
 * this bounds its memory per hook (~80 MB at the cap); for no limit at all, pass `null`.
 */
export const MAX_RATE_LIMIT_PER_MINUTE = 10_000_000

const hookFields = {
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(200), noControlCharacters()),
  description: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(2000), proseText()))),
  active: v.optional(v.boolean()),
  route: v.pipe(v.string(), v.trim(), v.minLength(1, 'must name a handler registered with onIncoming()'), v.maxLength(200), noControlCharacters()),
  owner: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(200), noControlCharacters()))),
  transform: v.optional(transformSchema),
  rateLimitPerMinute: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_RATE_LIMIT_PER_MINUTE)))),
  allowedIps: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.trim(), v.check(isIpRule, 'must be an IPv4 or IPv6 address or CIDR range'))),
      v.maxLength(1000),
    ),
  ),
  verification: v.optional(v.nullable(verificationSchema)),
  dedupeWindowMs: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1000), v.maxValue(30 * 86_400_000)))),
  dedupeHeader: v.optional(v.nullable(headerName)),
  maxBodyBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64 * 1024 * 1024))),
  metadata: v.optional(v.record(v.string(), v.unknown())),
}

/** Schema of `createIncomingHook` input. */
export const createIncomingHookSchema = v.strictObject(hookFields)

/** Schema of `updateIncomingHook` input: every field optional. */
export const updateIncomingHookSchema = v.strictObject({
  ...hookFields,
  name: v.optional(hookFields.name),
  route: v.optional(hookFields.route),
})

/**
 * Input of `createIncomingHook`.
 *
 * - `name` — human-readable name (required).
 * - `route` — the host handler the payload goes to, registered with `onIncoming(route, …)` (seed
 *   AGiXT's `agent_id`; required).
 * - `description`, `owner`, `metadata` — free data; `owner` scopes management calls to a tenant.
 * - `active` — inactive hooks answer 404. Default `true`.
 * - `transform` — Nunjucks template (string) or object of templates; `null` passes the payload through.
 * - `rateLimitPerMinute` — requests accepted per minute (sliding window), 1 to 10 000 000; `null` =
 *   no limit. Default 100.
 * - `allowedIps` — addresses and CIDR ranges, IPv4 and IPv6; empty = any source. Default `[]`.
 * - `verification` — signature preset (`standard-webhooks`, `github`, `stripe`, `hmac`); `null` = none.
 * - `dedupeWindowMs` — repeated delivery ids within this window are acknowledged without calling
 *   the handler again; `null` = off (default).
 * - `dedupeHeader` — header holding the delivery id. Default: the preset's (`webhook-id`,
 *   `X-GitHub-Delivery`), else the first of `webhook-id`, `x-webhook-id`, `idempotency-key`.
 * - `maxBodyBytes` — largest accepted body in bytes; larger → 413. Default 1 048 576.
 */
export type CreateIncomingHookInput = v.InferInput<typeof createIncomingHookSchema>

/** Input of `updateIncomingHook`: any field of {@link CreateIncomingHookInput}. */
export type UpdateIncomingHookInput = v.InferInput<typeof updateIncomingHookSchema>
