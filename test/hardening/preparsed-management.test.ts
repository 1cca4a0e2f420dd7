import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, memoryStore, toNodeHandler } from '../../src/index.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('management API behind a global express.json()', () => {
  it('POST / PATCH / PUT work with the pre-parsed body; errors keep a status that agrees with their code', async () => {
    const manager = createWebhookManager({ store: memoryStore() })
    closers.push(() => manager.close())
    const app = express()
    app.use(express.json())
    app.use('/api/v1', toNodeHandler(createManagementHandler(manager, { authorize: () => true })))
    const url = await listen(http.createServer(app))
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return { status: res.status, body: (await res.json()) as any }
    }

    const created = await call('POST', '/webhooks', { url: 'https://example.com/hook', events: ['a.b'], metadata: { team: 'x' } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ url: 'https://example.com/hook', events: ['a.b'], metadata: { team: 'x' } })
    const patched = await call('PATCH', `/webhooks/${created.body.id}`, { name: 'renamed' })
    expect([patched.status, patched.body.name]).toEqual([200, 'renamed'])
    const hook = await call('POST', '/incoming', { name: 'in', route: 'r' })
    expect(hook.status).toBe(201)

    const invalid = await call('POST', '/webhooks', { url: 'not a url', events: [] })
    expect(invalid.status).toBe(400)
    expect(invalid.body.error.code).toBe('VALIDATION_ERROR')
    expect(invalid.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['events', 'url'])
  })

  it("with parsedBody: 'error' the answer is 500 CONFIGURATION_ERROR, never 500 with a client's code", async () => {
    const manager = createWebhookManager({ store: memoryStore() })
    closers.push(() => manager.close())
    const seen: unknown[] = []
    const app = express()
    app.use(express.json())
    app.use('/api/v1', toNodeHandler(createManagementHandler(manager, { authorize: () => true, onError: (e) => seen.push(e) }), { parsedBody: 'error' }))
    const url = await listen(http.createServer(app))
    const res = await fetch(`${url}/api/v1/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"url":"https://example.com","events":["a"]}' })
    expect([res.status, ((await res.json()) as any).error.code]).toEqual([500, 'CONFIGURATION_ERROR'])
    expect(String((seen[0] as Error).message)).toMatch(/already read by a body parser/)
    expect(await manager.listEndpoints()).toEqual([])
  })
})

describe('a 5xx never carries a client code', () => {
  it('a hookline error with a client code and a 5xx status answers INTERNAL_ERROR; server codes are kept', async () => {
    const { toErrorResponse } = await import('../../src/management/error-response.js')
    const { HooklineError, ValidationError } = await import('../../src/errors.js')
    const seen: unknown[] = []
    const odd = toErrorResponse(new ValidationError('x', [{ field: 'a', message: 'b' }], { status: 500 }), (e) => seen.push(e))
    expect([odd.status, ((await odd.json()) as any).error.code]).toEqual([500, 'INTERNAL_ERROR'])
    const store = toErrorResponse(new HooklineError('STORE_ERROR', 'db down', { status: 500 }), (e) => seen.push(e))
    expect([store.status, ((await store.json()) as any).error]).toEqual([500, { code: 'STORE_ERROR', message: 'internal error; see the server log' }])
    expect(seen).toHaveLength(2)
  })
})
