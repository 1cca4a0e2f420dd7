import { createHmac } from 'node:crypto'
import * as v from 'valibot'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, type WebhookManager } from '../../src/index.js'
import { deliveryDetailOutput, deliveryListOutput } from '../../src/management/deliveries/delivery-schemas.js'
import { eventTypeListOutput, testOutput, triggerOutput } from '../../src/management/events/event-schemas.js'
import { statsOutput, webhookListOutput, webhookOutput } from '../../src/management/webhooks/webhook-schemas.js'
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js'
import { apiClient, serve, type TestServer } from './helpers.js'
import { allowLoopback } from '../helpers/egress.js'

let manager: WebhookManager
let receiver: Receiver
let server: TestServer
let api: ReturnType<typeof apiClient>

beforeEach(async () => {
  receiver = await startReceiver()
  manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50, retryPolicy: { strategy: 'fixed', initialDelayMs: 60_000, jitter: 0, maxAttempts: 3 } })
  manager.registerEventType('agent.created', { description: 'Triggered when agent is created', example: { agent_id: 'agent_123' } })
  manager.registerEventType('conversation.message', { description: 'Triggered when message is received' })
  await manager.start()
  server = await serve(createManagementHandler(manager, { authorize: () => true }))
  api = apiClient(`${server.url}/api/v1`)
})

afterEach(async () => {
  await server.close()
  await manager.close({ drain: false })
  await receiver.close()
})

/** The seed 000 create request, verbatim except for a URL that reaches the test receiver. */
const seedCreate = (url: string) => ({
  name: 'My Webhook',
  url,
  events: ['agent.created', 'conversation.message', 'usage.threshold'],
  secret: 'your_webhook_secret',
  active: true,
})

describe('management API — webhooks (seed 000 / 004 requests)', () => {
  it('POST /webhooks accepts the seed request and answers 201 with the secret, once', async () => {
    const created = await api('POST', '/webhooks', seedCreate(receiver.url))
    expect(created.status).toBe(201)
    expect(created.headers.get('content-type')).toMatch(/^application\/json/)
    expect(created.headers.get('location')).toBe(`/api/v1/webhooks/${created.body.id}`)
    expect(() => v.parse(webhookOutput, created.body)).not.toThrow()
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^ep_/),
      name: 'My Webhook',
      url: receiver.url,
      events: ['agent.created', 'conversation.message', 'usage.threshold'],
      secret: 'your_webhook_secret',
      active: true,
      status: 'active',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })

    const got = await api('GET', `/webhooks/${created.body.id}`)
    expect(got.status).toBe(200)
    expect(got.body).not.toHaveProperty('secret')
    expect(got.body).toMatchObject({ id: created.body.id, name: 'My Webhook', active: true })

    const head = await fetch(`${server.url}/api/v1/webhooks/${created.body.id}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    const revealed = await api('GET', `/webhooks/${created.body.id}?include_secret=true`)
    expect(revealed.body.secret).toBe('your_webhook_secret')
  })

  it('GET /webhooks lists webhooks without secrets, paginated', async () => {
    for (let i = 0; i < 3; i++) await api('POST', '/webhooks', { url: `${receiver.url}?n=${i}`, events: ['agent.created'] })
    const all = await api('GET', '/webhooks')
    expect(all.status).toBe(200)
    expect(() => v.parse(webhookListOutput, all.body)).not.toThrow()
    expect(all.body.webhooks).toHaveLength(3)
    expect(all.body.webhooks.every((w: Record<string, unknown>) => !('secret' in w))).toBe(true)
    expect(all.body).toMatchObject({ has_more: false, next_offset: null })

    const first = await api('GET', '/webhooks?limit=2')
    expect(first.body).toMatchObject({ has_more: true, next_offset: 2 })
    const second = await api('GET', `/webhooks?limit=2&offset=${first.body.next_offset}`)
    expect(second.body.webhooks).toHaveLength(1)
    expect(second.body).toMatchObject({ has_more: false, next_offset: null })

    await api('POST', `/webhooks/${all.body.webhooks[0].id}/pause`)
    const paused = await api('GET', '/webhooks?status=paused')
    expect(paused.body.webhooks.map((w: { id: string }) => w.id)).toEqual([all.body.webhooks[0].id])
  })

  it('PATCH changes only the fields sent (seed 000 update)', async () => {
    const { body: created } = await api('POST', '/webhooks', { ...seedCreate(receiver.url), headers: { 'X-Custom-Header': 'custom-value' } })
    const patched = await api('PATCH', `/webhooks/${created.id}`, { name: 'Updated Webhook', events: ['agent.created', 'agent.updated'] })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({
      id: created.id,
      name: 'Updated Webhook',
      url: receiver.url,
      events: ['agent.created', 'agent.updated'],
      active: true,
      headers: { 'X-Custom-Header': 'custom-value' },
    })
    expect(Date.parse(patched.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at))

    const nested = await api('PATCH', `/webhooks/${created.id}`, { retry_policy: { max_attempts: 5, initial_delay_ms: 1000 }, rate_limit: { max: 10 }, timeout_ms: 5000 })
    expect(nested.body).toMatchObject({ retry_policy: { max_attempts: 5, initial_delay_ms: 1000 }, rate_limit: { max: 10, interval_ms: 1000 }, timeout_ms: 5000 })
    expect((await manager.getEndpoint(created.id)).retryPolicy).toEqual({ maxAttempts: 5, initialDelayMs: 1000 })
  })

  it('PUT with url and events replaces the configuration: left-out fields reset, secret kept', async () => {
    const { body: created } = await api('POST', '/webhooks', {
      ...seedCreate(receiver.url),
      description: 'Production webhook',
      headers: { 'X-Custom-Header': 'v' },
      auth: { type: 'bearer', token: 'secret123' },
    })
    const put = await api('PUT', `/webhooks/${created.id}`, { url: receiver.url, events: ['workflow.completed', 'workflow.failed'], active: true })
    expect(put.status).toBe(200)
    expect(put.body).toMatchObject({
      url: receiver.url,
      events: ['workflow.completed', 'workflow.failed'],
      description: null,
      headers: {},
      auth: null,
      name: '127.0.0.1:' + new URL(receiver.url).port,
      active: true,
    })
    const secret = await api('GET', `/webhooks/${created.id}?include_secret=true`)
    expect(secret.body.secret).toBe('your_webhook_secret')
  })

  it('PUT without url or events merges, like PATCH (seed 004 and seed 002 updates keep headers, auth, description, retry policy)', async () => {
    const { body: created } = await api('POST', '/webhooks', {
      ...seedCreate(receiver.url),
      description: 'Production webhook',
      headers: { 'X-Custom-Header': 'v' },
      auth: { type: 'bearer', token: 'secret123' },
      retry_policy: { max_attempts: 4 },
      metadata: { team: 'a' },
    })
    const put = await api('PUT', `/webhooks/${created.id}`, { events: ['workflow.completed', 'workflow.failed'], active: true })
    expect(put.status).toBe(200)
    expect(put.body).toMatchObject({
      events: ['workflow.completed', 'workflow.failed'],
      description: 'Production webhook',
      headers: { 'X-Custom-Header': 'v' },
      auth: { type: 'bearer', token: '[redacted]' },
      retry_policy: { max_attempts: 4 },
      metadata: { team: 'a' },
      active: true,
    })
    const agixt = await api('PUT', `/webhooks/${created.id}`, { event_types: ['agent.created', 'agent.deleted'], is_active: false })
    expect(agixt.body).toMatchObject({ events: ['agent.created', 'agent.deleted'], active: false, headers: { 'X-Custom-Header': 'v' }, description: 'Production webhook' })
  })

  it('DELETE answers { id, deleted: true } and the webhook is gone', async () => {
    const { body: created } = await api('POST', '/webhooks', seedCreate(receiver.url))
    const deleted = await api('DELETE', `/webhooks/${created.id}`)
    expect(deleted).toMatchObject({ status: 200, body: { id: created.id, deleted: true } })
    const again = await api('GET', `/webhooks/${created.id}`)
    expect(again.status).toBe(404)
    expect(again.body.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('webhook') })
  })

  it('credentials are redacted in every answer but the create answer', async () => {
    const { body } = await api('POST', '/webhooks', { url: receiver.url, events: ['*'], auth: { type: 'api-key', key: 'k-123', header_name: 'X-API-Key' } })
    expect(body.auth).toEqual({ type: 'api-key', key: 'k-123', header_name: 'X-API-Key' })
    expect((await api('GET', `/webhooks/${body.id}`)).body.auth).toEqual({ type: 'api-key', key: '[redacted]', header_name: 'X-API-Key' })
    expect(JSON.stringify((await api('GET', '/webhooks')).body)).not.toContain('k-123')
    expect(JSON.stringify((await api('PATCH', `/webhooks/${body.id}`, { name: 'x' })).body)).not.toContain('k-123')
  })

  it('pause / resume / rotate-secret', async () => {
    const { body: created } = await api('POST', '/webhooks', seedCreate(receiver.url))
    expect((await api('POST', `/webhooks/${created.id}/pause`)).body).toMatchObject({ status: 'paused', active: false })
    expect((await api('POST', `/webhooks/${created.id}/resume`)).body).toMatchObject({ status: 'active', active: true })
    const rotated = await api('POST', `/webhooks/${created.id}/rotate-secret`, { overlap_ms: 60_000 })
    expect(rotated.status).toBe(200)
    expect(rotated.body.secret).toMatch(/^[0-9a-f]{64}$/)
    expect(rotated.body.secret).not.toBe('your_webhook_secret')
    expect(rotated.body.previous_secret_expires_at).not.toBeNull()
    // no body at all is fine too
    const again = await api('POST', `/webhooks/${created.id}/rotate-secret`)
    expect(again.status).toBe(200)
  })

  it('POST /webhooks/:id/test sends the seed test request now, signed, and logs it', async () => {
    const { body: created } = await api('POST', '/webhooks', seedCreate(receiver.url))
    const test = await api('POST', `/webhooks/${created.id}/test`, { event: 'agent.created', test_data: { agent_id: 'test_agent', agent_name: 'Test Agent' } })
    expect(test.status).toBe(200)
    expect(() => v.parse(testOutput, test.body)).not.toThrow()
    expect(test.body).toMatchObject({ status: 'sent', test_event_id: expect.stringMatching(/^msg_/), attempt: { response_status: 200, trigger: 'test' } })
    const [req] = await receiver.waitFor(1)
    expect(req!.body).toMatchObject({ event: 'agent.created', data: { agent_id: 'test_agent', agent_name: 'Test Agent' } })
    const expected = 'sha256=' + createHmac('sha256', 'your_webhook_secret').update(req!.rawBody).digest('hex')
    expect(req!.headers['x-webhook-signature']).toBe(expected)

    receiver.respond(() => ({ status: 500, body: 'down' }))
    const failed = await api('POST', `/webhooks/${created.id}/test`)
    expect(failed.body).toMatchObject({ status: 'failed', attempt: { response_status: 500, response_body: 'down' } })
  })
})

describe('management API — the request formats of seeds 001 and 002', () => {
  it('AGiXT (seed 002): create with event_types / is_active / retry_count / retry_delay / agent_id, PUT update, test_payload', async () => {
    const create = await api('POST', '/webhooks', {
      url: receiver.url,
      event_types: ['chat.message.received', 'chat.response.sent'],
      is_active: true,
      description: 'My webhook',
      headers: { 'X-Custom-Header': 'value' },
      secret: 'webhook-secret',
      agent_id: 1,
      retry_count: 3,
      retry_delay: 60,
    })
    expect(create.status).toBe(201)
    expect(create.body).toMatchObject({
      events: ['chat.message.received', 'chat.response.sent'],
      active: true,
      retry_policy: { max_attempts: 4, initial_delay_ms: 60_000 },
      metadata: { agent_id: 1 },
    })
    const update = await api('PUT', `/webhooks/${create.body.id}`, { event_types: ['agent.created', 'agent.deleted'], is_active: false })
    expect(update.body).toMatchObject({ events: ['agent.created', 'agent.deleted'], status: 'paused' })
    await api('POST', `/webhooks/${create.body.id}/resume`)
    const test = await api('POST', `/webhooks/${create.body.id}/test`, { test_payload: { message: 'Hello, webhook!' } })
    expect(test.body).toMatchObject({ status: 'sent' })
    expect((await receiver.waitFor(1))[0]!.body).toMatchObject({ data: { message: 'Hello, webhook!' } })
    const both = await api('POST', '/webhooks', { url: receiver.url, events: ['a.b'], event_types: ['c.d'] })
    expect([both.status, both.body.error.fields]).toEqual([400, [{ field: 'event_types', message: 'is another name of `events`; give one of them' }]])
  })

  it('seed 001: the camelCase create request (targetUrl, isActive)', async () => {
    const create = await api('POST', '/webhooks', {
      name: 'My Webhook',
      description: 'Webhook for workflow completions',
      targetUrl: receiver.url,
      events: ['workflow.completed', 'agent.completed'],
      headers: { 'X-Custom-Header': 'custom-value' },
      isActive: true,
    })
    expect(create.status).toBe(201)
    expect(create.body).toMatchObject({ name: 'My Webhook', url: receiver.url, status: 'active', headers: { 'X-Custom-Header': 'custom-value' } })
  })
})

describe('management API — deliveries, stats, events', () => {
  it('POST /events triggers a delivery; deliveries list, detail with attempts, retry, stats', async () => {
    const { body: hook } = await api('POST', '/webhooks', seedCreate(receiver.url))
    receiver.respond(() => ({ status: 503, body: 'busy' }))

    const trigger = await api('POST', '/events', { event: 'agent.created', data: { agent_id: 'agent_123', agent_name: 'Customer Support Bot' }, metadata: { source: 'api' } })
    expect(trigger.status).toBe(202)
    expect(() => v.parse(triggerOutput, trigger.body)).not.toThrow()
    expect(trigger.body.delivery_ids).toHaveLength(1)
    const deliveryId = trigger.body.delivery_ids[0]

    await eventually(async () => (await api('GET', `/deliveries/${deliveryId}`)).body.status === 'failed')
    const list = await api('GET', `/webhooks/${hook.id}/deliveries?status=failed`)
    expect(list.status).toBe(200)
    expect(() => v.parse(deliveryListOutput, list.body)).not.toThrow()
    expect(list.body.deliveries).toEqual([
      expect.objectContaining({ id: deliveryId, webhook_id: hook.id, event: 'agent.created', status: 'failed', attempts: 1, last_status_code: 503 }),
    ])
    expect((await api('GET', `/webhooks/${hook.id}/deliveries?status=succeeded,dead`)).body.deliveries).toEqual([])
    const future = new Date(Date.now() + 3_600_000).toISOString()
    expect((await api('GET', `/webhooks/${hook.id}/deliveries?since=${future}`)).body.deliveries).toEqual([])
    expect((await api('GET', `/webhooks/${hook.id}/deliveries?until=${future}`)).body.deliveries).toHaveLength(1)

    const detail = await api('GET', `/deliveries/${deliveryId}`)
    expect(() => v.parse(deliveryDetailOutput, detail.body)).not.toThrow()
    expect(detail.body).toMatchObject({
      id: deliveryId,
      attempt_log: [{ attempt: 1, trigger: 'automatic', response_status: 503, response_body: 'busy', succeeded: false }],
      message: { event: 'agent.created', data: { agent_id: 'agent_123' }, metadata: { source: 'api' } },
    })
    expect(detail.body.attempt_log[0].request_headers['X-Webhook-Signature'] ?? detail.body.attempt_log[0].request_headers['x-webhook-signature']).not.toContain('your_webhook_secret')
    const nested = await api('GET', `/webhooks/${hook.id}/deliveries/${deliveryId}`)
    expect(nested.body.id).toBe(deliveryId)

    receiver.respond(() => ({ status: 200, body: 'ok' }))
    const retry = await api('POST', `/deliveries/${deliveryId}/retry`)
    expect(retry.status).toBe(202)
    expect(retry.body).toMatchObject({ id: deliveryId })
    await eventually(async () => (await api('GET', `/deliveries/${deliveryId}`)).body.status === 'succeeded')
    const after = await api('GET', `/deliveries/${deliveryId}`)
    expect(after.body.attempt_log.map((a: { trigger: string; response_status: number }) => [a.trigger, a.response_status])).toEqual([
      ['automatic', 503],
      ['manual', 200],
    ])

    const stats = await api('GET', `/webhooks/${hook.id}/stats`)
    expect(stats.status).toBe(200)
    expect(() => v.parse(statsOutput, stats.body)).not.toThrow()
    expect(stats.body).toMatchObject({ webhook_id: hook.id, total: 1, succeeded: 1, attempts: 2, success_rate: 1 })
  })

  it('POST /webhooks/:id/replay requeues failed deliveries since a time', async () => {
    const { body: hook } = await api('POST', '/webhooks', { url: receiver.url, events: ['*'], retry_policy: { max_attempts: 1 } })
    receiver.respond(() => ({ status: 500 }))
    const since = new Date(Date.now() - 1000).toISOString()
    for (let i = 0; i < 3; i++) await api('POST', '/events', { event: 'order.paid', data: { i } })
    await eventually(async () => (await api('GET', `/webhooks/${hook.id}/deliveries?status=dead`)).body.deliveries.length === 3)

    receiver.respond(() => ({ status: 200 }))
    const replay = await api('POST', `/webhooks/${hook.id}/replay`, { since })
    expect(replay).toMatchObject({ status: 202, body: { replayed: 3 } })
    await eventually(async () => (await api('GET', `/webhooks/${hook.id}/deliveries?status=succeeded`)).body.deliveries.length === 3)

    const missingSince = await api('POST', `/webhooks/${hook.id}/replay`, {})
    expect(missingSince.status).toBe(400)
    expect(missingSince.body.error.fields).toEqual([{ field: 'since', message: 'is required' }])
  })

  it('GET /event-types lists the registered catalog (seed 002 shape)', async () => {
    const res = await api('GET', '/event-types')
    expect(res.status).toBe(200)
    expect(() => v.parse(eventTypeListOutput, res.body)).not.toThrow()
    expect(res.body.event_types).toEqual([
      { name: 'agent.created', type: 'agent.created', description: 'Triggered when agent is created', has_schema: false, example: { agent_id: 'agent_123' } },
      { name: 'conversation.message', type: 'conversation.message', description: 'Triggered when message is received', has_schema: false },
    ])
  })

  it('GET /event-types gives a typed event its JSON schema', async () => {
    manager.registerEventType('usage.threshold', { description: 'Usage crossed a threshold', schema: v.object({ percentage: v.number(), plan: v.optional(v.string()) }) })
    const res = await api('GET', '/event-types')
    expect(() => v.parse(eventTypeListOutput, res.body)).not.toThrow()
    const typed = res.body.event_types.find((t: { name: string }) => t.name === 'usage.threshold')
    expect(typed).toMatchObject({
      type: 'usage.threshold',
      has_schema: true,
      schema: { type: 'object', properties: { percentage: { type: 'number' }, plan: { type: 'string' } }, required: ['percentage'] },
    })
  })

  it('POST /events validates data against the event type schema and reports the field', async () => {
    manager.registerEventType('usage.threshold', { schema: v.object({ percentage: v.number() }) })
    const bad = await api('POST', '/events', { event: 'usage.threshold', data: { percentage: 'ninety' } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.fields).toEqual([{ field: 'data.percentage', message: expect.any(String) }])
    const dup1 = await api('POST', '/events', { event: 'usage.threshold', data: { percentage: 90 }, idempotency_key: 'k1' })
    const dup2 = await api('POST', '/events', { event: 'usage.threshold', data: { percentage: 90 }, idempotency_key: 'k1' })
    expect(dup2.body).toEqual({ ...dup1.body, duplicate: true })
  })

  it('POST /events with an array stores every event together (emitMany), or none when one is invalid', async () => {
    manager.registerEventType('usage.threshold', { schema: v.object({ percentage: v.number() }) })
    await api('POST', '/webhooks', { url: receiver.url, events: ['usage.threshold'] })
    const bad = await api('POST', '/events', [
      { event: 'usage.threshold', data: { percentage: 1 } },
      { event: 'usage.threshold', data: { percentage: 'x' } },
      { event: 'not valid' },
    ])
    expect(bad.status).toBe(400)
    expect(bad.body.error.fields).toEqual([{ field: '2.event', message: expect.any(String) }])
    const badData = await api('POST', '/events', [
      { event: 'usage.threshold', data: { percentage: 1 } },
      { event: 'usage.threshold', data: { percentage: 'x' } },
    ])
    expect(badData.status).toBe(400)
    expect(badData.body.error.fields).toEqual([{ field: '1.data.percentage', message: expect.any(String) }])
    expect((await api('POST', '/events', [])).status).toBe(400)
    expect((await api('POST', '/events', [{ event: 'usage.threshold', extra: 1 }])).body.error.fields).toEqual([{ field: '0.extra', message: 'is not a known field' }])
    expect(await manager.findDeliveries()).toEqual([])

    const ok = await api('POST', '/events', [
      { event: 'usage.threshold', data: { percentage: 10 }, idempotency_key: 'b1' },
      { event: 'usage.threshold', data: { percentage: 20 } },
      { event: 'usage.threshold', data: { percentage: 30 }, idempotency_key: 'b1' },
    ])
    expect(ok.status).toBe(202)
    expect(ok.body.events).toHaveLength(3)
    for (const e of ok.body.events) expect(() => v.parse(triggerOutput, e)).not.toThrow()
    expect(ok.body.events.map((e: { duplicate: boolean }) => e.duplicate)).toEqual([false, false, true])
    expect(ok.body.events[2].message_id).toBe(ok.body.events[0].message_id)
    const received = await receiver.waitFor(2, 5000)
    expect(received.map((r) => (r.body as { data: { percentage: number } }).data.percentage).sort()).toEqual([10, 20])
  })
})
