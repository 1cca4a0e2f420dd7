import { generateSecret } from '../signature/index.js'
import { decodeStandardSecret } from '../signature/standard-webhooks.js'
import type { SignatureScheme } from '../signature/types.js'
import type { Endpoint, EndpointSecret, EndpointTls } from '../types.js'
import { createId } from '../util/ids.js'
import { parseInput } from '../validation/parse.js'
import { assertStorableJson } from '../validation/text-checks.js'
import {
  createEndpointSchema,
  updateEndpointSchema,
  type CreateEndpointInput,
  type UpdateEndpointInput,
} from './endpoint-schema.js'

/** Manager-wide defaults applied to new endpoints. */
export interface EndpointDefaults {
  signatureScheme: SignatureScheme
}

/** Validates `input` and builds a new endpoint record. Throws ValidationError naming each bad field. */
export function buildEndpoint(input: CreateEndpointInput, defaults: EndpointDefaults, now: Date): Endpoint {
  const v = parseInput(createEndpointSchema, input, 'endpoint')
  assertStorableJson('endpoint', { filters: v.filters, metadata: v.metadata })
  const scheme = v.signatureScheme ?? defaults.signatureScheme
  if (v.secret !== undefined) checkSecretFormat(scheme, v.secret)
  return {
    id: createId('ep'),
    owner: v.owner ?? null,
    name: v.name ?? new URL(v.url).host,
    description: v.description ?? null,
    url: v.url,
    method: v.method ?? 'POST',
    events: dedupe(v.events),
    filters: v.filters ?? null,
    headers: v.headers ?? {},
    auth: v.auth ?? null,
    signatureScheme: scheme,
    signaturePrefix: v.signaturePrefix ?? null,
    rotationSignatures: v.rotationSignatures ?? 'all',
    secrets: [{ secret: v.secret ?? generateSecret(scheme), createdAt: now, expiresAt: null }],
    status: v.active === false ? 'paused' : 'active',
    disabledReason: null,
    timeoutMs: v.timeoutMs ?? null,
    retryPolicy: v.retryPolicy ?? null,
    rateLimit: v.rateLimit ?? null,
    concurrency: v.concurrency ?? null,
    ordering: v.ordering ?? 'unordered',
    orderingKey: v.orderingKey ?? null,
    metadata: v.metadata ?? {},
    failingSince: null,
    tls: v.tls ? compactTls(v.tls) : null,
    proxy: v.proxy ?? null,
    createdAt: now,
    updatedAt: now,
  }
}

/**
 * Validates a partial update and applies it. A new `secret` starts a rotation: the old secret keeps
 * signing alongside it for `overlapMs`.
 */
export function applyEndpointUpdate(endpoint: Endpoint, input: UpdateEndpointInput, now: Date, overlapMs: number): Endpoint {
  const v = parseInput(updateEndpointSchema, input, 'endpoint update')
  assertStorableJson('endpoint update', { filters: v.filters, metadata: v.metadata })
  if (v.secret !== undefined) checkSecretFormat(v.signatureScheme ?? endpoint.signatureScheme, v.secret)
  let next: Endpoint = { ...endpoint, updatedAt: now }
  if (v.name !== undefined) next.name = v.name
  if (v.description !== undefined) next.description = v.description
  if (v.url !== undefined) next.url = v.url
  if (v.method !== undefined) next.method = v.method
  if (v.events !== undefined) next.events = dedupe(v.events)
  if (v.filters !== undefined) next.filters = v.filters
  if (v.headers !== undefined) next.headers = v.headers
  if (v.auth !== undefined) next.auth = v.auth
  if (v.owner !== undefined) next.owner = v.owner
  if (v.signaturePrefix !== undefined) next.signaturePrefix = v.signaturePrefix
  if (v.rotationSignatures !== undefined) next.rotationSignatures = v.rotationSignatures
  if (v.timeoutMs !== undefined) next.timeoutMs = v.timeoutMs
  if (v.retryPolicy !== undefined) next.retryPolicy = v.retryPolicy
  if (v.rateLimit !== undefined) next.rateLimit = v.rateLimit
  if (v.concurrency !== undefined) next.concurrency = v.concurrency
  if (v.ordering !== undefined) next.ordering = v.ordering
  if (v.orderingKey !== undefined) next.orderingKey = v.orderingKey
  if (v.metadata !== undefined) next.metadata = v.metadata
  if (v.tls !== undefined) next.tls = v.tls ? compactTls(v.tls) : null
  if (v.proxy !== undefined) next.proxy = v.proxy
  if (v.active !== undefined) next = setActive(next, v.active, now)
  if (v.signatureScheme !== undefined && v.signatureScheme !== endpoint.signatureScheme) {
    // A scheme change needs a secret of that scheme's format: start over with a fresh one.
    next.signatureScheme = v.signatureScheme
    next.secrets = [{ secret: v.secret ?? generateSecret(v.signatureScheme), createdAt: now, expiresAt: null }]
  } else if (v.secret !== undefined) {
    next = rotateSecret(next, v.secret, now, overlapMs)
  }
  return next
}

/** Pauses (`false`) or resumes (`true`) an endpoint. Resuming also clears an automatic disable. */
export function setActive(endpoint: Endpoint, active: boolean, now: Date): Endpoint {
  if (active) return { ...endpoint, status: 'active', disabledReason: null, failingSince: null, updatedAt: now }
  return { ...endpoint, status: 'paused', updatedAt: now }
}

/** Makes `secret` the signing secret; earlier ones keep signing until `now + overlapMs`. */
export function rotateSecret(endpoint: Endpoint, secret: string, now: Date, overlapMs: number): Endpoint {
  const until = new Date(now.getTime() + overlapMs)
  const kept: EndpointSecret[] = []
  for (const s of endpoint.secrets) {
    if (s.expiresAt !== null && s.expiresAt <= now) continue
    if (s.secret === secret) continue
    kept.push({ ...s, expiresAt: s.expiresAt === null || s.expiresAt > until ? until : s.expiresAt })
  }
  const secrets = overlapMs > 0 ? kept : []
  return { ...endpoint, secrets: [{ secret, createdAt: now, expiresAt: null }, ...secrets], updatedAt: now }
}

function checkSecretFormat(scheme: SignatureScheme, secret: string): void {
  // Throws a ValidationError naming `secret` when it is not `whsec_` + base64.
  if (scheme === 'standard-webhooks') decodeStandardSecret(secret)
}

/** TLS settings with unset fields left out. */
function compactTls(tls: EndpointTls): EndpointTls {
  const out: EndpointTls = {}
  if (tls.cert) out.cert = tls.cert
  if (tls.key) out.key = tls.key
  if (tls.passphrase) out.passphrase = tls.passphrase
  if (tls.ca) out.ca = tls.ca
  return out
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)]
}
