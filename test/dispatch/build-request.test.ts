import { describe, expect, it } from 'vitest'
import {
  buildBody,
  buildHeaders,
  DEFAULT_ENVELOPE_NAMES,
  DEFAULT_HEADER_NAMES,
  signingSecrets,
  type EnvelopeNames,
  type RequestSettings,
} from '../../src/dispatch/build-request.js'
import { sign } from '../../src/signature/index.js'
import type { Endpoint, Message } from '../../src/types.js'
import { isSensitiveHeader, REDACTED } from '../../src/util/sensitive-header.js'
import { createId } from '../../src/util/ids.js'
import { endpointFixture, messageFixture, T0 } from '../store/fixtures.js'

// The straightforward implementations the cached/fast-path ones must match byte for byte.
function referenceBody(message: Message, endpointId: string, names: EnvelopeNames): string {
  let body = '{'
  if (names.id !== null) body += `${JSON.stringify(names.id)}:${JSON.stringify(message.id)},`
  body += `${JSON.stringify(names.event)}:${JSON.stringify(message.event)},`
  if (names.timestamp !== null) body += `${JSON.stringify(names.timestamp)}:"${message.createdAt.toISOString()}",`
  if (names.webhookId !== null) body += `${JSON.stringify(names.webhookId)}:${JSON.stringify(endpointId)},`
  body += `${JSON.stringify(names.data)}:${JSON.stringify(message.data ?? null)}`
  if (names.metadata !== null && message.metadata) body += `,${JSON.stringify(names.metadata)}:${JSON.stringify(message.metadata)}`
  return `${body}}`
}

function referenceHeaders(endpoint: Endpoint, message: Message, deliveryId: string, attempt: number, body: string, now: number, settings: RequestSettings) {
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
      secretHeaders.add('webhook-signature')
    } else {
      sent[names.signature] = sign({ scheme: 'hmac-sha256', secret: secrets, body, prefix: endpoint.signaturePrefix ?? settings.signaturePrefix })
      secretHeaders.add(names.signature)
    }
  }
  const auth = endpoint.auth
  if (auth?.type === 'bearer') {
    sent['Authorization'] = `Bearer ${auth.token}`
    secretHeaders.add('Authorization')
  } else if (auth?.type === 'hmac') {
    const header = auth.headerName ?? names.signature
    const value = sign({ scheme: 'hmac-sha256', secret: auth.secret, body })
    sent[header] = sent[header] ? `${sent[header]} ${value}` : value
    secretHeaders.add(header)
  }
  const logged: Record<string, string> = { ...sent }
  for (const key of secretHeaders) logged[key] = REDACTED
  return { sent, logged }
}

const nameSets: EnvelopeNames[] = [
  DEFAULT_ENVELOPE_NAMES,
  { id: 'webhookId', event: 'type', timestamp: 'ts', webhookId: 'webhookId2', data: 'payload', metadata: 'meta' },
  { id: null, event: 'e"v', timestamp: null, webhookId: null, data: 'd\u2028', metadata: null },
  { id: 'id', event: 'event', timestamp: 'timestamp', webhookId: null, data: 'data', metadata: 'metadata' },
]

describe('buildBody', () => {
  it('matches the straightforward serialisation for every envelope shape, message and endpoint', () => {
    const messages = [
      messageFixture(),
      messageFixture({ metadata: null }),
      messageFixture({ data: undefined as unknown as Message['data'], event: 'a"b\\c' }),
      messageFixture({ data: 'plain string', metadata: { k: 'ü' } }),
    ]
    for (const message of messages) {
      // The same message object through several names objects and endpoints, twice (cached the second time).
      for (let round = 0; round < 2; round++) {
        for (const names of nameSets) {
          for (const endpointId of ['ep_1', 'ep_"2"', 'ep_3']) {
            const body = buildBody(message, endpointId, names)
            expect(body).toBe(referenceBody(message, endpointId, names))
            expect(JSON.parse(body)).toBeTypeOf('object')
          }
        }
      }
    }
  })
})

describe('buildHeaders', () => {
  const settings: RequestSettings = { envelope: DEFAULT_ENVELOPE_NAMES, headers: DEFAULT_HEADER_NAMES, userAgent: 'hookline/test', signaturePrefix: 'sha256=' }
  const expired = [
    { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdAt: T0, expiresAt: new Date(T0.getTime() - 1) },
    { secret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD', createdAt: T0, expiresAt: null },
  ]
  const endpoints: Endpoint[] = [
    endpointFixture(),
    endpointFixture({ headers: {}, auth: null }),
    endpointFixture({ headers: {}, auth: null, signatureScheme: 'hmac-sha256' }),
    endpointFixture({ headers: {}, auth: null, secrets: [] }),
    endpointFixture({ headers: {}, auth: null, secrets: expired }),
    endpointFixture({ headers: { 'X-Api-Token': 'secret' }, auth: null }),
    endpointFixture({ headers: {}, auth: { type: 'hmac', secret: 'k', headerName: null } as never, signatureScheme: 'hmac-sha256' }),
  ]
  it('sends the signature but logs it redacted (the body-only hex scheme could be replayed from a log)', () => {
    const message = messageFixture()
    const custom: RequestSettings = { ...settings, headers: { ...DEFAULT_HEADER_NAMES, signature: 'X-Acme-Sig' } }
    const cases: [Endpoint, RequestSettings, string][] = [
      [endpointFixture({ headers: {}, auth: null, signatureScheme: 'hmac-sha256' }), settings, 'X-Webhook-Signature'],
      [endpointFixture({ headers: {}, auth: null, signatureScheme: 'hmac-sha256' }), custom, 'X-Acme-Sig'],
      [endpointFixture({ signatureScheme: 'hmac-sha256' }), custom, 'X-Acme-Sig'],
      [endpointFixture({ headers: {}, auth: null, signatureScheme: 'standard-webhooks' }), settings, 'webhook-signature'],
      [endpointFixture({ headers: {}, auth: { type: 'hmac', secret: 'k', headerName: 'X-Body-Hmac' }, signatureScheme: 'standard-webhooks' }), settings, 'X-Body-Hmac'],
    ]
    for (const [endpoint, names, header] of cases) {
      const body = buildBody(message, endpoint.id, names.envelope)
      const built = buildHeaders(endpoint, message, 'dlv_1', 1, body, T0.getTime(), names)
      expect(built.sent[header]).toMatch(/^((sha256=)?[0-9a-f]{64}|v1,.+)$/)
      expect(built.logged[header]).toBe(REDACTED)
      expect(JSON.stringify(built.logged)).not.toContain(built.sent[header]!)
    }
  })

  it('sends and logs the same headers, in the same order, as the straightforward build', () => {
    const message = messageFixture()
    const now = T0.getTime() + 1234
    for (const endpoint of endpoints) {
      const body = buildBody(message, endpoint.id, settings.envelope)
      const deliveryId = createId('dlv')
      const built = buildHeaders(endpoint, message, deliveryId, 3, body, now, settings)
      const reference = referenceHeaders(endpoint, message, deliveryId, 3, body, now, settings)
      expect(Object.entries(built.sent)).toEqual(Object.entries(reference.sent))
      expect(Object.entries(built.logged)).toEqual(Object.entries(reference.logged))
      expect(built.logged).not.toBe(built.sent)
    }
  })
})

describe('createId', () => {
  it('is the prefix and 32 hex digits, unique', () => {
    const ids = new Set<string>()
    for (let i = 0; i < 5000; i++) {
      const id = createId('dlv')
      expect(id).toMatch(/^dlv_[0-9a-f]{32}$/)
      ids.add(id)
    }
    expect(ids.size).toBe(5000)
  })

  it('starts with the time in ms as 12 hex digits, so later ids sort after earlier ones', () => {
    const before = Date.now()
    const id = createId('msg')
    const after = Date.now()
    const ms = Number.parseInt(id.slice(4, 16), 16)
    expect(ms).toBeGreaterThanOrEqual(before)
    expect(ms).toBeLessThanOrEqual(after)
    expect(createId('msg_with_a_prefix_longer_than_the_scratch_buffer_takes'.repeat(3)).slice(-32, -20)).toMatch(/^[0-9a-f]{12}$/)
    const first = createId('msg')
    const end = Date.now() + 50
    let later = createId('msg')
    // Bounded: the clock moves on within a few ms.
    while (later.slice(4, 16) === first.slice(4, 16) && Date.now() < end) later = createId('msg')
    expect(later > first).toBe(true)
  })
})
