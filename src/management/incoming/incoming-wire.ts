import { DEFAULT_MAX_BODY_BYTES, DEFAULT_RATE_LIMIT_PER_MINUTE } from '../../incoming/incoming-records.js'
import { REDACTED } from '../../util/sensitive-header.js'
import type { CreateIncomingHookInput } from '../../incoming/incoming-schema.js'
import type { IncomingHookView } from '../../incoming/incoming-view.js'
import type { IncomingLog, IncomingStats, IncomingVerification } from '../../types.js'
import type { IncomingHookOutput, IncomingLogOutput, IncomingStatsOutput, PatchIncomingBody } from './incoming-schemas.js'

/** A create or patch body → the manager's camelCase input (only the fields sent). */
export function toIncomingInput(body: PatchIncomingBody): Partial<CreateIncomingHookInput> {
  const map: [keyof PatchIncomingBody, string][] = [
    ['name', 'name'],
    ['description', 'description'],
    ['active', 'active'],
    ['route', 'route'],
    ['transform', 'transform'],
    ['rate_limit_per_minute', 'rateLimitPerMinute'],
    ['allowed_ips', 'allowedIps'],
    ['dedupe_window_ms', 'dedupeWindowMs'],
    ['dedupe_header', 'dedupeHeader'],
    ['max_body_bytes', 'maxBodyBytes'],
    ['metadata', 'metadata'],
    ['owner', 'owner'],
  ]
  const input: Record<string, unknown> = {}
  for (const [wire, camel] of map) if (body[wire] !== undefined) input[camel] = body[wire]
  if (body.verification !== undefined) input.verification = body.verification === null ? null : verificationFromWire(body.verification)
  return input as Partial<CreateIncomingHookInput>
}

/**
 * A `PUT` body → the update that replaces the whole definition: fields left out go back to their
 * defaults; `name` and `route`, which have none, keep their values.
 */
export function toIncomingReplaceInput(body: PatchIncomingBody): Partial<CreateIncomingHookInput> {
  const sent = toIncomingInput(body)
  return {
    description: null,
    active: true,
    transform: null,
    rateLimitPerMinute: DEFAULT_RATE_LIMIT_PER_MINUTE,
    allowedIps: [],
    verification: null,
    dedupeWindowMs: null,
    dedupeHeader: null,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    metadata: {},
    ...sent,
  }
}

/** A hook from the manager → its wire form (verification secrets redacted). */
export function toIncomingHookOutput(hook: IncomingHookView): IncomingHookOutput {
  const out: IncomingHookOutput = {
    id: hook.id,
    owner: hook.owner ?? null,
    name: hook.name,
    description: hook.description ?? null,
    active: hook.active,
    route: hook.route,
    token_prefix: hook.tokenPrefix,
    transform: hook.transform ?? null,
    rate_limit_per_minute: hook.rateLimitPerMinute,
    allowed_ips: hook.allowedIps ?? [],
    verification: hook.verification ? verificationToWire(hook.verification) : null,
    dedupe_window_ms: hook.dedupeWindowMs ?? null,
    dedupe_header: hook.dedupeHeader ?? null,
    max_body_bytes: hook.maxBodyBytes,
    version: hook.version,
    metadata: hook.metadata ?? {},
    created_at: toIso(hook.createdAt),
    updated_at: toIso(hook.updatedAt),
  }
  if (typeof hook.token === 'string') out.token = hook.token
  if (typeof hook.path === 'string') out.path = hook.path
  return out
}

/** A request log → its wire form. */
export function toIncomingLogOutput(log: IncomingLog): IncomingLogOutput {
  return {
    id: log.id,
    hook_id: log.hookId,
    route: log.route,
    status: log.status,
    error: log.error,
    source_ip: log.sourceIp,
    headers: log.headers,
    payload: log.payload,
    delivery_key: log.deliveryKey,
    duration_ms: log.durationMs,
    received_at: toIso(log.receivedAt),
  }
}

type VerificationWire = NonNullable<PatchIncomingBody['verification']>

function verificationFromWire(w: VerificationWire): IncomingVerification {
  switch (w.type) {
    case 'standard-webhooks':
    case 'stripe':
      return w.tolerance_seconds === undefined ? { type: w.type, secret: w.secret } : { type: w.type, secret: w.secret, toleranceSeconds: w.tolerance_seconds }
    case 'github':
      return { type: 'github', secret: w.secret }
    case 'hmac': {
      const out: IncomingVerification = { type: 'hmac', secret: w.secret, header: w.header }
      if (w.encoding !== undefined) out.encoding = w.encoding
      if (w.prefix !== undefined) out.prefix = w.prefix
      return out
    }
  }
}

function verificationToWire(ver: IncomingVerification): VerificationWire {
  const secret = REDACTED
  switch (ver.type) {
    case 'standard-webhooks':
    case 'stripe':
      return ver.toleranceSeconds === undefined ? { type: ver.type, secret } : { type: ver.type, secret, tolerance_seconds: ver.toleranceSeconds }
    case 'github':
      return { type: 'github', secret }
    case 'hmac': {
      const out: VerificationWire = { type: 'hmac', secret, header: ver.header }
      if (ver.encoding !== undefined) out.encoding = ver.encoding
      if (ver.prefix !== undefined) out.prefix = ver.prefix
      return out
    }
  }
}

function toIso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString()
}

/** Incoming statistics → the stats answer. */
export function toIncomingStatsOutput(hookId: string, since: Date | undefined, stats: IncomingStats): IncomingStatsOutput {
  return {
    hook_id: hookId,
    since: since ? since.toISOString() : null,
    total: stats.total,
    succeeded: stats.succeeded,
    failed: stats.failed,
    success_rate: stats.successRate,
    average_duration_ms: stats.averageDurationMs,
    p95_duration_ms: stats.p95DurationMs,
    by_status: stats.byStatus,
    last_received_at: stats.lastReceivedAt ? stats.lastReceivedAt.toISOString() : null,
  }
}
