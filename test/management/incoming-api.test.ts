import * as v from 'valibot'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, type WebhookManager } from '../../src/index.js'
import { incomingHookOutput, incomingListOutput, incomingLogListOutput } from '../../src/management/incoming/incoming-schemas.js'
import { apiClient, serve, type TestServer } from './helpers.js'

let manager: WebhookManager
let server: TestServer
let incoming: TestServer

beforeAll(async () => {
  manager = createWebhookManager()
  manager.onIncoming('crm-leads', async () => {})
  server = await serve(
    createManagementHandler(manager, {
      authorize: (request) => {
        const company = request.headers.get('x-company')
        return company ? { owner: company } : false
      },
    }),
  )
  incoming = await serve(manager.incomingHandler())
})

afterAll(async () => {
  await incoming.close()
  await server.close()
  await manager.close()
})

const as = (company: string) => apiClient(`${server.url}/api/v1`, { 'x-company': company })

describe('management API — incoming hooks', () => {
  it('CRUD, token shown once, logs, rotate-token; other tenants get 404', async () => {
    const acme = as('acme')
    const created = await acme('POST', '/incoming', {
      name: 'CRM Lead Processor',
      route: 'crm-leads',
      description: 'Process new leads from CRM system',
      transform: { message: 'New lead: {{ lead_name }} from {{ company }}' },
      rate_limit_per_minute: 1000,
      verification: { type: 'hmac', secret: 'shared-secret', header: 'X-Signature', prefix: 'sha256=' },
    })
    expect(created.status).toBe(201)
    expect(() => v.parse(incomingHookOutput, created.body)).not.toThrow()
    expect(created.body).toMatchObject({
      name: 'CRM Lead Processor',
      route: 'crm-leads',
      owner: 'acme',
      active: true,
      rate_limit_per_minute: 1000,
      verification: { type: 'hmac', secret: '[redacted]', header: 'X-Signature', prefix: 'sha256=' },
      token: expect.any(String),
    })
    const id = created.body.id
    const token = created.body.token
    expect(created.body.token.startsWith(created.body.token_prefix)).toBe(true)

    const list = await acme('GET', '/incoming')
    expect(() => v.parse(incomingListOutput, list.body)).not.toThrow()
    expect(list.body.incoming_hooks.map((h: { id: string }) => h.id)).toEqual([id])
    expect(JSON.stringify(list.body)).not.toContain(token)
    expect((await acme('GET', `/incoming/${id}`)).body).not.toHaveProperty('token')

    const patched = await acme('PATCH', `/incoming/${id}`, { active: false, allowed_ips: ['10.0.0.0/8'] })
    expect(patched.body).toMatchObject({ active: false, allowed_ips: ['10.0.0.0/8'] })
    await acme('PATCH', `/incoming/${id}`, { active: true, allowed_ips: [], verification: null })

    const sent = await fetch(`${incoming.url}/webhook/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lead_name: 'Ada', company: 'Initech' }) })
    expect(sent.status).toBeLessThan(300)
    const logs = await acme('GET', `/incoming/${id}/logs`)
    expect(logs.status).toBe(200)
    expect(() => v.parse(incomingLogListOutput, logs.body)).not.toThrow()
    expect(logs.body.logs).toHaveLength(1)
    expect(logs.body.logs[0]).toMatchObject({ hook_id: id, status: sent.status })

    const globex = as('globex')
    for (const [method, path, body] of [
      ['GET', `/incoming/${id}`],
      ['PATCH', `/incoming/${id}`, { name: 'stolen' }],
      ['DELETE', `/incoming/${id}`],
      ['GET', `/incoming/${id}/logs`],
      ['POST', `/incoming/${id}/rotate-token`],
    ] as [string, string, unknown?][]) {
      expect({ method, path, status: (await globex(method, path, body)).status }).toEqual({ method, path, status: 404 })
    }
    expect((await globex('GET', '/incoming')).body.incoming_hooks).toEqual([])

    const rotated = await acme('POST', `/incoming/${id}/rotate-token`)
    expect(rotated.status).toBe(200)
    expect(rotated.body.token).toEqual(expect.any(String))
    expect(rotated.body.token).not.toBe(token)

    expect((await acme('DELETE', `/incoming/${id}`)).body).toEqual({ id, deleted: true })
    expect((await acme('GET', `/incoming/${id}`)).status).toBe(404)
  })

  it('400 names the invalid fields of an incoming hook', async () => {
    const res = await as('acme')('POST', '/incoming', { name: '', rate_limit_per_minute: 0, verification: { type: 'github' }, agentId: 1 })
    expect(res.status).toBe(400)
    expect(res.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['agentId', 'name', 'rate_limit_per_minute', 'route', 'verification.secret'])
  })
})

describe('management API — incoming hooks in AGiXT\'s request format (seed 002)', () => {
  it('create with agent_id / is_active / transform_template, PUT update, and a post to the token URL', async () => {
    const acme = as('acme')
    let got: unknown
    manager.onIncoming('1', ({ payload }) => {
      got = payload
    })
    const created = await acme('POST', '/incoming', {
      name: 'External System Webhook',
      agent_id: 1,
      description: 'Receives data from external system',
      is_active: true,
      transform_template: '{{ data | tojson }}',
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: 'External System Webhook', route: '1', active: true, transform: '{{ data | tojson }}' })
    const body = { message: 'Data from external system', timestamp: '2025-01-01T00:00:00Z', custom_data: { key: 'value' } }
    const sent = await fetch(`${incoming.url}${created.body.path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
    expect(sent.status).toBe(200)
    expect(got).toEqual(body)

    // AGiXT's PUT names no route: a merge, so the template and description stay.
    const replaced = await acme('PUT', `/incoming/${created.body.id}`, { name: 'Updated Webhook Name', is_active: false })
    expect(replaced.status).toBe(200)
    expect(replaced.body).toMatchObject({
      name: 'Updated Webhook Name',
      route: '1',
      active: false,
      transform: '{{ data | tojson }}',
      description: 'Receives data from external system',
    })
    // No limit (null) and limits above 100 000 are accepted, and read back as given.
    const unlimited = await acme('PATCH', `/incoming/${created.body.id}`, { rate_limit_per_minute: null })
    expect([unlimited.status, unlimited.body.rate_limit_per_minute]).toEqual([200, null])
    const high = await acme('PATCH', `/incoming/${created.body.id}`, { rate_limit_per_minute: 2_000_000 })
    expect([high.status, high.body.rate_limit_per_minute]).toEqual([200, 2_000_000])
    expect((await acme('GET', `/incoming/${created.body.id}`)).body.rate_limit_per_minute).toBe(2_000_000)
    expect((await acme('PATCH', `/incoming/${created.body.id}`, { rate_limit_per_minute: 10_000_001 })).status).toBe(400)
    const off = await fetch(`${incoming.url}${created.body.path}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    expect(off.status).toBe(404)
    expect((await as('globex')('PUT', `/incoming/${created.body.id}`, { name: 'x' })).status).toBe(404)
    // With name and route it replaces the definition: left-out fields go back to their defaults.
    const full = await acme('PUT', `/incoming/${created.body.id}`, { name: 'Updated Webhook Name', agent_id: 1, is_active: false })
    expect(full.body).toMatchObject({ name: 'Updated Webhook Name', route: '1', active: false, transform: null, description: null, rate_limit_per_minute: 100 })

    // Statistics from the hook's log (seed 002's `statistics?webhook_type=incoming`).
    const stats = await acme('GET', `/incoming/${created.body.id}/stats`)
    expect(stats.status).toBe(200)
    expect(stats.body).toMatchObject({ hook_id: created.body.id, since: null, total: 2, succeeded: 1, failed: 1, success_rate: 0.5, by_status: { '200': 1, '404': 1 } })
    expect(stats.body.average_duration_ms).toEqual(expect.any(Number))
    expect((await acme('GET', `/incoming/${created.body.id}/stats?since=2999-01-01T00:00:00Z`)).body).toMatchObject({ total: 0, success_rate: null })
    expect((await as('globex')('GET', `/incoming/${created.body.id}/stats`)).status).toBe(404)
  })
})
