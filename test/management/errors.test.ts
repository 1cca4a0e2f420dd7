import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createManagementHandler, createWebhookManager, StoreError, type WebhookManager } from '../../src/index.js'
import { apiClient, serve, type TestServer } from './helpers.js'

let manager: WebhookManager
let server: TestServer
let api: ReturnType<typeof apiClient>
const onError = vi.fn()

beforeAll(async () => {
  manager = createWebhookManager()
  server = await serve(createManagementHandler(manager, { authorize: () => true, maxBodyBytes: 4096, onError }))
  api = apiClient(`${server.url}/api/v1`)
})

afterAll(async () => {
  await server.close()
  await manager.close()
})

describe('management API — errors', () => {
  it('400 names every invalid field, in snake_case', async () => {
    const res = await api('POST', '/webhooks', {
      url: 'ftp://example.com',
      events: [],
      retry_policy: { max_attempts: 0, initialDelayMs: 5 },
      auth: { type: 'bearer' },
      colour: 'blue',
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('VALIDATION_ERROR')
    const fields = res.body.error.fields.map((f: { field: string }) => f.field)
    expect(fields).toEqual(expect.arrayContaining(['url', 'events', 'retry_policy.max_attempts', 'retry_policy.initialDelayMs', 'auth.token', 'colour']))
    expect(res.body.error.fields).toContainEqual({ field: 'colour', message: 'is not a known field' })
    expect(res.body.error.fields).toContainEqual({ field: 'auth.token', message: 'is required' })
  })

  it('400 names every unknown field as it was sent (camelCase stays camelCase), nested ones too', async () => {
    const res = await api('POST', '/webhooks', { callbackUrl: 'https://example.com/h', isEnabled: true, events: ['a.b'], url: 'https://example.com/h', retry_policy: { maxRetries: 3 } })
    expect(res.status).toBe(400)
    expect(res.body.error.fields).toEqual([
      { field: 'callbackUrl', message: 'is not a known field' },
      { field: 'isEnabled', message: 'is not a known field' },
      { field: 'retry_policy.maxRetries', message: 'is not a known field' },
    ])
    const many = await api('POST', '/incoming', { a: 1, b: 2, c: 3 })
    expect(many.body.error.fields.filter((f: { message: string }) => f.message === 'is not a known field').map((f: { field: string }) => f.field)).toEqual(['a', 'b', 'c'])
    const array = await api('POST', '/webhooks', [1, 2])
    expect(array.body.error.fields).toEqual([{ field: '', message: 'must be a JSON object' }])
  })

  it('400 for a missing required field and for a missing body', async () => {
    const missing = await api('POST', '/webhooks', { name: 'x', events: ['a.b'] })
    expect(missing.body.error.fields).toEqual([{ field: 'url', message: 'is required' }])
    const empty = await api('POST', '/webhooks', undefined, { 'content-type': 'application/json' })
    expect(empty.status).toBe(400)
    expect(empty.body.error.fields).toEqual([{ field: '', message: 'a JSON body is required' }])
  })

  it('400 for malformed JSON and for bad query parameters', async () => {
    const bad = await api('POST', '/webhooks', '{"url": ', { 'content-type': 'application/json' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toMatch(/not valid JSON/)
    const query = await api('GET', '/webhooks?limit=0&status=sleeping')
    expect(query.status).toBe(400)
    expect(query.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['limit', 'status'])
    const since = await api('GET', '/webhooks/ep_x/stats?since=yesterday')
    expect(since.body.error.fields).toEqual([{ field: 'since', message: expect.stringContaining('ISO 8601') }])
  })

  it('400 for a secret the signature scheme cannot use, with the wire field name', async () => {
    const res = await api('POST', '/webhooks', { url: 'https://example.com', events: ['*'], signature_scheme: 'standard-webhooks', secret: 'not-a-whsec-secret' })
    expect(res.status).toBe(400)
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['secret'])
  })

  it('413 for a body over the limit, 415 for a body that is not JSON', async () => {
    const big = await api('POST', '/webhooks', { url: 'https://example.com', events: ['*'], metadata: { blob: 'x'.repeat(5000) } })
    expect(big.status).toBe(413)
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE')
    const text = await api('POST', '/webhooks', 'url=https://example.com', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(text.status).toBe(415)
    expect(text.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    const vendor = await api('POST', '/webhooks', { url: 'https://example.com', events: ['*'] }, { 'content-type': 'application/vnd.api+json; charset=utf-8' })
    expect(vendor.status).toBe(201)
  })

  it('404 JSON for unknown routes and records, 405 with Allow for a wrong method', async () => {
    const route = await api('GET', '/nothing-here')
    expect(route).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } })
    expect(route.headers.get('content-type')).toMatch(/application\/json/)
    expect((await api('GET', '/webhooks/ep_missing')).body.error).toEqual({ code: 'NOT_FOUND', message: 'webhook "ep_missing" not found' })
    expect((await api('GET', '/deliveries/dlv_missing')).status).toBe(404)
    const method = await api('DELETE', '/webhooks')
    expect(method.status).toBe(405)
    expect(method.headers.get('allow')).toBe('GET, POST')
    expect(method.body.error.code).toBe('METHOD_NOT_ALLOWED')
    const res = await fetch(`${server.url}/api/v1/webhooks/ep_1`, { method: 'OPTIONS' })
    expect(res.status).toBe(204)
    expect(res.headers.get('allow')).toBe('GET, PATCH, PUT, DELETE')
  })

  it('409 when a delivery is being attempted', async () => {
    const hook = await manager.createEndpoint({ url: 'https://example.com', events: ['*'] })
    const { deliveryIds } = await manager.emit('a.b', {})
    await manager.store.claim({ now: new Date(), limit: 10, leaseMs: 60_000, workerId: 'w-test' })
    const res = await api('POST', `/deliveries/${deliveryIds[0]}/retry`)
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('CONFLICT')
    await manager.deleteEndpoint(hook.id)
  })

  it('500 hides the details and reports them to onError', async () => {
    const spy = vi.spyOn(manager, 'listEndpoints').mockRejectedValueOnce(new StoreError('connection to 10.0.0.5 refused: password=hunter2'))
    const res = await api('GET', '/webhooks')
    expect(res.status).toBe(500)
    expect(res.body).toEqual({ error: { code: 'STORE_ERROR', message: 'internal error; see the server log' } })
    expect(onError).toHaveBeenCalledWith(expect.any(StoreError), expect.any(Request))
    spy.mockRestore()
  })
})
