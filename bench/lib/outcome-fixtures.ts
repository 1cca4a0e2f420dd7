// Fixtures of the Postgres outcome-write experiments (bench/tools/outcome-write-cost.ts,
// lease-table-cost.ts): `total` messages with one delivery each to one endpoint, and the outcome
// (a succeeded attempt: 1 KB payload envelope, ~400 B of headers) a worker would write for each.
import type { DeliveryOutcome } from '../../src/store/types.js'
import type { Attempt, Delivery, Endpoint, Message } from '../../src/types.js'
import { makePayload } from './payload.js'

const now = new Date()
const data = makePayload(1024)
/** The JSON text of every fixture message's data. */
export const dataText = JSON.stringify(data)

/** An endpoint and `total` messages with one leased delivery each (lease held by worker `w`). */
export function fixtures(total: number, leased = true): { endpoint: Endpoint; items: { message: Message; deliveries: Delivery[] }[] } {
  const endpoint = {
    id: 'ep_bench',
    owner: null,
    name: 'bench',
    description: null,
    url: 'http://127.0.0.1:1/hook',
    method: 'POST',
    events: ['*'],
    filters: null,
    headers: {},
    auth: null,
    signatureScheme: 'hmac-sha256',
    secrets: [{ secret: 's', createdAt: now, expiresAt: null }],
    status: 'active',
    disabledReason: null,
    timeoutMs: null,
    retryPolicy: null,
    rateLimit: null,
    concurrency: null,
    metadata: {},
    failingSince: null,
    tls: null,
    proxy: null,
    rotationSignatures: 'all',
    ordering: 'unordered',
    orderingKey: null,
    createdAt: now,
    updatedAt: now,
  } as unknown as Endpoint
  const items = Array.from({ length: total }, (_, i) => {
    const message = { id: `msg_${i}`, event: 'agent.created', data, metadata: null, idempotencyKey: null, owner: null, createdAt: now } as Message
    const delivery = {
      id: `dlv_${i}`,
      messageId: message.id,
      endpointId: endpoint.id,
      event: message.event,
      status: leased ? 'delivering' : 'pending',
      attempts: 0,
      nextAttemptAt: leased ? null : new Date(now.getTime() - 1000),
      lockedUntil: leased ? new Date(now.getTime() + 600_000) : null,
      lockedBy: leased ? 'w' : null,
      lastStatusCode: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
      orderingKey: null,
    } as Delivery
    return { message, deliveries: [delivery] }
  })
  return { endpoint, items }
}

/** The outcome of a succeeded attempt of `d` by worker `worker`. */
export function outcome(d: Delivery, worker = 'w'): DeliveryOutcome {
  const body = `{"id":"${d.messageId}","event":"agent.created","timestamp":"${now.toISOString()}","data":${dataText}}`
  const attempt: Attempt = {
    id: `att_${d.id}`,
    deliveryId: d.id,
    endpointId: d.endpointId,
    attempt: 1,
    trigger: 'automatic',
    url: 'http://127.0.0.1:1/hook',
    method: 'POST',
    requestHeaders: {
      'content-type': 'application/json',
      'user-agent': 'hookline/1.0',
      'webhook-id': d.messageId,
      'webhook-timestamp': '1764662400',
      'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
      'x-hookline-delivery': d.id,
      'x-hookline-attempt': '1',
    },
    requestBody: body,
    responseStatus: 200,
    responseBody: 'ok',
    responseHeaders: { 'content-type': 'text/plain', 'content-length': '2', date: now.toUTCString() },
    error: null,
    succeeded: true,
    durationMs: 3.2,
    startedAt: now,
  }
  return { deliveryId: d.id, workerId: worker, status: 'succeeded', attempts: 1, nextAttemptAt: null, lastStatusCode: 200, lastError: null, completedAt: now, updatedAt: now, attempt }
}

