import { X509Certificate } from 'node:crypto'
import type * as v from 'valibot'
import type { CreateEndpointInput, UpdateEndpointInput } from '../../endpoints/endpoint-schema.js'
import type { EndpointView } from '../../endpoints/endpoint-view.js'
import type { DeliveryStats, EndpointAuth, EndpointTls, RetryPolicy } from '../../types.js'
import { REDACTED } from '../../util/sensitive-header.js'
import { iso } from '../common-schemas.js'
import type { authWire, PatchWebhookBody, retryPolicyWire, StatsOutput, tlsOutput, WebhookOutput } from './webhook-schemas.js'

type AuthWire = v.InferOutput<typeof authWire>
type RetryPolicyWire = v.InferOutput<typeof retryPolicyWire>
type TlsOutput = v.InferOutput<typeof tlsOutput>

// Conversions between the library's endpoint shapes (camelCase) and the API's (snake_case).
// Written out field by field: payload-like values (headers, filters, metadata) pass through
// untouched, never key-converted.

/** An endpoint view → the webhook of an answer. */
export function toWebhookOutput(view: EndpointView): WebhookOutput {
  const out: WebhookOutput = {
    id: view.id,
    owner: view.owner,
    name: view.name,
    description: view.description,
    url: view.url,
    method: view.method,
    events: view.events,
    filters: view.filters,
    headers: view.headers,
    auth: view.auth === null ? null : authToWire(view.auth),
    signature_scheme: view.signatureScheme,
    signature_prefix: view.signaturePrefix,
    rotation_signatures: view.rotationSignatures,
    previous_secret_expires_at: iso(view.previousSecretExpiresAt),
    status: view.status,
    active: view.status === 'active',
    disabled_reason: view.disabledReason,
    timeout_ms: view.timeoutMs,
    retry_policy: view.retryPolicy === null ? null : retryPolicyToWire(view.retryPolicy),
    rate_limit: view.rateLimit === null ? null : { max: view.rateLimit.max, interval_ms: view.rateLimit.intervalMs },
    concurrency: view.concurrency,
    ordering: view.ordering,
    ordering_key: view.orderingKey,
    metadata: view.metadata,
    tls: view.tls === null ? null : tlsToWire(view.tls),
    proxy: view.proxy,
    failing_since: iso(view.failingSince),
    created_at: view.createdAt.toISOString(),
    updated_at: view.updatedAt.toISOString(),
  }
  if (view.secret !== undefined) out.secret = view.secret
  return out
}

/** A validated create or patch body → the manager's input (only the fields that were sent). */
export function toEndpointInput(body: PatchWebhookBody): UpdateEndpointInput {
  const input: UpdateEndpointInput = {}
  if (body.name !== undefined) input.name = body.name
  if (body.description !== undefined) input.description = body.description
  if (body.url !== undefined) input.url = body.url
  if (body.method !== undefined) input.method = body.method
  if (body.events !== undefined) input.events = body.events
  if (body.filters !== undefined) input.filters = body.filters
  if (body.headers !== undefined) input.headers = body.headers
  if (body.auth !== undefined) input.auth = body.auth === null ? null : authFromWire(body.auth)
  if (body.secret !== undefined) input.secret = body.secret
  if (body.signature_scheme !== undefined) input.signatureScheme = body.signature_scheme
  if (body.signature_prefix !== undefined) input.signaturePrefix = body.signature_prefix
  if (body.rotation_signatures !== undefined) input.rotationSignatures = body.rotation_signatures
  if (body.active !== undefined) input.active = body.active
  if (body.owner !== undefined) input.owner = body.owner
  if (body.timeout_ms !== undefined) input.timeoutMs = body.timeout_ms
  if (body.retry_policy !== undefined) input.retryPolicy = body.retry_policy === null ? null : retryPolicyFromWire(body.retry_policy)
  if (body.rate_limit !== undefined) input.rateLimit = rateLimitFromWire(body.rate_limit)
  if (body.concurrency !== undefined) input.concurrency = body.concurrency
  if (body.ordering !== undefined) input.ordering = body.ordering
  if (body.ordering_key !== undefined) input.orderingKey = body.ordering_key
  if (body.metadata !== undefined) input.metadata = body.metadata
  if (body.tls !== undefined) input.tls = body.tls
  if (body.proxy !== undefined) input.proxy = body.proxy
  return input
}

/** A create body → `createEndpoint` input (url and events are required by the schema). */
export function toCreateInput(body: PatchWebhookBody & { url: string; events: string[] }): CreateEndpointInput {
  return { ...toEndpointInput(body), url: body.url, events: body.events }
}

/**
 * A PUT body → a full update: every configurable field that was left out is reset to its default.
 * `url`, `events`, `secret` and `signature_scheme` have no default and keep their values.
 */
export function toReplaceInput(body: PatchWebhookBody, current: EndpointView): UpdateEndpointInput {
  const sent = toEndpointInput(body)
  return {
    name: sent.name ?? new URL(sent.url ?? current.url).host,
    description: sent.description ?? null,
    method: sent.method ?? 'POST',
    filters: sent.filters ?? null,
    headers: sent.headers ?? {},
    auth: sent.auth ?? null,
    active: sent.active ?? true,
    timeoutMs: sent.timeoutMs ?? null,
    retryPolicy: sent.retryPolicy ?? null,
    rateLimit: sent.rateLimit ?? null,
    concurrency: sent.concurrency ?? null,
    ordering: sent.ordering ?? 'unordered',
    orderingKey: sent.orderingKey ?? null,
    metadata: sent.metadata ?? {},
    signaturePrefix: sent.signaturePrefix ?? null,
    rotationSignatures: sent.rotationSignatures ?? 'all',
    tls: sent.tls ?? null,
    proxy: sent.proxy ?? null,
    ...pick(sent, ['url', 'events', 'secret', 'signatureScheme', 'owner']),
  }
}

/** A body's rate limit: the object, or a number of requests per minute (seed 002). */
function rateLimitFromWire(limit: NonNullable<PatchWebhookBody['rate_limit']> | null): UpdateEndpointInput['rateLimit'] {
  if (limit === null) return null
  if (typeof limit === 'number') return { max: limit, intervalMs: 60_000 }
  return { max: limit.max, intervalMs: limit.interval_ms ?? 1000 }
}

/**
 * Whether a PUT body replaces the whole configuration: it does when it names both fields a webhook
 * cannot exist without (`url` and `events`); otherwise it is a merge (seed 002 sends
 * `{"event_types": [...], "is_active": false}` with PUT and expects the rest kept).
 */
export function isFullReplacement(body: PatchWebhookBody): boolean {
  return body.url !== undefined && body.events !== undefined
}

/** Endpoint statistics → the stats answer. */
export function toStatsOutput(webhookId: string, since: Date | undefined, stats: DeliveryStats): StatsOutput {
  return {
    webhook_id: webhookId,
    since: since ? since.toISOString() : null,
    total: stats.total,
    succeeded: stats.succeeded,
    failed: stats.failed,
    dead: stats.dead,
    pending: stats.pending,
    attempts: stats.attempts,
    average_duration_ms: stats.averageDurationMs,
    p95_duration_ms: stats.p95DurationMs,
    success_rate: stats.successRate,
    last_attempt_at: iso(stats.lastAttemptAt),
  }
}

/** Field paths the manager names (camelCase) → their wire names; payload paths stay as they are. */
export function toWireField(field: string): string {
  const [head, ...rest] = field.split('.')
  if (head === undefined || ['headers', 'filters', 'metadata', 'data'].includes(head)) return field
  const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
  return [snake(head), ...(['retryPolicy', 'rateLimit', 'auth'].includes(head) ? rest.map(snake) : rest)].join('.')
}

/**
 * TLS settings of a view (key and passphrase already redacted) → the answer's form: the
 * certificates as PEM, the client certificate summarised (fingerprint, subject, expiry) so a
 * listing shows which certificate is in use and when it runs out.
 */
function tlsToWire(tls: EndpointTls): TlsOutput {
  let cert: X509Certificate | null = null
  try {
    cert = tls.cert ? new X509Certificate(tls.cert) : null
  } catch {
    // Stored before certificates were checked on save: shown, not summarised.
  }
  return {
    cert: tls.cert ?? null,
    key: tls.key ? REDACTED : null,
    passphrase: tls.passphrase ? REDACTED : null,
    ca: tls.ca ?? null,
    cert_fingerprint: cert?.fingerprint256 ?? null,
    cert_subject: cert?.subject.replaceAll('\n', ', ') ?? null,
    cert_expires_at: cert ? new Date(cert.validTo).toISOString() : null,
  }
}

function authToWire(auth: EndpointAuth): AuthWire {
  switch (auth.type) {
    case 'basic':
    case 'bearer':
      return { ...auth }
    case 'api-key':
      return withHeaderName({ type: 'api-key', key: auth.key }, auth.headerName)
    case 'hmac':
      return withHeaderName({ type: 'hmac', secret: auth.secret }, auth.headerName)
  }
}

function withHeaderName<T extends object>(value: T, headerName: string | undefined): T & { header_name?: string } {
  return headerName === undefined ? value : { ...value, header_name: headerName }
}

function authFromWire(auth: AuthWire): EndpointAuth {
  switch (auth.type) {
    case 'basic':
    case 'bearer':
      return { ...auth }
    case 'api-key':
      return auth.header_name === undefined ? { type: 'api-key', key: auth.key } : { type: 'api-key', key: auth.key, headerName: auth.header_name }
    case 'hmac':
      return auth.header_name === undefined ? { type: 'hmac', secret: auth.secret } : { type: 'hmac', secret: auth.secret, headerName: auth.header_name }
  }
}

const RETRY_KEYS = [
  ['strategy', 'strategy'],
  ['maxAttempts', 'max_attempts'],
  ['initialDelayMs', 'initial_delay_ms'],
  ['maxDelayMs', 'max_delay_ms'],
  ['factor', 'factor'],
  ['schedule', 'schedule'],
  ['jitter', 'jitter'],
  ['retryWindowMs', 'retry_window_ms'],
  ['respectRetryAfter', 'respect_retry_after'],
] as const satisfies readonly (readonly [keyof RetryPolicy, keyof RetryPolicyWire])[]

function retryPolicyToWire(policy: Partial<RetryPolicy>): RetryPolicyWire {
  const out: Record<string, unknown> = {}
  for (const [camel, snake] of RETRY_KEYS) if (policy[camel] !== undefined) out[snake] = policy[camel]
  return out as RetryPolicyWire
}

function retryPolicyFromWire(policy: RetryPolicyWire): Partial<RetryPolicy> {
  const out: Record<string, unknown> = {}
  for (const [camel, snake] of RETRY_KEYS) if (policy[snake] !== undefined) out[camel] = policy[snake]
  return out as Partial<RetryPolicy>
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {}
  for (const k of keys) if (value[k] !== undefined) out[k] = value[k]
  return out
}
