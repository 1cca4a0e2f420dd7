import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve as honoServe } from '@hono/node-server'
import express from 'express'
import { Hono } from 'hono'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, type HonoContextLike, toHonoHandler, toKoaMiddleware, toNodeHandler, type WebhookManager } from '../../src/index.js'
import { apiClient } from './helpers.js'

let manager: WebhookManager
let api: ReturnType<typeof createManagementHandler>

beforeAll(() => {
  manager = createWebhookManager()
  api = createManagementHandler(manager, { authorize: (request) => request.headers.get('authorization') === 'Bearer test-key' })
})

afterAll(async () => {
  await manager.close()
})

async function listen(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function close(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** The seed 000 requests through a mounted handler. */
async function seedFlow(base: string): Promise<void> {
  const call = apiClient(`${base}/api/v1`, { authorization: 'Bearer test-key' })
  const created = await call('POST', '/webhooks', {
    name: 'My Webhook',
    url: 'https://example.com/webhooks/agentfactory',
    events: ['agent.created', 'conversation.message', 'usage.threshold'],
    secret: 'your_webhook_secret',
    active: true,
  })
  expect(created.status).toBe(201)
  expect(created.body).toMatchObject({ name: 'My Webhook', secret: 'your_webhook_secret', active: true })
  const id = created.body.id
  expect((await call('GET', '/webhooks')).body.webhooks.map((w: { id: string }) => w.id)).toContain(id)
  expect((await call('GET', `/webhooks/${id}`)).body.name).toBe('My Webhook')
  expect((await call('PATCH', `/webhooks/${id}`, { name: 'Updated Webhook', events: ['agent.created', 'agent.updated'] })).body).toMatchObject({
    name: 'Updated Webhook',
    events: ['agent.created', 'agent.updated'],
  })
  const invalid = await call('POST', '/webhooks', { name: 'no url', events: ['a.b'] })
  expect(invalid.status).toBe(400)
  expect(invalid.body.error.fields).toEqual([{ field: 'url', message: 'is required' }])
  expect((await call('GET', `/webhooks/${id}/stats`)).body).toMatchObject({ webhook_id: id, total: 0 })
  expect((await call('GET', '/event-types')).body).toEqual({ event_types: [] })
  expect((await call('DELETE', `/webhooks/${id}`)).body).toEqual({ id, deleted: true })
  expect((await apiClient(`${base}/api/v1`)('GET', '/webhooks')).status).toBe(401)
}

describe('mounting the management handler', () => {
  it('Express 5, after express.json() (parsedBody: reserialize)', async () => {
    const app = express()
    app.use(express.json())
    app.use('/api/v1', toNodeHandler(api, { parsedBody: 'reserialize' }))
    app.get('/health', (_req, res) => {
      res.json({ ok: true })
    })
    const server = app.listen(0, '127.0.0.1')
    try {
      const base = await listen(server)
      await seedFlow(base)
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ ok: true })
    } finally {
      await close(server)
    }
  })

  it('Koa 3', async () => {
    const app = new Koa()
    app.use(toKoaMiddleware(api, { path: '/api/v1' }))
    app.use((ctx) => {
      ctx.body = { host: 'route' }
    })
    const server = app.listen(0, '127.0.0.1')
    try {
      const base = await listen(server)
      await seedFlow(base)
      expect(await (await fetch(`${base}/elsewhere`)).json()).toEqual({ host: 'route' })
    } finally {
      await close(server)
    }
  })

  it('Hono on @hono/node-server', async () => {
    const app = new Hono()
    const handler = toHonoHandler(api)
    // The cast works around HonoContextLike's `bodyCache` typing, which hono 4.13's Context does not match (reported).
    app.all('/api/v1/*', (c) => handler(c as unknown as HonoContextLike))
    const server = honoServe({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
    try {
      await seedFlow(await listen(server))
    } finally {
      await close(server)
    }
  })
})
