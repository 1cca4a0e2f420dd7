import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, type WebhookManager } from '../../src/index.js'
import type { AuthorizeContext } from '../../src/management/options.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { apiClient, serve, type TestServer } from './helpers.js'
import { allowLoopback } from '../helpers/egress.js'

// A host whose API keys map to companies (seed 002: user / company ownership). `admin` is an
// operator key with unscoped access; `reader` may only read.
const KEYS: Record<string, { owner?: string; readOnly?: boolean }> = {
  'key-acme': { owner: 'acme' },
  'key-globex': { owner: 'globex' },
  'key-reader': { owner: 'acme', readOnly: true },
  'key-admin': {},
}

let manager: WebhookManager
let receiver: Receiver
let server: TestServer
const seen: AuthorizeContext[] = []

beforeAll(async () => {
  receiver = await startReceiver()
  manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50 })
  await manager.start()
  const handler = createManagementHandler(manager, {
    authorize: (request, context) => {
      seen.push(context)
      const key = request.headers.get('authorization')?.replace(/^Bearer /, '')
      const entry = key === undefined ? undefined : KEYS[key]
      if (!entry) return false
      if (entry.readOnly && context.method !== 'GET') return { deny: 'forbidden', message: 'this key is read-only' }
      return entry.owner === undefined ? true : { owner: entry.owner }
    },
  })
  server = await serve(handler)
})

afterAll(async () => {
  await server.close()
  await manager.close({ drain: false })
  await receiver.close()
})

const as = (key: string) => apiClient(`${server.url}/api/v1`, { authorization: `Bearer ${key}` })

describe('management API — tenant scoping and authorization', () => {
  it('one tenant can never read or change another tenant’s webhooks, deliveries or stats (404)', async () => {
    const acme = as('key-acme')
    const globex = as('key-globex')
    const { body: hook, status } = await acme('POST', '/webhooks', { name: 'Acme hook', url: receiver.url, events: ['agent.created'] })
    expect(status).toBe(201)
    expect(hook.owner).toBe('acme')
    const trigger = await acme('POST', '/events', { event: 'agent.created', data: { agent_id: 'a1' } })
    expect(trigger.body.delivery_ids).toHaveLength(1)
    const deliveryId = trigger.body.delivery_ids[0]

    const attempts: [string, string, unknown?][] = [
      ['GET', `/webhooks/${hook.id}`],
      ['PATCH', `/webhooks/${hook.id}`, { name: 'stolen' }],
      ['PUT', `/webhooks/${hook.id}`, { url: 'https://evil.example.com', events: ['*'] }],
      ['DELETE', `/webhooks/${hook.id}`],
      ['POST', `/webhooks/${hook.id}/pause`],
      ['POST', `/webhooks/${hook.id}/resume`],
      ['POST', `/webhooks/${hook.id}/rotate-secret`],
      ['POST', `/webhooks/${hook.id}/test`],
      ['GET', `/webhooks/${hook.id}/deliveries`],
      ['GET', `/webhooks/${hook.id}/deliveries/${deliveryId}`],
      ['POST', `/webhooks/${hook.id}/replay`, { since: '2020-01-01T00:00:00Z' }],
      ['GET', `/webhooks/${hook.id}/stats`],
      ['GET', `/deliveries/${deliveryId}`],
      ['POST', `/deliveries/${deliveryId}/retry`],
    ]
    for (const [method, path, body] of attempts) {
      const res = await globex(method, path, body)
      expect({ method, path, status: res.status, code: res.body.error?.code }).toEqual({ method, path, status: 404, code: 'NOT_FOUND' })
    }
    // nothing changed, nothing was sent by globex
    const still = await acme('GET', `/webhooks/${hook.id}`)
    expect(still.body).toMatchObject({ name: 'Acme hook', url: receiver.url, status: 'active' })
    expect((await globex('GET', '/webhooks')).body.webhooks).toEqual([])
    expect((await acme('GET', '/webhooks')).body.webhooks.map((w: { id: string }) => w.id)).toContain(hook.id)
  })

  it('a tenant’s trigger reaches only its own webhooks', async () => {
    const acme = as('key-acme')
    const globex = as('key-globex')
    const a = await acme('POST', '/webhooks', { url: receiver.url, events: ['order.paid'] })
    const g = await globex('POST', '/webhooks', { url: receiver.url, events: ['order.paid'] })
    const sent = await globex('POST', '/events', { event: 'order.paid', data: { id: 1 } })
    const targets = await Promise.all(sent.body.delivery_ids.map(async (id: string) => (await manager.store.getDelivery(id))!.endpointId))
    expect(targets).toEqual([g.body.id])
    expect(targets).not.toContain(a.body.id)
  })

  it('a scoped caller cannot create for, or move a webhook to, another owner (403)', async () => {
    const acme = as('key-acme')
    const create = await acme('POST', '/webhooks', { url: receiver.url, events: ['*'], owner: 'globex' })
    expect(create.status).toBe(403)
    expect(create.body.error.code).toBe('FORBIDDEN')
    const { body: hook } = await acme('POST', '/webhooks', { url: receiver.url, events: ['*'], owner: 'acme' })
    expect(hook.owner).toBe('acme')
    expect((await acme('PATCH', `/webhooks/${hook.id}`, { owner: 'globex' })).status).toBe(403)
    expect((await acme('POST', '/events', { event: 'x.y', owner: 'globex' })).status).toBe(403)
  })

  it('an unscoped operator sees every tenant and may set owners', async () => {
    const admin = as('key-admin')
    const created = await admin('POST', '/webhooks', { url: receiver.url, events: ['*'], owner: 'initech' })
    expect(created.body.owner).toBe('initech')
    const owners = new Set((await admin('GET', '/webhooks?limit=500')).body.webhooks.map((w: { owner: string }) => w.owner))
    expect([...owners].sort()).toEqual(['acme', 'globex', 'initech'])
  })

  it('401 without valid credentials, 403 when authorize forbids, with the operation named', async () => {
    const anonymous = apiClient(`${server.url}/api/v1`)
    const res = await anonymous('GET', '/webhooks')
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: { code: 'UNAUTHORIZED', message: 'authentication required' } })
    expect((await as('wrong-key')('POST', '/webhooks', { url: receiver.url, events: ['*'] })).status).toBe(401)

    const reader = as('key-reader')
    expect((await reader('GET', '/webhooks')).status).toBe(200)
    const denied = await reader('POST', '/webhooks', { url: receiver.url, events: ['*'] })
    expect(denied.status).toBe(403)
    expect(denied.body).toEqual({ error: { code: 'FORBIDDEN', message: 'this key is read-only' } })
    expect(seen.at(-1)).toEqual({ operation: 'createWebhook', method: 'POST', route: '/webhooks', params: {} })
  })

  it('the OpenAPI document is served without authorization', async () => {
    const res = await apiClient(`${server.url}/api/v1`)('GET', '/openapi.json')
    expect(res.status).toBe(200)
    expect(res.body.openapi).toBe('3.1.0')
  })
})

describe('createManagementHandler options', () => {
  it('refuses to build without an authorize function', () => {
    expect(() => createManagementHandler(manager, {} as never)).toThrow(/authorize: is required/)
  })

  it('resolveOwner scopes requests when authorize returns no owner; a custom prefix is honoured', async () => {
    const handler = createManagementHandler(manager, {
      prefix: '/hooks-admin/',
      authorize: () => true,
      resolveOwner: (request) => request.headers.get('x-company'),
    })
    const res = await handler(new Request('http://local/hooks-admin/webhooks', { headers: { 'x-company': 'nobody-yet' } }))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ webhooks: [] })
    const outside = await handler(new Request('http://local/api/v1/webhooks'))
    expect(outside.status).toBe(404)
  })

  it('GET /deliveries and POST /deliveries/replay span webhooks, within the caller\'s tenant', async () => {
    const acme = as('key-acme')
    const globex = as('key-globex')
    const admin = as('key-admin')
    receiver.respond(() => ({ status: 500 }))
    const { body: a } = await acme('POST', '/webhooks', { url: receiver.url, events: ['order.refunded'], retry_policy: { max_attempts: 1 } })
    const { body: g } = await globex('POST', '/webhooks', { url: receiver.url, events: ['order.refunded'], retry_policy: { max_attempts: 1 } })
    const since = new Date().toISOString()
    const acmeEvent = (await acme('POST', '/events', { event: 'order.refunded', data: {} })).body.delivery_ids[0]
    const globexEvent = (await globex('POST', '/events', { event: 'order.refunded', data: {} })).body.delivery_ids[0]
    for (let i = 0; i < 100; i++) {
      const [x, y] = await Promise.all([admin('GET', `/deliveries/${acmeEvent}`), admin('GET', `/deliveries/${globexEvent}`)])
      if (x.body.status === 'dead' && y.body.status === 'dead') break
      await new Promise((r) => setTimeout(r, 50))
    }
    const mine = await acme('GET', `/deliveries?status=dead&since=${since}`)
    expect(mine.status).toBe(200)
    expect(mine.body.deliveries.map((d: { id: string }) => d.id)).toEqual([acmeEvent])
    expect((await admin('GET', `/deliveries?status=dead&since=${since}`)).body.deliveries.map((d: { id: string }) => d.id).sort()).toEqual([acmeEvent, globexEvent].sort())
    expect((await admin('GET', `/deliveries?webhook_id=${g.id}`)).body.deliveries.map((d: { id: string }) => d.id)).toEqual([globexEvent])
    expect((await acme('GET', `/deliveries?webhook_id=${g.id}`)).status).toBe(404)

    receiver.respond(() => ({ status: 200 }))
    // Every failed or dead delivery of acme's webhooks since then (other acme webhooks may match too).
    const replayable = (await acme('GET', `/deliveries?status=failed,dead&since=${since}`)).body.deliveries.length
    expect(replayable).toBeGreaterThanOrEqual(1)
    const replayed = await acme('POST', '/deliveries/replay', { since })
    expect([replayed.status, replayed.body]).toEqual([202, { replayed: replayable }])
    for (let i = 0; i < 100 && (await admin('GET', `/deliveries/${acmeEvent}`)).body.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 50))
    expect((await admin('GET', `/deliveries/${acmeEvent}`)).body.status).toBe('succeeded')
    expect((await admin('GET', `/deliveries/${globexEvent}`)).body.status).toBe('dead')
    expect(a.id).toBeTruthy()
  })

  it('an authorize result with an empty owner fails closed instead of granting every tenant', async () => {
    const user = { companyId: undefined as string | undefined }
    const handler = createManagementHandler(manager, { authorize: () => ({ owner: user.companyId }) })
    const res = await handler(new Request('http://local/api/v1/webhooks'))
    expect(res.status).toBe(500)
    const body = await res.json()
    expect(body.error.code).toBe('CONFIGURATION_ERROR')
    expect(JSON.stringify(body)).not.toContain('"webhooks"')
  })
})
