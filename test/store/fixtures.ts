import { randomUUID } from 'node:crypto'
import type { Attempt, Delivery, Endpoint, IncomingHook, IncomingLog, Message } from '../../src/types.js'
import type { DeliveryOutcome } from '../../src/store/types.js'

export const T0 = new Date('2026-01-01T00:00:00.000Z')
export const at = (ms: number): Date => new Date(T0.getTime() + ms)
const uid = (p: string) => `${p}_${randomUUID().replaceAll('-', '')}`

export function endpointFixture(over: Partial<Endpoint> = {}): Endpoint {
  return {
    id: uid('ep'),
    owner: null,
    name: 'Orders',
    description: 'order events',
    url: 'http://127.0.0.1:9/hook',
    method: 'POST',
    events: ['order.*'],
    filters: { 'customer.tier': 'gold' },
    headers: { 'X-Custom': 'v' },
    auth: { type: 'bearer', token: 'tok' },
    signatureScheme: 'standard-webhooks',
    signaturePrefix: '',
    secrets: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdAt: T0, expiresAt: null }],
    rotationSignatures: 'newest',
    status: 'active',
    disabledReason: null,
    timeoutMs: 5000,
    retryPolicy: { strategy: 'schedule', schedule: [60_000, 300_000] },
    rateLimit: { max: 10, intervalMs: 1000 },
    concurrency: 4,
    ordering: 'fifo',
    orderingKey: 'data.order.id',
    metadata: { team: 'billing', n: 1 },
    failingSince: null,
    tls: { cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n' },
    proxy: 'http://hooks:pw@proxy.test:3128',
    createdAt: T0,
    updatedAt: T0,
    ...over,
  }
}

export function messageFixture(over: Partial<Message> = {}): Message {
  return {
    id: uid('msg'),
    event: 'order.created',
    data: { order: { id: 42, items: ['a', 'b'] }, note: 'ünïcödé ✓', nested: { deep: [1, { x: null }] } },
    metadata: { source: 'test' },
    idempotencyKey: null,
    owner: null,
    createdAt: T0,
    ...over,
  }
}

export function deliveryFixture(message: Message, endpoint: Endpoint, over: Partial<Delivery> = {}): Delivery {
  return {
    id: uid('dlv'),
    messageId: message.id,
    endpointId: endpoint.id,
    event: message.event,
    orderingKey: null,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: message.createdAt,
    lockedUntil: null,
    lockedBy: null,
    lastStatusCode: null,
    lastError: null,
    createdAt: message.createdAt,
    updatedAt: message.createdAt,
    completedAt: null,
    ...over,
  }
}

export function attemptFixture(d: Delivery, over: Partial<Attempt> = {}): Attempt {
  return {
    id: uid('att'),
    deliveryId: d.id,
    endpointId: d.endpointId,
    attempt: d.attempts + 1,
    trigger: 'automatic',
    url: 'http://127.0.0.1:9/hook',
    method: 'POST',
    requestHeaders: { 'content-type': 'application/json', authorization: '[redacted]' },
    requestBody: '{"a":1}',
    responseStatus: 500,
    responseBody: 'boom',
    responseHeaders: { 'content-type': 'text/plain' },
    error: 'HTTP 500',
    succeeded: false,
    durationMs: 12,
    startedAt: T0,
    ...over,
  }
}

export function outcomeFixture(d: Delivery, workerId: string, over: Partial<DeliveryOutcome> = {}): DeliveryOutcome {
  return {
    deliveryId: d.id,
    workerId,
    status: 'succeeded',
    attempts: d.attempts + 1,
    nextAttemptAt: null,
    lastStatusCode: 200,
    lastError: null,
    completedAt: at(1000),
    updatedAt: at(1000),
    attempt: attemptFixture(d, { responseStatus: 200, succeeded: true, error: null, responseBody: 'ok' }),
    ...over,
  }
}

export function incomingHookFixture(over: Partial<IncomingHook> = {}): IncomingHook {
  return {
    id: uid('ih'),
    owner: null,
    name: 'CRM',
    description: null,
    active: true,
    route: 'sales_agent',
    tokenHash: randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', ''),
    tokenPrefix: 'abc123',
    transform: { message: 'New lead: {{ lead_name }}', context: { priority: "{{ priority | default('medium') }}" } },
    rateLimitPerMinute: 100,
    allowedIps: ['127.0.0.1', '10.0.0.0/8', '::1'],
    verification: { type: 'github', secret: 's3cret' },
    dedupeWindowMs: 60_000,
    dedupeHeader: null,
    maxBodyBytes: 1024 * 1024,
    version: 1,
    metadata: {},
    createdAt: T0,
    updatedAt: T0,
    ...over,
  }
}

export function incomingLogFixture(hookId: string | null, over: Partial<IncomingLog> = {}): IncomingLog {
  return {
    id: uid('il'),
    hookId,
    route: 'sales_agent',
    status: 200,
    error: null,
    sourceIp: '127.0.0.1',
    headers: { 'content-type': 'application/json' },
    payload: '{"lead_name":"Ada"}',
    deliveryKey: null,
    durationMs: 3,
    receivedAt: T0,
    ...over,
  }
}
