import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, toNodeHandler, type WebhookManager } from '../../src/index.js'
import { allowLoopback } from '../helpers/egress.js'
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js'

// Seed 001's API reference (the Unified AI Agent Platform), each route sent as written to
// hookline's management API at its default prefix `/api/v1` on a real HTTP server, with the
// incoming handler at `/api/v1/webhooks/receive/<token>`. Substituted: the host and port (the
// target URL's origin → a loopback receiver, its path kept) and the ids earlier answers returned.
// The seed gives no body for `PUT`: the create body with a new name is sent. Its receiver's
// signature check runs verbatim. Where hookline differs, docs/api.md "Seed parity" says how.

let manager: WebhookManager
let server: Server
let base = ''
let receiver: Receiver
const received: unknown[] = []

const send = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  })
  const text = await res.text()
  return { status: res.status, body: text === '' ? null : JSON.parse(text) }
}

/** The seed's request body, verbatim but for the target URL's origin. */
const createBody = () => ({
  name: 'My Webhook',
  description: 'Webhook for workflow completions',
  targetUrl: `${new URL(receiver.url).origin}/webhook`,
  events: ['workflow.completed', 'agent.completed'],
  headers: {
    'X-Custom-Header': 'custom-value',
  },
  isActive: true,
})

beforeAll(async () => {
  receiver = await startReceiver()
  manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50 })
  manager.onIncoming('pipedream', ({ payload }) => {
    received.push(payload)
  })
  await manager.start()
  const api = createManagementHandler(manager, { authorize: () => true })
  const incoming = manager.incomingHandler({ path: '/api/v1/webhooks/receive' })
  server = createServer(toNodeHandler((request: Request) => (new URL(request.url).pathname.startsWith('/api/v1/webhooks/receive/') ? incoming(request) : api(request))))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await manager.close({ drain: false })
  await receiver.close()
})

describe('seed 001 — API reference, as written', () => {
  let id = ''

  it('POST /api/v1/webhooks: the camelCase request body', async () => {
    const created = await send('POST', '/api/v1/webhooks', createBody())
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      name: 'My Webhook',
      description: 'Webhook for workflow completions',
      url: createBody().targetUrl,
      events: ['workflow.completed', 'agent.completed'],
      headers: { 'X-Custom-Header': 'custom-value' },
      active: true,
      secret: expect.any(String),
    })
    id = created.body.id
  })

  it('GET /api/v1/webhooks and GET /api/v1/webhooks/:id', async () => {
    const list = await send('GET', '/api/v1/webhooks')
    expect(list.status).toBe(200)
    expect(list.body.webhooks.map((w: { id: string }) => w.id)).toEqual([id])
    const one = await send('GET', `/api/v1/webhooks/${id}`)
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ id, name: 'My Webhook' })
  })

  it('PUT /api/v1/webhooks/:id: a full body replaces the webhook', async () => {
    const updated = await send('PUT', `/api/v1/webhooks/${id}`, { ...createBody(), name: 'Workflow completions', isActive: false })
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ id, name: 'Workflow completions', active: false, headers: { 'X-Custom-Header': 'custom-value' } })
    expect((await send('PUT', `/api/v1/webhooks/${id}`, createBody())).body.active).toBe(true)
  })

  it('POST /api/v1/webhooks/:id/test: a test event now; the payload has the seed’s structure and the seed’s receiver code verifies it (bare hex)', async () => {
    // The seed's verification function, verbatim.
    function verifyWebhookSignature(requestBody: unknown, signature: string, secret: string) {
      const hmac = crypto.createHmac('sha256', secret)
      hmac.update(JSON.stringify(requestBody))
      const calculatedSignature = hmac.digest('hex')
      return crypto.timingSafeEqual(Buffer.from(calculatedSignature), Buffer.from(signature))
    }
    const secret = (await send('GET', `/api/v1/webhooks/${id}?include_secret=true`)).body.secret as string
    const check = (request: { body: unknown; headers: Record<string, unknown> }) => {
      try {
        return verifyWebhookSignature(request.body, String(request.headers['x-webhook-signature']), secret)
      } catch (error) {
        return (error as Error).name
      }
    }

    const count = receiver.requests.length
    const tested = await send('POST', `/api/v1/webhooks/${id}/test`)
    expect(tested.status).toBe(200)
    expect(tested.body).toMatchObject({ status: 'sent' })
    const request = await eventually(() => receiver.requests[count])
    expect(request.url).toBe('/webhook')
    expect(Object.keys(request.body as object)).toEqual(expect.arrayContaining(['id', 'event', 'timestamp', 'data']))
    // With the default `sha256=` prefix the lengths differ and timingSafeEqual throws.
    expect(check(request as never)).toBe('RangeError')

    expect((await send('PATCH', `/api/v1/webhooks/${id}`, { signature_prefix: '' })).status).toBe(200)
    const bare = receiver.requests.length
    await send('POST', `/api/v1/webhooks/${id}/test`)
    expect(check((await eventually(() => receiver.requests[bare])) as never)).toBe(true)
  })

  it('a workflow.completed event arrives as the seed’s payload example', async () => {
    const count = receiver.requests.length
    const data = { workflowId: 'workflow-id', executionId: 'execution-id', status: 'completed', result: {} }
    expect((await send('POST', '/api/v1/events', { event: 'workflow.completed', data })).status).toBe(202)
    const request = await eventually(() => receiver.requests[count])
    expect(request.body).toMatchObject({ id: expect.any(String), event: 'workflow.completed', timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), data })
  })

  it('POST /api/v1/webhooks/receive: an incoming hook’s token URL below it', async () => {
    const hook = await send('POST', '/api/v1/incoming', { name: 'Pipedream', route: 'pipedream' })
    expect(hook.status).toBe(201)
    const res = await fetch(`${base}/api/v1/webhooks/receive/${hook.body.token}`, { method: 'POST', body: '{"from":"pipedream"}', headers: { 'Content-Type': 'application/json' } })
    expect(res.status).toBe(200)
    expect(received).toEqual([{ from: 'pipedream' }])
    // Seed parity (docs/api.md): the bare path, without a token, is the management API's
    // `/webhooks/{id}` (a webhook named `receive`), which takes no POST.
    expect((await send('POST', '/api/v1/webhooks/receive', { from: 'pipedream' })).status).toBe(405)
  })

  it('DELETE /api/v1/webhooks/:id', async () => {
    expect(await send('DELETE', `/api/v1/webhooks/${id}`)).toEqual({ status: 200, body: { id, deleted: true } })
    expect((await send('GET', `/api/v1/webhooks/${id}`)).status).toBe(404)
  })
})
