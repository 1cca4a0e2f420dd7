import { createHmac, timingSafeEqual } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, verifySignature, type WebhookManager } from '../../src/index.js'
import { allowLoopback } from '../helpers/egress.js'
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver.js'
import { apiClient, serve } from '../management/helpers.js'

/**
 * A receiver's check as `@octokit/webhooks`' `verify(secret, payload, signature)` makes it: the
 * header must be exactly one `sha256=<64 hex>` value, compared in constant time with the HMAC of
 * the body under the one secret the receiver holds.
 */
function verifyLikeOctokit(secret: string, request: ReceivedRequest): boolean {
  const header = String(request.headers['x-webhook-signature'] ?? '')
  if (!/^sha256=[\da-f]{64}$/i.test(header)) return false
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(request.rawBody).digest('hex')}`)
  return timingSafeEqual(Buffer.from(header.toLowerCase()), expected)
}

const T0 = Date.parse('2026-06-01T00:00:00.000Z')
const HOUR = 3_600_000
let now = T0
let manager: WebhookManager
let receiver: Receiver
beforeEach(async () => {
  now = T0
  receiver = await startReceiver()
  manager = createWebhookManager({ egress: allowLoopback, clock: { now: () => now } })
})
afterEach(async () => {
  await manager.close({ drain: false })
  await receiver.close()
})

/** Sends a test event now and returns the request the receiver got. */
async function send(id: string): Promise<ReceivedRequest> {
  const before = receiver.requests.length
  const attempt = await manager.testEndpoint(id)
  expect(attempt.succeeded, attempt.error ?? '').toBe(true)
  return receiver.requests[before]!
}

describe('rotationSignatures: which secrets sign during a rotation overlap', () => {
  it("'all' (default): one signature per live secret — hookline's verifySignature accepts either secret, a one-value check (octokit) neither", async () => {
    const ep = await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    expect(ep.rotationSignatures).toBe('all')
    const rotated = await manager.rotateSecret(ep.id, { overlapMs: 24 * HOUR })
    const request = await send(ep.id)
    expect(String(request.headers['x-webhook-signature']).split(' ')).toHaveLength(2)
    for (const secret of [ep.secret!, rotated.secret!]) {
      expect(verifySignature({ secret, body: request.rawBody, headers: request.headers })).toBe(true)
      expect(verifyLikeOctokit(secret, request)).toBe(false)
    }
  })

  it("'newest': one value from the rotation on, under the new secret", async () => {
    const ep = await manager.createEndpoint({ url: receiver.url, events: ['*'], rotationSignatures: 'newest' })
    expect(verifyLikeOctokit(ep.secret!, await send(ep.id))).toBe(true)
    now += 1000
    const rotated = await manager.rotateSecret(ep.id, { overlapMs: 24 * HOUR })
    const during = await send(ep.id)
    expect(verifyLikeOctokit(rotated.secret!, during)).toBe(true)
    expect(verifyLikeOctokit(ep.secret!, during)).toBe(false)
  })

  it("'oldest': the previous secret keeps signing alone until the overlap ends, then the new one", async () => {
    const ep = await manager.createEndpoint({ url: receiver.url, events: ['*'], rotationSignatures: 'oldest' })
    now += 1000
    const rotated = await manager.rotateSecret(ep.id, { overlapMs: 24 * HOUR })
    const during = await send(ep.id)
    expect(verifyLikeOctokit(ep.secret!, during)).toBe(true)
    expect(verifyLikeOctokit(rotated.secret!, during)).toBe(false)
    now += 24 * HOUR + 1
    const after = await send(ep.id)
    expect(verifyLikeOctokit(rotated.secret!, after)).toBe(true)
    expect(verifyLikeOctokit(ep.secret!, after)).toBe(false)
  })

  it('applies to Standard Webhooks too (one v1 entry); can be changed by updateEndpoint; refuses other values naming the field', async () => {
    const ep = await manager.createEndpoint({ url: receiver.url, events: ['*'], signatureScheme: 'standard-webhooks' })
    now += 1000
    const rotated = await manager.rotateSecret(ep.id, { overlapMs: HOUR })
    expect(String((await send(ep.id)).headers['webhook-signature']).split(' ')).toHaveLength(2)
    expect((await manager.updateEndpoint(ep.id, { rotationSignatures: 'newest' })).rotationSignatures).toBe('newest')
    const one = await send(ep.id)
    expect(String(one.headers['webhook-signature']).split(' ')).toHaveLength(1)
    expect(verifySignature({ secret: rotated.secret!, body: one.rawBody, headers: one.headers, now: () => now })).toBe(true)
    await expect(manager.updateEndpoint(ep.id, { rotationSignatures: 'first' as never })).rejects.toMatchObject({ fields: [expect.objectContaining({ field: 'rotationSignatures' })] })
  })

  it('the management API reads and writes rotation_signatures', async () => {
    const server = await serve(createManagementHandler(manager, { authorize: () => true }))
    try {
      const api = apiClient(`${server.url}/api/v1`)
      const created = await api('POST', '/webhooks', { url: receiver.url, events: ['*'], rotation_signatures: 'oldest' })
      expect(created.status).toBe(201)
      expect(created.body.rotation_signatures).toBe('oldest')
      expect((await api('PATCH', `/webhooks/${created.body.id}`, { rotation_signatures: 'newest' })).body.rotation_signatures).toBe('newest')
      const bad = await api('PATCH', `/webhooks/${created.body.id}`, { rotation_signatures: 'both' })
      expect(bad.status).toBe(400)
      expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['rotation_signatures'])
      // A full PUT resets it to the default, like the other signature settings.
      expect((await api('PUT', `/webhooks/${created.body.id}`, { url: receiver.url, events: ['*'] })).body.rotation_signatures).toBe('all')
    } finally {
      await server.close()
    }
  })
})
