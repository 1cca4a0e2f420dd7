import * as v from 'valibot'
import type { EgressLookup } from '../dispatch/egress-guard.js'
import { ValidationError, type FieldIssue } from '../errors.js'
import { proxySchema, retryPolicySchema, signaturePrefixSchema } from '../endpoints/endpoint-schema.js'
import { toFieldIssues } from '../validation/parse.js'
import type { WebhookManagerOptions } from './options.js'

/** Longest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** A header value HTTP can carry: Latin-1 without control characters but tab. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
/** No control characters (C0, DEL, C1). */
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/

const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max))
/** A duration in ms that a timer waits for: > 0 and at most what `setTimeout` honours. */
const timerMs = v.pipe(v.number(), v.gtValue(0), v.maxValue(MAX_TIMER_MS))
/** A duration in ms compared with the clock only (no timer): ≥ 0 and finite. */
const durationMs = v.pipe(v.number(), v.minValue(0), v.finite())
const fieldName = v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.regex(NO_CONTROL, 'must not contain control characters'))
const headerName = v.pipe(v.string(), v.regex(HEADER_NAME, 'must be a valid HTTP header name'), v.maxLength(100))

function hasMethods(value: unknown, names: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return names.every((name) => typeof record[name] === 'function')
}

const retentionSchema = v.strictObject({
  olderThanMs: v.optional(durationMs),
  intervalMs: v.optional(timerMs),
})

const STORE_METHODS = ['migrate', 'close', 'enqueue', 'claim', 'complete', 'release', 'nextDueAt', 'getEndpoint', 'listEndpoints'] as const

/**
 * Schema of `createWebhookManager` options: every option of {@link WebhookManagerOptions}, unknown
 * keys refused (at every level). Adding an option to the interface without adding it here fails
 * to compile (see the check at the end of this file).
 */
export const managerOptionsSchema = v.strictObject({
  store: v.optional(
    v.custom<WebhookManagerOptions['store'] & object>((s) => hasMethods(s, STORE_METHODS), 'must be a hookline store (memoryStore(), sqliteStore(), postgresStore())'),
  ),
  clock: v.optional(v.custom<NonNullable<WebhookManagerOptions['clock']>>((c) => hasMethods(c, ['now']), 'must be an object with a now() method returning ms')),
  autoMigrate: v.optional(v.boolean()),
  concurrency: v.optional(count(100_000)),
  endpointConcurrency: v.optional(count(100_000)),
  batchSize: v.optional(count(100_000)),
  leaseMs: v.optional(timerMs),
  pollIntervalMs: v.optional(timerMs),
  timeoutMs: v.optional(timerMs),
  maxResponseBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 30))),
  retryPolicy: v.optional(retryPolicySchema),
  breaker: v.optional(
    v.strictObject({
      failureThreshold: v.optional(count(1_000_000)),
      cooldownMs: v.optional(timerMs),
      enabled: v.optional(v.boolean()),
    }),
  ),
  disableAfterFailingMs: v.optional(v.nullable(durationMs)),
  signatureScheme: v.optional(v.picklist(['hmac-sha256', 'standard-webhooks'])),
  secretRotationOverlapMs: v.optional(durationMs),
  envelope: v.optional(
    v.strictObject({
      id: v.optional(v.nullable(fieldName)),
      event: v.optional(fieldName),
      timestamp: v.optional(v.nullable(fieldName)),
      webhookId: v.optional(v.nullable(fieldName)),
      data: v.optional(fieldName),
      metadata: v.optional(v.nullable(fieldName)),
    }),
  ),
  headerNames: v.optional(
    v.strictObject({
      event: v.optional(headerName),
      id: v.optional(headerName),
      timestamp: v.optional(headerName),
      signature: v.optional(headerName),
      delivery: v.optional(headerName),
      attempt: v.optional(headerName),
    }),
  ),
  telemetry: v.optional(v.union([v.literal(false), v.strictObject({ traceparent: v.optional(v.boolean()) })])),
  portalSecret: v.optional(v.pipe(v.string(), v.minLength(32, 'must be at least 32 characters'), v.maxLength(1024))),
  signaturePrefix: v.optional(signaturePrefixSchema),
  userAgent: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1000), v.regex(HEADER_VALUE, 'must hold only Latin-1 characters and no control characters'))),
  strictEventTypes: v.optional(v.boolean()),
  endpointCacheTtlMs: v.optional(durationMs),
  // `false`, or the settings object (lazy rather than a union, so a bad field is named itself).
  retention: v.optional(v.lazy((input) => (input === false ? v.literal(false) : retentionSchema))),
  fetch: v.optional(v.custom<typeof fetch>((f) => typeof f === 'function', 'must be a fetch function')),
  incomingPath: v.optional(v.pipe(v.string(), v.maxLength(1000), v.regex(/^[^\s\u0000-\u001f\u007f?#]*$/, 'must be a URL path without spaces, control characters, `?` or `#`'))),
  leaseOnEmit: v.optional(v.boolean()),
  workerId: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.regex(NO_CONTROL, 'must not contain control characters'))),
  workerHeartbeat: v.optional(
    v.lazy((input) =>
      input === false
        ? v.literal(false)
        : v.strictObject({ intervalMs: v.optional(timerMs), lostAfterMs: v.optional(timerMs), keepStoppedMs: v.optional(durationMs) }),
    ),
  ),
  proxy: v.optional(proxySchema),
  // The entries themselves (host, address or CIDR range) are checked by EgressPolicy, naming `egress.allow.N`.
  egress: v.optional(
    v.strictObject({
      allow: v.optional(v.array(v.string())),
      allowPrivateNetworks: v.optional(v.boolean()),
      lookup: v.optional(v.custom<EgressLookup>((f) => typeof f === 'function', 'must be a function (hostname) => addresses')),
    }),
  ),
  // Shapes only; lengths, id syntax and uniqueness are checked by createSecretCodec, naming the field.
  encryptionKeys: v.optional(
    v.array(
      v.strictObject({
        id: v.string(),
        key: v.custom<Uint8Array | string>((k) => typeof k === 'string' || k instanceof Uint8Array, 'must be 32 bytes as a Buffer / Uint8Array or base64 text'),
      }),
    ),
  ),
})

/**
 * Validates `createWebhookManager` options. Throws a {@link ValidationError} naming every bad
 * option (`retryPolicy.strategy`, …); an unknown key is named with the closest known one.
 */
export function validateManagerOptions(options: unknown): void {
  if (options === undefined) return
  const result = v.safeParse(managerOptionsSchema, options, { abortEarly: false })
  if (result.success) return
  const issues = toFieldIssues(result.issues).map((issue) => withSuggestion(issue))
  throw new ValidationError('manager options', issues)
}

/** Adds "did you mean `x`?" to an unknown key's issue when a known key of that object is close. */
function withSuggestion(issue: FieldIssue): FieldIssue {
  if (issue.message !== 'is not a known field') return issue
  const parts = issue.field.split('.')
  const key = parts.pop()!
  const known = knownKeys(managerOptionsSchema, parts)
  const guess = closest(key, known)
  return { field: issue.field, message: guess === null ? 'is not a known option' : `is not a known option; did you mean \`${[...parts, guess].join('.')}\`?` }
}

/** The keys of the object schema found at `path` inside `schema` (through optional, nullable, pipes, unions and lazy). */
export function knownKeys(schema: unknown, path: readonly string[]): string[] {
  let objects = objectSchemas(schema)
  for (const segment of path) {
    objects = objects.flatMap((o) => (segment in o.entries ? objectSchemas(o.entries[segment]) : []))
  }
  return [...new Set(objects.flatMap((o) => Object.keys(o.entries)))]
}

interface ObjectLike {
  entries: Record<string, unknown>
}

function objectSchemas(schema: unknown): ObjectLike[] {
  if (typeof schema !== 'object' || schema === null) return []
  const s = schema as { entries?: unknown; wrapped?: unknown; pipe?: unknown[]; options?: unknown[]; getter?: (input: unknown) => unknown }
  if (typeof s.entries === 'object' && s.entries !== null) return [s as ObjectLike]
  if (s.wrapped !== undefined) return objectSchemas(s.wrapped)
  if (Array.isArray(s.options)) return s.options.flatMap(objectSchemas)
  // A lazy schema: the one it picks for an object input.
  if (typeof s.getter === 'function') return objectSchemas(s.getter({}))
  if (Array.isArray(s.pipe) && s.pipe[0] !== schema) return objectSchemas(s.pipe[0])
  return []
}

/** The known key nearest to `key` (case-insensitive edit distance ≤ a third of its length, at least 2), or null. */
function closest(key: string, known: readonly string[]): string | null {
  let best: string | null = null
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/** Levenshtein distance; inputs are option names (short), the cost is their product. */
function editDistance(a: string, b: string): number {
  if (a.length > 100 || b.length > 100) return Infinity
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

// ── compile-time agreement of the schema and the documented interface ─────────────────────────
// Adding an option to WebhookManagerOptions without adding it to the schema (or the reverse, or
// giving them different types) makes one of these lines fail to compile, naming the option.
type Documented = Required<WebhookManagerOptions>
type Validated = Required<v.InferInput<typeof managerOptionsSchema>>
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
/** Options of the interface that the schema does not know. */
type MissingFromSchema = Exclude<keyof Documented, keyof Validated>
/** Options of the schema that the interface does not document (beyond the pending ones). */
type MissingFromInterface = Exclude<keyof Validated, keyof Documented>
/** Options whose types differ between the interface and the schema. */
type DifferentTypes = { [K in keyof Documented & keyof Validated]: Same<Documented[K], Validated[K]> extends true ? never : K }[keyof Documented & keyof Validated]
const optionsAgree: [missingFromSchema: never, missingFromInterface: never, differentTypes: never] = null as unknown as [MissingFromSchema, MissingFromInterface, DifferentTypes]
void optionsAgree
