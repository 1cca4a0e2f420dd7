import { createHmac } from 'node:crypto'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import express from 'express'
import { Hono } from 'hono'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { ConflictError, createWebhookManager, toHonoHandler, toKoaMiddleware, toNodeHandler, type ConnectionInfo, type FetchHandler } from '../../src/index.js'

let closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.map((c) => c()))
  closers = []
})

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      closers.push(
        () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      )
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    })
  })
}

/** Echoes what the handler saw: method, URL, a header, the body bytes (base64) and the peer. */
const echo: FetchHandler = async (request: Request, connection?: ConnectionInfo) => {
  const bytes = Buffer.from(await request.arrayBuffer())
  const headers = new Headers({ 'content-type': 'application/json' })
  headers.append('set-cookie', 'a=1')
  headers.append('set-cookie', 'b=2')
  return new Response(
    JSON.stringify({
      method: request.method,
      url: request.url,
      tenant: request.headers.get('x-tenant'),
      body: bytes.toString('base64'),
      remoteAddress: connection?.remoteAddress,
    }),
    { status: 201, headers },
  )
}

const binary = Buffer.from([0, 255, 1, 254, 0x7b, 0x22])

describe('toNodeHandler() - any fetch handler on node:http / Express', () => {
  it('passes method, full URL, headers and the exact body bytes; copies status, headers and every Set-Cookie', async () => {
    const url = await listen(http.createServer(toNodeHandler(echo)))
    const res = await fetch(`${url}/a/b?x=1`, { method: 'PUT', body: binary, headers: { 'x-tenant': 'acme' } })
    expect(res.status).toBe(201)
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(await res.json()).toEqual({
      method: 'PUT',
      url: `${url}/a/b?x=1`,
      tenant: 'acme',
      body: binary.toString('base64'),
      remoteAddress: '127.0.0.1',
    })
  })

  it('streams long responses, and sends no body for HEAD', async () => {
    const chunks = 50
    const streaming: FetchHandler = async (request) => {
      let i = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (i++ < chunks) controller.enqueue(new Uint8Array(1000).fill(97))
          else controller.close()
        },
      })
      return new Response(request.method === 'HEAD' ? null : body, { headers: { 'content-type': 'text/plain' } })
    }
    const url = await listen(http.createServer(toNodeHandler(streaming)))
    expect((await (await fetch(url)).text()).length).toBe(chunks * 1000)
    const head = await fetch(url, { method: 'HEAD' })
    expect([head.status, await head.text()]).toEqual([200, ''])
  })

  it('maxBodyBytes stops a streamed body at the limit with 413', async () => {
    const url = await listen(http.createServer(toNodeHandler(echo, { maxBodyBytes: 1000 })))
    expect((await fetch(url, { method: 'POST', body: 'x'.repeat(1000) })).status).toBe(201)
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(400).fill(120))
        controller.close()
      },
    })
    const res = await fetch(url, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit)
    expect([res.status, await res.json()]).toEqual([413, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'payload exceeds 1000 bytes' } }])
    // The connection is still usable afterwards.
    expect((await fetch(url, { method: 'POST', body: 'ok' })).status).toBe(201)
  })

  it('errors become answers: a hookline error with its status, anything else a bare 500; onError sees both', async () => {
    const seen: unknown[] = []
    let error: unknown = new ConflictError('busy')
    const url = await listen(
      http.createServer(
        toNodeHandler(
          async () => {
            throw error
          },
          { onError: (e) => seen.push(e) },
        ),
      ),
    )
    const conflict = await fetch(url)
    expect([conflict.status, await conflict.json()]).toEqual([409, { error: { code: 'CONFLICT', message: 'busy' } }])
    error = new Error('secret internals')
    const crash = await fetch(url)
    expect([crash.status, await crash.json()]).toEqual([500, { error: { code: 'INTERNAL_ERROR', message: 'internal error' } }])
    expect(seen).toHaveLength(2)
  })

  it('after express.json(): raw bytes from `verify` are used; without them the re-serialised body (default) — or, opted in, an error', async () => {
    const app = express()
    const advice: unknown[] = []
    app.use('/kept', express.json({ verify: (req, _res, buf) => void ((req as unknown as { rawBody: Buffer }).rawBody = buf) }))
    app.use(['/lost', '/reserialized'], express.json())
    app.use('/raw', express.raw({ type: '*/*' }))
    app.post('/kept', toNodeHandler(echo))
    app.post('/lost', toNodeHandler(echo, { parsedBody: 'error', onError: (e) => advice.push(e) }))
    app.post('/reserialized', toNodeHandler(echo))
    app.post('/raw', toNodeHandler(echo))
    const url = await listen(http.createServer(app))
    const body = '{ "spaced" :  true }'
    const post = (path: string) => fetch(url + path, { method: 'POST', body, headers: { 'content-type': 'application/json' } })

    const kept = (await (await post('/kept')).json()) as { body: string; url: string }
    expect(Buffer.from(kept.body, 'base64').toString()).toBe(body)
    expect(kept.url).toBe(`${url}/kept`)
    expect(Buffer.from(((await (await post('/raw')).json()) as { body: string }).body, 'base64').toString()).toBe(body)

    const lost = await post('/lost')
    expect(lost.status).toBe(500)
    // The mount advice is for the host (onError), never for the client.
    expect(await lost.json()).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'internal error' } })
    expect(String((advice[0] as Error).message)).toMatch(/already read by a body parser/)
    expect((advice[0] as { code?: string }).code).toBe('CONFIGURATION_ERROR')

    const reserialized = (await (await post('/reserialized')).json()) as { body: string }
    expect(Buffer.from(reserialized.body, 'base64').toString()).toBe('{"spaced":true}')
  })

  it("a re-serialised body is never verified: a hook with a signature check answers 500, one without works", async () => {
    const manager = createWebhookManager()
    closers.push(() => manager.close())
    manager.onIncoming('r', ({ payload }) => ({ got: payload }))
    const signed = await manager.createIncomingHook({ name: 'gh', route: 'r', verification: { type: 'github', secret: 's3cret' } })
    const open = await manager.createIncomingHook({ name: 'plain', route: 'r' })
    const app = express()
    app.use(express.json())
    app.post('/webhook/:token', toNodeHandler(manager.incomingHandler(), { parsedBody: 'reserialize' }))
    const url = await listen(http.createServer(app))
    const body = '{"a":1}'
    const signature = `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`
    const post = (path: string) => fetch(url + path, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } })
    const refused = await post(signed.path!)
    expect(refused.status).toBe(500)
    expect((await manager.listIncomingLogs(signed.id))[0]?.error).toMatch(/not the bytes that were signed/)
    expect(await (await post(open.path!)).json()).toEqual({ got: { a: 1 } })
  })

  it('a text body kept as a string counts as raw only when its charset is UTF-8', async () => {
    const app = express()
    app.use(express.text({ type: '*/*' }))
    app.post('/t', toNodeHandler(echo, { parsedBody: 'error' }))
    const url = await listen(http.createServer(app))
    const utf8 = await fetch(`${url}/t`, { method: 'POST', body: 'héllo', headers: { 'content-type': 'text/plain; charset=utf-8' } })
    expect(Buffer.from(((await utf8.json()) as { body: string }).body, 'base64').toString()).toBe('héllo')
    const latin1 = await fetch(`${url}/t`, { method: 'POST', body: Buffer.from('h\xe9llo', 'latin1'), headers: { 'content-type': 'text/plain; charset=iso-8859-1' } })
    expect(latin1.status).toBe(500)
  })

  it('Express mounted under a prefix still sees the full URL (originalUrl)', async () => {
    const app = express()
    app.use('/hooks', toNodeHandler(echo))
    const url = await listen(http.createServer(app))
    const res = (await (await fetch(`${url}/hooks/abc`, { method: 'POST', body: 'x' })).json()) as { url: string }
    expect(res.url).toBe(`${url}/hooks/abc`)
  })
})

describe('toKoaMiddleware() and toHonoHandler() - any fetch handler', () => {
  it('Koa: full exchange, Set-Cookie, empty bodies keep their status, and a kept rawBody', async () => {
    const app = new Koa()
    app.use(async (ctx, next) => {
      if (ctx.path === '/parsed') {
        const chunks: Buffer[] = []
        for await (const c of ctx.req) chunks.push(c as Buffer)
        ;(ctx.request as unknown as { rawBody: string }).rawBody = Buffer.concat(chunks).toString()
      }
      await next()
    })
    app.use(
      toKoaMiddleware(async (request, connection) => {
        if (request.url.endsWith('/empty')) return new Response(null, { status: 200 })
        return echo(request, connection)
      }),
    )
    const url = await listen(http.createServer(app.callback()))
    const res = await fetch(`${url}/x?y=1`, { method: 'POST', body: binary, headers: { 'x-tenant': 't' } })
    expect(res.status).toBe(201)
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(await res.json()).toMatchObject({ url: `${url}/x?y=1`, tenant: 't', body: binary.toString('base64'), remoteAddress: '127.0.0.1' })
    const empty = await fetch(`${url}/empty`)
    expect([empty.status, await empty.text()]).toEqual([200, ''])
    const parsed = (await (await fetch(`${url}/parsed`, { method: 'POST', body: 'kept bytes' })).json()) as { body: string }
    expect(Buffer.from(parsed.body, 'base64').toString()).toBe('kept bytes')
  })

  it('Hono: the raw request goes through; maxBodyBytes answers 413; the peer address comes from node-server', async () => {
    const app = new Hono()
    app.post('/small', toHonoHandler(echo, { maxBodyBytes: 10 }))
    app.post('/text-first', async (c, next) => {
      await c.req.text()
      await next()
    })
    app.post('/text-first', toHonoHandler(echo))
    app.all('/*', toHonoHandler(echo))
    const url = await new Promise<string>((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(`http://127.0.0.1:${info.port}`))
      closers.push(() => new Promise<void>((done) => (server as http.Server).close(() => done())))
    })
    expect(await (await fetch(`${url}/a`, { method: 'POST', body: binary })).json()).toMatchObject({ body: binary.toString('base64'), remoteAddress: '127.0.0.1' })
    expect((await fetch(`${url}/small`, { method: 'POST', body: 'x'.repeat(11) })).status).toBe(413)
    const cached = (await (await fetch(`${url}/text-first`, { method: 'POST', body: 'cached' })).json()) as { body: string }
    expect(Buffer.from(cached.body, 'base64').toString()).toBe('cached')
  })
})
