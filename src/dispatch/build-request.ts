import { sign } from '../signature/index.js'
import type { Endpoint, Message } from '../types.js'
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
}


/** Serialised `data` per message, so a fan-out to N endpoints stringifies the payload once. */
const dataJson = new WeakMap<Message, string>()

/** Builds the exact body sent to one endpoint. */
export function buildBody(message: Message, endpointId: string, names: EnvelopeNames): string {
  let data = dataJson.get(message)
  if (data === undefined) {
    data = JSON.stringify(message.data ?? null)
    dataJson.set(message, data)
  }
  let body = '{'
  if (names.id !== null) body += `${JSON.stringify(names.id)}:${JSON.stringify(message.id)},`
  body += `${JSON.stringify(names.event)}:${JSON.stringify(message.event)},`
  if (names.timestamp !== null) body += `${JSON.stringify(names.timestamp)}:"${message.createdAt.toISOString()}",`
  if (names.webhookId !== null) body += `${JSON.stringify(names.webhookId)}:${JSON.stringify(endpointId)},`
  body += `${JSON.stringify(names.data)}:${data}`
  if (names.metadata !== null && message.metadata) body += `,${JSON.stringify(names.metadata)}:${JSON.stringify(message.metadata)}`
  return `${body}}`
}

/** Secrets of an endpoint that sign at time `now` (the current one plus any still in their rotation overlap). */
export function signingSecrets(endpoint: Endpoint, now: number): string[] {
  const out: string[] = []
  for (const s of endpoint.secrets) if (s.expiresAt === null || s.expiresAt.getTime() > now) out.push(s.secret)
  return out
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
  const sent: Record<string, string> = { ...endpoint.headers }
  const secretHeaders = new Set<string>()
  for (const key in sent) if (isSensitiveHeader(key)) secretHeaders.add(key)

  sent['Content-Type'] = 'application/json'
  sent['User-Agent'] = settings.userAgent
  sent[names.event] = message.event
  sent[names.id] = message.id
  sent[names.timestamp] = new Date(now).toISOString()
  sent[names.delivery] = deliveryId
  sent[names.attempt] = String(attempt)

  const secrets = signingSecrets(endpoint, now)
  if (secrets.length > 0) {
    if (endpoint.signatureScheme === 'standard-webhooks') {
      const timestamp = Math.floor(now / 1000)
      sent['webhook-id'] = message.id
      sent['webhook-timestamp'] = String(timestamp)
      sent['webhook-signature'] = sign({ scheme: 'standard-webhooks', secret: secrets, body, id: message.id, timestamp })
    } else {
      sent[names.signature] = sign({ scheme: 'hmac-sha256', secret: secrets, body })
    }
  }

  const auth = endpoint.auth
  if (auth) {
    switch (auth.type) {
      case 'basic':
        sent['Authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
        secretHeaders.add('Authorization')
        break
      case 'bearer':
        sent['Authorization'] = `Bearer ${auth.token}`
        secretHeaders.add('Authorization')
        break
      case 'api-key': {
        const header = auth.headerName ?? 'X-API-Key'
        sent[header] = auth.key
        secretHeaders.add(header)
        break
      }
      case 'hmac': {
        const header = auth.headerName ?? names.signature
        const value = sign({ scheme: 'hmac-sha256', secret: auth.secret, body })
        sent[header] = sent[header] ? `${sent[header]} ${value}` : value
        break
      }
    }
  }

  const logged: Record<string, string> = { ...sent }
  for (const key of secretHeaders) logged[key] = REDACTED
  return { sent, logged }
}
