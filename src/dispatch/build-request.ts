import { sign } from '../signature/index.js'
import type { Endpoint, EndpointAuth, Message } from '../types.js'
import { dataJson } from '../util/data-json.js'
import { isSensitiveHeader, REDACTED } from '../util/sensitive-header.js'

/**
 * Field names of the JSON envelope sent to endpoints. Set a name to `null` to leave the field out.
 * @example { webhookId: 'webhookId' } // camelCase, as seed 004 uses
 */
export interface EnvelopeNames {
  /** Message id. @default 'id' */
  id: string | null
  /** Event name. @default 'event' */
  event: string
  /** Emit time, ISO 8601. @default 'timestamp' */
  timestamp: string | null
  /** Endpoint id. @default 'webhook_id' */
  webhookId: string | null
  /** Event payload. @default 'data' */
  data: string
  /** Message metadata (omitted when the message has none). @default 'metadata' */
  metadata: string | null
}

/** Names of the headers hookline sets (Standard Webhooks headers are fixed by that spec). */
export interface HeaderNames {
  /** Event name. @default 'X-Webhook-Event' */
  event: string
  /** Message id (stable across retries: the receiver's idempotency key). @default 'X-Webhook-Id' */
  id: string
  /** Attempt time, ISO 8601. @default 'X-Webhook-Timestamp' */
  timestamp: string
  /** `sha256=<hex>` signature (hmac-sha256 scheme). @default 'X-Webhook-Signature' */
  signature: string
  /** Delivery id. @default 'X-Webhook-Delivery' */
  delivery: string
  /** 1-based attempt number. @default 'X-Webhook-Attempt' */
  attempt: string
}

export const DEFAULT_ENVELOPE_NAMES: Readonly<EnvelopeNames> = Object.freeze({
  id: 'id',
  event: 'event',
  timestamp: 'timestamp',
  webhookId: 'webhook_id',
  data: 'data',
  metadata: 'metadata',
})

export const DEFAULT_HEADER_NAMES: Readonly<HeaderNames> = Object.freeze({
  event: 'X-Webhook-Event',
  id: 'X-Webhook-Id',
  timestamp: 'X-Webhook-Timestamp',
  signature: 'X-Webhook-Signature',
  delivery: 'X-Webhook-Delivery',
  attempt: 'X-Webhook-Attempt',
})

/** Settings shared by every request of a manager. */
export interface RequestSettings {
  envelope: EnvelopeNames
  headers: HeaderNames
  userAgent: string
  /** Text before the hex digest of an `hmac-sha256` signature, for endpoints that set none. */
  signaturePrefix: string
  /** Trace context headers of a message's deliveries (`traceparent`), when the manager sends them. */
  traceHeaders?: (message: Message) => Record<string, string> | undefined
}

/** JSON key fragments of an envelope (`"id":` …), computed once per names object; `null` where a field is left out. */
type EnvelopeKeys = EnvelopeNames

const envelopeKeys = new WeakMap<EnvelopeNames, EnvelopeKeys>()

function keysOf(names: EnvelopeNames): EnvelopeKeys {
  let keys = envelopeKeys.get(names)
  if (keys === undefined) {
    const key = (name: string | null): string | null => (name === null ? null : `${JSON.stringify(name)}:`)
    keys = {
      id: key(names.id),
      event: key(names.event)!,
      timestamp: key(names.timestamp),
      webhookId: key(names.webhookId),
      data: key(names.data)!,
      metadata: key(names.metadata),
    }
    envelopeKeys.set(names, keys)
  }
  return keys
}

/**
 * The parts of a message's envelope that do not depend on the endpoint: everything before the
 * endpoint id and everything after it (the serialised `data` and `metadata`), so a fan-out to N
 * endpoints and every retry stringify the payload once.
 */
interface MessageEnvelope {
  names: EnvelopeNames
  head: string
  tail: string
}

const envelopes = new WeakMap<Message, MessageEnvelope>()

function envelopeOf(message: Message, names: EnvelopeNames): MessageEnvelope {
  let envelope = envelopes.get(message)
  if (envelope !== undefined && envelope.names === names) return envelope
  const keys = keysOf(names)
  let head = '{'
  if (keys.id !== null) head += `${keys.id}${JSON.stringify(message.id)},`
  head += `${keys.event}${JSON.stringify(message.event)},`
  if (keys.timestamp !== null) head += `${keys.timestamp}"${message.createdAt.toISOString()}",`
  let tail = ''
  if (keys.webhookId !== null) {
    head += keys.webhookId
    tail = ','
  }
  tail += `${keys.data}${dataJson(message)}`
  if (keys.metadata !== null && message.metadata) tail += `,${keys.metadata}${JSON.stringify(message.metadata)}`
  tail += '}'
  envelope = { names, head, tail }
  envelopes.set(message, envelope)
  return envelope
}

/** Builds the exact body sent to one endpoint. */
export function buildBody(message: Message, endpointId: string, names: EnvelopeNames): string {
  const { head, tail } = envelopeOf(message, names)
  return names.webhookId === null ? head + tail : head + JSON.stringify(endpointId) + tail
}

/**
 * Secrets of an endpoint that sign at time `now`: the current one plus any still in their rotation
 * overlap, or, with `rotationSignatures` `'newest'` / `'oldest'`, only the most / least recently
 * created of those.
 */
export function signingSecrets(endpoint: Endpoint, now: number): string[] {
  const live = endpoint.secrets.filter((s) => s.expiresAt === null || s.expiresAt.getTime() > now)
  if (live.length <= 1 || endpoint.rotationSignatures === 'all' || endpoint.rotationSignatures === undefined) return live.map((s) => s.secret)
  const newest = endpoint.rotationSignatures === 'newest'
  let pick = live[0]!
  // Ties (a rotation within one millisecond): the newer is earlier in the list (rotations prepend).
  for (const s of live) if (newest ? s.createdAt.getTime() > pick.createdAt.getTime() : s.createdAt.getTime() <= pick.createdAt.getTime()) pick = s
  return [pick.secret]
}

/** The request headers (as sent) and a copy with credentials redacted (as logged). */
export interface BuiltHeaders {
  sent: Record<string, string>
  logged: Record<string, string>
}

/** Builds and signs the headers of one attempt. The signature covers exactly `body`. */
export function buildHeaders(
  endpoint: Endpoint,
  message: Message,
  deliveryId: string,
  attempt: number,
  body: string,
  now: number,
  settings: RequestSettings,
): BuiltHeaders {
  const names = settings.headers
  const custom = endpoint.headers
  const auth = endpoint.auth
  let hasCustom = false
  for (const _ in custom) {
    hasCustom = true
    break
  }
  // hookline's own headers first; a custom header of the same name in any case gives way to them
  // (HTTP names ignore case: both would be sent, joined into one value).
  const own: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': settings.userAgent,
  }
  own[names.event] = message.event
  own[names.id] = message.id
  own[names.timestamp] = new Date(now).toISOString()
  own[names.delivery] = deliveryId
  own[names.attempt] = String(attempt)
  if (settings.traceHeaders !== undefined) Object.assign(own, settings.traceHeaders(message))
  const signatureHeader = addSignature(own, endpoint, message, body, now, settings)
  // Fast path (no custom headers, no auth): nothing to merge; only the signature is redacted.
  if (!hasCustom && !auth) {
    const logged = { ...own }
    if (signatureHeader !== null) logged[signatureHeader] = REDACTED
    return { sent: own, logged }
  }
  // The signature is redacted in the log too: over the body alone (the hmac-sha256 scheme) a
  // reader of the log could replay the logged request with it.
  const secretHeaders = new Set<string>()
  if (signatureHeader !== null) secretHeaders.add(signatureHeader)
  if (auth) {
    const header = authHeader(auth, names)
    switch (auth.type) {
      case 'basic':
        own[header] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
        secretHeaders.add(header)
        break
      case 'bearer':
        own[header] = `Bearer ${auth.token}`
        secretHeaders.add(header)
        break
      case 'api-key':
        own[header] = auth.key
        secretHeaders.add(header)
        break
      case 'hmac': {
        const key = ownName(own, header)
        const value = sign({ scheme: 'hmac-sha256', secret: auth.secret, body })
        own[key] = own[key] ? `${own[key]} ${value}` : value
        secretHeaders.add(key)
        break
      }
    }
  }
  const taken = new Set<string>()
  for (const key in own) taken.add(key.toLowerCase())
  const sent: Record<string, string> = {}
  for (const key in custom) {
    if (taken.has(key.toLowerCase())) continue
    sent[key] = custom[key]!
    if (isSensitiveHeader(key)) secretHeaders.add(key)
  }
  Object.assign(sent, own)

  const logged: Record<string, string> = { ...sent }
  for (const key of secretHeaders) logged[key] = REDACTED
  return { sent, logged }
}

/** The header an endpoint's auth sets: `Authorization`, the api key's, or the hmac signature's. */
export function authHeader(auth: EndpointAuth, names: HeaderNames): string {
  switch (auth.type) {
    case 'basic':
    case 'bearer':
      return 'Authorization'
    case 'api-key':
      return auth.headerName ?? 'X-API-Key'
    case 'hmac':
      return auth.headerName ?? names.signature
  }
}

/** The key of `headers` that is `name` in any case, or `name` when there is none. */
function ownName(headers: Record<string, string>, name: string): string {
  const lower = name.toLowerCase()
  for (const key in headers) if (key.toLowerCase() === lower) return key
  return name
}

/**
 * Adds the endpoint's signature headers (none when it has no secret valid at `now`). Returns the
 * name of the signature header set, or `null`.
 */
function addSignature(sent: Record<string, string>, endpoint: Endpoint, message: Message, body: string, now: number, settings: RequestSettings): string | null {
  const names = settings.headers
  const secrets = signingSecrets(endpoint, now)
  if (secrets.length === 0) return null
  if (endpoint.signatureScheme === 'standard-webhooks') {
    const timestamp = Math.floor(now / 1000)
    sent['webhook-id'] = message.id
    sent['webhook-timestamp'] = String(timestamp)
    sent['webhook-signature'] = sign({ scheme: 'standard-webhooks', secret: secrets, body, id: message.id, timestamp })
    return 'webhook-signature'
  }
  sent[names.signature] = sign({ scheme: 'hmac-sha256', secret: secrets, body, prefix: endpoint.signaturePrefix ?? settings.signaturePrefix })
  return names.signature
}
