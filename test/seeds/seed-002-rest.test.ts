import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import crypto from 'node:crypto'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, toNodeHandler, type WebhookManager } from '../../src/index.js'
import { allowLoopback } from '../helpers/egress.js'
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js'

// Every REST example of seed 002 (AGiXT's webhook system), sent as written to hookline's management
// API mounted at `prefix: '/api/webhooks'` and its incoming handler at `/webhook` (and
// `/api/webhook`, the seed's curl line), on a real HTTP server. Substituted: the host and port
// (`localhost:7437` → this server; the target URLs' origins → a loopback receiver, paths kept),
// `{api_key}` / `your-api-key`, and the ids and tokens the earlier answers returned. The `http`
// blocks are copied verbatim and parsed; the Python examples' dicts are transcribed to JSON
// (`True`/`False` → `true`/`false`, comments dropped) and sent to the route the seed names or, for a
// bare config dict, to the create route its fields belong to (`target_url` → outgoing, `agent_id`
// alone → incoming). Where hookline differs, docs/api.md "Seed parity" says how and the test
// asserts that.

const API_KEY = 'your-api-key'
let manager: WebhookManager
let server: Server
let base = ''
let receiver: Receiver
const received: { route: string; payload: unknown }[] = []

/** A request as the seed writes it in an `http` block. */
function parseHttp(block: string, values: Record<string, string> = {}): { method: string; path: string; headers: Record<string, string>; body?: string } {
  const text = block.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole)
  const [head, ...rest] = text.split('\n\n')
  const [requestLine, ...headerLines] = head!.trim().split('\n')
  const [method, path] = requestLine!.split(' ') as [string, string]
  const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]))
  const body = rest.join('\n\n').trim()
  return { method, path, headers, ...(body === '' ? {} : { body }) }
}

/** Sends a request at this server; the answer's status and parsed JSON. */
async function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
  const text = await res.text()
  return { status: res.status, body: text === '' ? null : JSON.parse(text) }
}

/** Sends an `http` block of the seed, with `{api_key}` and the given values filled in. */
const http = (block: string, values: Record<string, string> = {}) => {
  const request = parseHttp(block, { api_key: API_KEY, ...values })
  return send(request.method, request.path, request.headers, request.body)
}

/** What the seed's Python `requests` calls send: `json=` bodies with the seed's headers. */
const headers = { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' }
const requests = {
  post: (path: string, json?: unknown) => send('POST', path, headers, json === undefined ? undefined : JSON.stringify(json)),
  get: (path: string) => send('GET', path, { Authorization: `Bearer ${API_KEY}` }),
  put: (path: string, json: unknown) => send('PUT', path, headers, JSON.stringify(json)),
  delete: (path: string) => send('DELETE', path, { Authorization: `Bearer ${API_KEY}` }),
}

/** A seed target URL with its origin replaced by the loopback receiver's (the path is kept). */
const local = (url: string) => {
  const { pathname, search } = new URL(url)
  return `${new URL(receiver.url).origin}${pathname}${search}`
}

/** Runs `action` and resolves with the next request the receiver gets at `path`. */
async function nextRequestAt(path: string, action: () => Promise<unknown>) {
  const before = receiver.requests.filter((r) => r.url === path).length
  await action()
  return eventually(() => receiver.requests.filter((r) => r.url === path)[before])
}

/** Seed 002's event types with the descriptions its list gives. */
const SEED_EVENT_TYPES: Record<string, string> = {
  'command.executed': 'Triggered when a command is successfully executed',
  'command.failed': 'Triggered when a command execution fails',
  'chat.started': 'Triggered when a chat conversation starts',
  'chat.completed': 'Triggered when a chat conversation completes',
  'chat.message': 'Triggered for each chat message',
  'agent.created': 'Triggered when an agent is created',
  'agent.updated': 'Triggered when an agent is updated',
  'agent.deleted': 'Triggered when an agent is deleted',
  'task.completed': 'Triggered when a task completes',
  'training.completed': 'Triggered when training completes',
}

beforeAll(async () => {
  receiver = await startReceiver()
  manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50, retryPolicy: { strategy: 'fixed', initialDelayMs: 60_000, jitter: 0, maxAttempts: 3 } })
  for (const [name, description] of Object.entries(SEED_EVENT_TYPES)) manager.registerEventType(name, { description })
  for (const route of ['1', 'sales_agent', 'data_agent', 'processor_agent', 'secure_agent', 'github']) {
    manager.onIncoming(route, ({ payload }) => {
      received.push({ route, payload })
    })
  }
  await manager.start()
  const api = createManagementHandler(manager, {
    prefix: '/api/webhooks',
    authorize: (request) => request.headers.get('authorization') === `Bearer ${API_KEY}`,
  })
  const incoming = manager.incomingHandler()
  const incomingUnderApi = manager.incomingHandler({ path: '/api/webhook' })
  const handler = toNodeHandler((request: Request) => {
    const { pathname } = new URL(request.url)
    if (pathname.startsWith('/api/webhooks/')) return api(request)
    return pathname.startsWith('/api/webhook/') ? incomingUnderApi(request) : incoming(request)
  })
  server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await manager.close({ drain: false })
  await receiver.close()
})

describe('seed 002 — outgoing webhooks, as written', () => {
  let id = ''

  it('Create Outgoing Webhook', async () => {
    const block = `POST /api/webhooks/outgoing
Authorization: Bearer {api_key}
Content-Type: application/json

{
  "url": "https://example.com/webhook",
  "event_types": ["chat.message.received", "chat.response.sent"],
  "is_active": true,
  "description": "My webhook",
  "headers": {
    "X-Custom-Header": "value"
  },
  "secret": "webhook-secret",
  "agent_id": 1,
  "retry_count": 3,
  "retry_delay": 60
}`
    const created = await http(block.replace('https://example.com/webhook', local('https://example.com/webhook')))
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      url: local('https://example.com/webhook'),
      events: ['chat.message.received', 'chat.response.sent'],
      active: true,
      description: 'My webhook',
      headers: { 'X-Custom-Header': 'value' },
      secret: 'webhook-secret',
      metadata: { agent_id: 1 },
      retry_policy: { max_attempts: 4, initial_delay_ms: 60_000 },
    })
    id = created.body.id
  })

  it('List Outgoing Webhooks / Get Outgoing Webhook (twice in the seed)', async () => {
    const list = await http(`GET /api/webhooks/outgoing
Authorization: Bearer {api_key}`)
    expect(list.status).toBe(200)
    expect(list.body.webhooks.map((w: { id: string }) => w.id)).toContain(id)
    const one = await http(
      `GET /api/webhooks/outgoing/{webhook_id}
Authorization: Bearer {api_key}`,
      { webhook_id: id },
    )
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ id, events: ['chat.message.received', 'chat.response.sent'] })
    expect(one.body.secret).toBeUndefined()
  })

  it('Update Outgoing Webhook: the partial PUT changes only what it sends', async () => {
    const updated = await http(
      `PUT /api/webhooks/outgoing/{webhook_id}
Authorization: Bearer {api_key}
Content-Type: application/json

{
  "event_types": ["agent.created", "agent.deleted"],
  "is_active": false
}`,
      { webhook_id: id },
    )
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({
      events: ['agent.created', 'agent.deleted'],
      active: false,
      status: 'paused',
      description: 'My webhook',
      headers: { 'X-Custom-Header': 'value' },
      metadata: { agent_id: 1 },
      retry_policy: { max_attempts: 4, initial_delay_ms: 60_000 },
    })
  })

  it('Test Outgoing Webhook: sends a signed test event now (a paused webhook too) and answers with the attempt', async () => {
    let tested: Awaited<ReturnType<typeof http>> | undefined
    const request = await nextRequestAt('/webhook', async () => {
      tested = await http(
        `POST /api/webhooks/outgoing/{webhook_id}/test
Authorization: Bearer {api_key}`,
        { webhook_id: id },
      )
    })
    expect(tested!.status).toBe(200)
    expect(tested!.body).toMatchObject({ status: 'sent' })
    expect(request.headers['x-custom-header']).toBe('value')
    const hex = crypto.createHmac('sha256', 'webhook-secret').update(request.rawBody).digest('hex')
    expect(request.headers['x-webhook-signature']).toBe(`sha256=${hex}`)
  })

  it('Get Webhook Statistics: seed 002 names next to hookline’s', async () => {
    const stats = await http(
      `GET /api/webhooks/{webhook_id}/statistics?webhook_type=outgoing
Authorization: Bearer {api_key}`,
      { webhook_id: id },
    )
    expect(stats.status).toBe(200)
    expect(stats.body).toMatchObject({ webhook_type: 'outgoing', total_requests: expect.any(Number), successful_requests: expect.any(Number), failed_requests: 0 })
    expect(stats.body).toHaveProperty('average_processing_time_ms')
  })

  it('Get Webhook Logs: limit and offset as in the seed', async () => {
    const logs = await http(
      `GET /api/webhooks/{webhook_id}/logs?webhook_type=outgoing&limit=100&offset=0
Authorization: Bearer {api_key}`,
      { webhook_id: id },
    )
    expect(logs.status).toBe(200)
    // Seed parity (docs/api.md): a page `{ deliveries, has_more, next_offset }`, not a bare array.
    expect(logs.body).toMatchObject({ deliveries: expect.any(Array), has_more: false })
  })

  it('Get Available Event Types: each with seed 002’s `type` and `description`', async () => {
    const types = await http(`GET /api/webhooks/event-types
Authorization: Bearer {api_key}`)
    expect(types.status).toBe(200)
    for (const [type, description] of Object.entries(SEED_EVENT_TYPES)) expect(types.body.event_types).toContainEqual(expect.objectContaining({ type, description }))
  })

  it('Delete Outgoing Webhook', async () => {
    const deleted = await http(
      `DELETE /api/webhooks/outgoing/{webhook_id}
Authorization: Bearer {api_key}`,
      { webhook_id: id },
    )
    expect(deleted).toEqual({ status: 200, body: { id, deleted: true } })
    expect((await requests.get(`/api/webhooks/outgoing/${id}`)).status).toBe(404)
  })

  it('without the API key: 401', async () => {
    expect((await send('GET', '/api/webhooks/outgoing', {})).status).toBe(401)
  })
})

describe('seed 002 — incoming webhooks, as written', () => {
  let id = ''
  let token = ''

  it('Create Incoming Webhook: the answer carries the token once', async () => {
    const created = await http(`POST /api/webhooks/incoming
Authorization: Bearer {api_key}
Content-Type: application/json

{
  "name": "External System Webhook",
  "agent_id": 1,
  "description": "Receives data from external system",
  "is_active": true,
  "transform_template": "{{ data | tojson }}"
}`)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      name: 'External System Webhook',
      token: expect.any(String),
      route: '1',
      description: 'Receives data from external system',
      active: true,
      transform: '{{ data | tojson }}',
      created_at: expect.any(String),
    })
    id = created.body.id
    token = created.body.token
  })

  it('Send Data to Incoming Webhook: the transform renders, the handler of agent 1 gets it', async () => {
    const before = received.length
    const sent = await http(
      `POST /webhook/{webhook_token}
Content-Type: application/json

{
  "message": "Data from external system",
  "timestamp": "2025-01-01T00:00:00Z",
  "custom_data": {
    "key": "value"
  }
}`,
      { webhook_token: token },
    )
    expect(sent.status).toBe(200)
    expect(received.slice(before)).toHaveLength(1)
    expect(received[before]!.route).toBe('1')
  })

  it('the curl line “Test incoming webhook” (POST /api/webhook/<token>, with an Authorization header)', async () => {
    // The seed's path says `your-webhook-id`; a token URL is addressed by the hook's token.
    const before = received.length
    const res = await fetch(`${base}/api/webhook/${token}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
      body: `{
    "message": "Test message",
    "data": {"key": "value"}
  }`,
    })
    expect(res.status).toBe(200)
    expect(received.slice(before).map((r) => r.route)).toEqual(['1'])
  })

  it('List Incoming Webhooks', async () => {
    const list = await http(`GET /api/webhooks/incoming
Authorization: Bearer {api_key}`)
    expect(list.status).toBe(200)
    expect(list.body.incoming_hooks.map((h: { id: string }) => h.id)).toContain(id)
  })

  it('Get Webhook Logs / Statistics of the incoming hook (webhook_type=incoming)', async () => {
    const logs = await requests.get(`/api/webhooks/${id}/logs?webhook_type=incoming&limit=100&offset=0`)
    expect(logs.status).toBe(200)
    expect(logs.body.logs.length).toBe(2)
    const stats = await requests.get(`/api/webhooks/${id}/statistics?webhook_type=incoming`)
    expect(stats.body).toMatchObject({ webhook_type: 'incoming', total_requests: 2, successful_requests: 2, failed_requests: 0 })
  })

  it('Update Incoming Webhook: the partial PUT keeps the template', async () => {
    const updated = await http(
      `PUT /api/webhooks/incoming/{webhook_id}
Authorization: Bearer {api_key}
Content-Type: application/json

{
  "name": "Updated Webhook Name",
  "is_active": false
}`,
      { webhook_id: id },
    )
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ name: 'Updated Webhook Name', active: false, transform: '{{ data | tojson }}', route: '1' })
    // Inactive: the token URL answers 404.
    expect((await send('POST', `/webhook/${token}`, { 'Content-Type': 'application/json' }, '{}')).status).toBe(404)
  })

  it('Delete Incoming Webhook', async () => {
    const deleted = await http(
      `DELETE /api/webhooks/incoming/{webhook_id}
Authorization: Bearer {api_key}`,
      { webhook_id: id },
    )
    expect(deleted.status).toBe(200)
    expect((await requests.get(`/api/webhooks/incoming/${id}`)).status).toBe(404)
  })

  it('Payload Transformation: the block as written is not JSON (line breaks inside a string) → 400; escaped, it works', async () => {
    const asWritten = `{
  "transform_template": "{
    \\"message\\": \\"{{ data.text }}\\",
    \\"user\\": \\"{{ data.user.name }}\\",
    \\"timestamp\\": \\"{{ data.created_at }}\\"
  }"
}`
    const refused = await send('POST', '/api/webhooks/incoming', headers, asWritten.replace('{\n  "transform_template"', '{\n  "name": "Transform", "agent_id": 1,\n  "transform_template"'))
    expect(refused.status).toBe(400)
    expect(refused.body.error.code).toBe('VALIDATION_ERROR')
    // The same block with its line breaks escaped: the template the seed means.
    const template = '{\n    "message": "{{ data.text }}",\n    "user": "{{ data.user.name }}",\n    "timestamp": "{{ data.created_at }}"\n  }'
    expect(asWritten).toBe(`{\n  "transform_template": "${template.replaceAll('"', '\\"')}"\n}`)
    const created = await requests.post('/api/webhooks/incoming', { name: 'Transform', agent_id: 1, transform_template: template })
    expect(created.status).toBe(201)
    const before = received.length
    const sent = await send('POST', `/webhook/${created.body.token}`, { 'Content-Type': 'application/json' }, JSON.stringify({ data: { text: 'hi', user: { name: 'Ada' }, created_at: '2025-01-01T00:00:00Z' } }))
    expect(sent.status).toBe(200)
    expect(received[before]!.payload).toEqual({ message: 'hi', user: 'Ada', timestamp: '2025-01-01T00:00:00Z' })
  })
})

describe('seed 002 — the integration examples (config dicts), as written', () => {
  const outgoing = async (config: Record<string, unknown>) => {
    const created = await requests.post('/api/webhooks/outgoing', { ...config, target_url: local(config.target_url as string) })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    return created.body
  }

  it('Slack and Discord: `Content-Type: application/json` in headers is what hookline sends, accepted', async () => {
    const slack = await outgoing({
      name: 'Slack Notifications',
      target_url: 'https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK',
      event_types: ['chat.completed', 'command.failed'],
      headers: { 'Content-Type': 'application/json' },
      description: 'Send notifications to Slack channel',
    })
    expect(slack).toMatchObject({ name: 'Slack Notifications', url: local('https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK'), events: ['chat.completed', 'command.failed'] })
    const discord = await outgoing({
      name: 'Discord Bot',
      target_url: 'https://discord.com/api/webhooks/YOUR_WEBHOOK_ID/YOUR_TOKEN',
      event_types: ['task.completed', 'training.completed'],
      headers: { 'Content-Type': 'application/json' },
      description: 'Notify Discord channel of completions',
    })
    expect(discord.events).toEqual(['task.completed', 'training.completed'])
  })

  it('GitHub: the receiver’s own Authorization and Accept headers are sent', async () => {
    const github = await outgoing({
      name: 'GitHub Issue Creator',
      target_url: 'https://api.github.com/repos/owner/repo/issues',
      event_types: ['command.failed', 'chain.failed'],
      headers: { Authorization: 'token YOUR_GITHUB_TOKEN', Accept: 'application/vnd.github.v3+json' },
      description: 'Create GitHub issues for failures',
    })
    expect(github.headers.Accept).toBe('application/vnd.github.v3+json')
    const request = await nextRequestAt('/repos/owner/repo/issues', async () => {
      expect((await requests.post(`/api/webhooks/test/${github.id}`)).body).toMatchObject({ status: 'sent' })
    })
    expect(request.headers).toMatchObject({ authorization: 'token YOUR_GITHUB_TOKEN', accept: 'application/vnd.github.v3+json' })
  })

  it('Monitoring and Alerting / Event Filtering: `filters` match the event data', async () => {
    const monitor = await outgoing({
      name: 'System Monitor',
      target_url: 'https://your-monitoring-system.com/webhook',
      event_types: ['command.failed', 'chain.failed', 'task.failed', 'agent.updated'],
      headers: { 'X-API-Key': 'your-monitoring-api-key' },
      filters: { severity: 'high' },
    })
    expect(monitor.filters).toEqual({ severity: 'high' })
    const agentSpecific = await outgoing({
      name: 'Agent-Specific Monitor',
      target_url: 'https://your-endpoint.com/webhook',
      event_types: ['command.executed', 'command.failed'],
      filters: { agent_name: 'production_agent', user_id: 'specific_user' },
    })
    // task.failed and command.executed reach no other webhook of this test.
    expect((await manager.emit('task.failed', { severity: 'low' })).deliveryIds).toHaveLength(0)
    expect((await manager.emit('task.failed', { severity: 'high' })).deliveryIds).toHaveLength(1)
    expect((await manager.emit('command.executed', { agent_name: 'production_agent', user_id: 'someone_else' })).deliveryIds).toHaveLength(0)
    expect((await manager.emit('command.executed', { agent_name: 'production_agent', user_id: 'specific_user' })).deliveryIds).toHaveLength(1)
    await requests.delete(`/api/webhooks/outgoing/${monitor.id}`)
    await requests.delete(`/api/webhooks/outgoing/${agentSpecific.id}`)
  })

  it('Retry and Timeout Configuration: retry_count, retry_delay (s), timeout (s), a User-Agent header', async () => {
    const reliable = await requests.post('/api/webhooks/outgoing', {
      name: 'Reliable Webhook',
      target_url: local('https://unreliable-service.com/webhook'),
      event_types: ['task.completed'],
      retry_count: 5,
      retry_delay: 30,
      timeout: 60,
      headers: { 'User-Agent': 'AGiXT-Webhook/1.0' },
    })
    // Seed parity (docs/api.md): User-Agent is the manager's `userAgent` option, not a per-endpoint header.
    expect(reliable.status).toBe(400)
    expect(reliable.body.error.fields).toEqual([expect.objectContaining({ field: 'headers.User-Agent' })])
    const withoutUserAgent = await outgoing({
      name: 'Reliable Webhook',
      target_url: 'https://unreliable-service.com/webhook',
      event_types: ['task.completed'],
      retry_count: 5,
      retry_delay: 30,
      timeout: 60,
    })
    expect(withoutUserAgent).toMatchObject({ retry_policy: { max_attempts: 6, initial_delay_ms: 30_000 }, timeout_ms: 60_000 })
  })

  it('the SDK walk-through and Raw HTTP Requests: create, list, update {"active": false}, test with test_payload, delete', async () => {
    const sdk = await outgoing({ name: 'My Webhook', target_url: 'https://my-service.com/webhook', event_types: ['chat.completed', 'task.completed'], secret: 'webhook-secret-123' })
    expect((await requests.get('/api/webhooks/outgoing')).body.webhooks.map((w: { id: string }) => w.id)).toContain(sdk.id)
    expect((await requests.put(`/api/webhooks/outgoing/${sdk.id}`, { active: false })).body).toMatchObject({ active: false, events: ['chat.completed', 'task.completed'] })
    expect((await requests.delete(`/api/webhooks/outgoing/${sdk.id}`)).status).toBe(200)

    const webhook = await outgoing({ name: 'API Webhook', target_url: 'https://api.example.com/webhooks/agixt', event_types: ['command.executed'], headers: { 'X-Source': 'AGiXT', 'X-Version': '1.0' } })
    const request = await nextRequestAt('/webhooks/agixt', async () => {
      expect((await requests.post(`/api/webhooks/test/${webhook.id}`, { test_payload: { message: 'Hello, webhook!' } })).status).toBe(200)
    })
    expect(request.body).toMatchObject({ data: { message: 'Hello, webhook!' } })
    expect(request.headers['x-source']).toBe('AGiXT')
  })

  it('Testing and Debugging: the test send, statistics and logs the debugging script reads', async () => {
    const webhook = await outgoing({ name: 'Debug', target_url: 'https://my-service.com/webhook', event_types: ['task.completed'] })
    const test_payload = { message: 'Test webhook delivery', timestamp: '2025-01-01T00:00:00Z', custom_data: { key: 'value' } }
    const response = await send('POST', `/api/webhooks/test/${webhook.id}`, { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' }, JSON.stringify({ test_payload }))
    expect(response.status).toBe(200)
    const stats = (await requests.get(`/api/webhooks/${webhook.id}/statistics?webhook_type=outgoing`)).body
    for (const key of ['total_requests', 'successful_requests', 'failed_requests', 'average_processing_time_ms']) expect(stats).toHaveProperty(key)
    const logs = (await requests.get(`/api/webhooks/${webhook.id}/logs?webhook_type=outgoing&limit=10`)).body
    expect(logs.deliveries).toEqual(expect.any(Array))
    // “Webhook Not Receiving Events”: the script reads `active`, `event_types`, `target_url`, `filters`.
    const got = (await requests.get(`/api/webhooks/outgoing/${webhook.id}`)).body
    expect(got).toMatchObject({ active: true, events: ['task.completed'], url: local('https://my-service.com/webhook'), filters: null })
  })

  it('Custom CRM Integration / External API Data Processing: payload_transformation objects render per leaf', async () => {
    const crm = await requests.post('/api/webhooks/incoming', {
      name: 'CRM Lead Processor',
      agent_id: 'sales_agent',
      description: 'Process new leads from CRM system',
      payload_transformation: {
        message: 'New lead: {{ lead_name }} from {{ company }}',
        context: { email: '{{ email }}', phone: '{{ phone }}', source: 'CRM System', priority: "{{ priority | default('medium') }}" },
      },
    })
    expect(crm.status).toBe(201)
    let before = received.length
    await send('POST', `/webhook/${crm.body.token}`, { 'Content-Type': 'application/json' }, JSON.stringify({ lead_name: 'Ada', company: 'Acme', email: 'ada@acme.test', phone: '123' }))
    expect(received[before]).toEqual({
      route: 'sales_agent',
      payload: { message: 'New lead: Ada from Acme', context: { email: 'ada@acme.test', phone: '123', source: 'CRM System', priority: 'medium' } },
    })

    const api = await requests.post('/api/webhooks/incoming', {
      name: 'API Data Processor',
      agent_id: 'data_agent',
      payload_transformation: {
        message: 'Process this data: {{ data | tojson }}',
        metadata: { source: "{{ source | default('external_api') }}", timestamp: '{{ timestamp }}', processed: false },
      },
    })
    expect(api.status).toBe(201)
    before = received.length
    await send('POST', `/webhook/${api.body.token}`, { 'Content-Type': 'application/json' }, JSON.stringify({ data: { a: 1 }, timestamp: 't' }))
    expect(received[before]!.payload).toEqual({ message: 'Process this data: {"a":1}', metadata: { source: 'external_api', timestamp: 't', processed: false } })
  })

  it('Payload Transformation Templates: the GitHub example, `contains` included', async () => {
    const transform_template = {
      message: "{% if action == 'create' %}New {{ object_type }}: {{ object_name }}{% else %}{{ action | title }} {{ object_type }}: {{ object_name }}{% endif %}",
      metadata: {
        source: 'github',
        timestamp: '{{ timestamp }}',
        priority: "{% if object_type == 'issue' and labels contains 'urgent' %}high{% else %}normal{% endif %}",
        assignee: "{{ assignee.login | default('unassigned') }}",
      },
      context: {
        repository: '{{ repository.full_name }}',
        branch: "{{ ref | default('main') }}",
        commit: "{{ head_commit.id | default('unknown') }}",
      },
    }
    const hook = await requests.post('/api/webhooks/incoming', { name: 'GitHub', agent_id: 'github', transform_template })
    expect(hook.status).toBe(201)
    const before = received.length
    const event = { action: 'create', object_type: 'issue', object_name: 'Crash', labels: ['urgent'], timestamp: 't', assignee: { login: 'ada' }, repository: { full_name: 'o/r' } }
    expect((await send('POST', `/webhook/${hook.body.token}`, { 'Content-Type': 'application/json' }, JSON.stringify(event))).status).toBe(200)
    expect(received[before]!.payload).toEqual({
      message: 'New issue: Crash',
      metadata: { source: 'github', timestamp: 't', priority: 'high', assignee: 'ada' },
      context: { repository: 'o/r', branch: 'main', commit: 'unknown' },
    })
  })

  it('Rate Limiting Configuration (rate_limit: 1000 per minute) and IP Whitelisting (allowed_ips)', async () => {
    const busy = await requests.post('/api/webhooks/incoming', { name: 'High-Volume Webhook', agent_id: 'processor_agent', rate_limit: 1000, description: 'Handle high-volume external data' })
    expect(busy.status).toBe(201)
    expect(busy.body.rate_limit_per_minute).toBe(1000)
    const secure = await requests.post('/api/webhooks/incoming', { name: 'Secure Webhook', agent_id: 'secure_agent', allowed_ips: ['192.168.1.100', '10.0.0.0/8', '203.0.113.0/24'] })
    expect(secure.status).toBe(201)
    expect(secure.body.allowed_ips).toEqual(['192.168.1.100', '10.0.0.0/8', '203.0.113.0/24'])
    // This test calls from 127.0.0.1, which the list does not hold.
    expect((await send('POST', `/webhook/${secure.body.token}`, { 'Content-Type': 'application/json' }, '{}')).status).toBe(403)
  })
})

describe('seed 002 — its receivers verify hookline’s signature as written', () => {
  it('the Node.js Express receiver (HMAC of JSON.stringify(req.body), bare hex): signature_prefix ""', async () => {
    // The seed's receiver, verbatim but for the port (3000 → ephemeral) and the log lines.
    const app = express()
    const seen: string[] = []
    app.use(express.json())
    app.post('/webhook/agixt', (req, res) => {
      const signature = req.headers['x-webhook-signature']
      const eventType = req.headers['x-webhook-event']
      if (signature) {
        const payload = JSON.stringify(req.body)
        const expectedSig = crypto.createHmac('sha256', 'your-webhook-secret').update(payload, 'utf8').digest('hex')
        if (signature !== expectedSig) {
          return res.status(401).json({ error: 'Invalid signature' })
        }
      }
      seen.push(String(eventType))
      res.json({ status: 'processed' })
    })
    const receiverServer = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => receiverServer.once('listening', resolve))
    const url = `http://127.0.0.1:${(receiverServer.address() as AddressInfo).port}/webhook/agixt`
    try {
      const prefixed = await requests.post('/api/webhooks/outgoing', { url, event_types: ['task.completed'], secret: 'your-webhook-secret' })
      const failed = await requests.post(`/api/webhooks/test/${prefixed.body.id}`)
      expect(failed.body.attempt.response_status).toBe(401)
      const bare = await requests.post('/api/webhooks/outgoing', { url, event_types: ['task.completed'], secret: 'your-webhook-secret', signature_prefix: '' })
      const ok = await requests.post(`/api/webhooks/test/${bare.body.id}`)
      expect(ok.body).toMatchObject({ status: 'sent', attempt: { response_status: 200 } })
      expect(seen).toHaveLength(1)
    } finally {
      receiverServer.closeAllConnections()
      await new Promise((resolve) => receiverServer.close(resolve))
    }
  })
})
