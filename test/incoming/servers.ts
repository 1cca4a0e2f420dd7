import * as http from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import express from 'express'
import { Hono, type MiddlewareHandler } from 'hono'
import Koa from 'koa'
import { toHonoHandler, toKoaMiddleware, toNodeHandler, type FetchHandler } from '../../src/index.js'

/** A real server on 127.0.0.1 with an ephemeral port. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string
  close(): Promise<void>
}

/** How a test wants the framework set up around the handler. */
export interface MountOptions {
  /** Run a body parser before the handler: keeping the raw bytes, or not. */
  parser?: 'none' | 'keeps-raw' | 'discards-raw'
}

function running(server: Server): RunningServer {
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function listen(server: Server): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(running(server)))
  })
}

/** Express 5 with `app.post('/webhook/:token', toNodeHandler(handler))`. */
export async function startExpress(handler: FetchHandler, options: MountOptions = {}): Promise<RunningServer> {
  const app = express()
  if (options.parser === 'keeps-raw') {
    app.use(
      express.json({
        verify: (req, _res, buf) => {
          ;(req as unknown as { rawBody: Buffer }).rawBody = buf
        },
      }),
    )
  } else if (options.parser === 'discards-raw') {
    app.use(express.json())
  }
  app.post('/webhook/:token', toNodeHandler(handler))
  return listen(http.createServer(app))
}

/** Reads a Koa request body like koa-bodyparser does: `ctx.request.body`, and `rawBody` when kept. */
function koaParser(keepRaw: boolean): Koa.Middleware {
  return async (ctx, next) => {
    const chunks: Buffer[] = []
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const request = ctx.request as unknown as { body: unknown; rawBody?: string }
    request.body = raw ? (JSON.parse(raw) as unknown) : {}
    if (keepRaw) request.rawBody = raw
    await next()
  }
}

/** Koa 3 with `app.use(toKoaMiddleware(handler, { path: '/webhook' }))` and a fallback route. */
export async function startKoa(handler: FetchHandler, options: MountOptions = {}): Promise<RunningServer> {
  const app = new Koa()
  if (options.parser === 'keeps-raw') app.use(koaParser(true))
  else if (options.parser === 'discards-raw') app.use(koaParser(false))
  app.use(toKoaMiddleware(handler, { path: '/webhook' }))
  app.use((ctx) => {
    ctx.status = 200
    ctx.body = 'koa fallback'
  })
  return listen(http.createServer(app.callback()))
}

/** Hono on @hono/node-server with `app.post('/webhook/:token', toHonoHandler(handler))`. */
export async function startHono(handler: FetchHandler, options: MountOptions = {}): Promise<RunningServer> {
  const app = new Hono()
  if (options.parser === 'keeps-raw') {
    // A validator-style middleware: Hono caches the text it read, so the raw bytes survive.
    const readJson: MiddlewareHandler = async (c, next) => {
      await c.req.json()
      await next()
    }
    app.use('/webhook/*', readJson)
  } else if (options.parser === 'discards-raw') {
    const consume: MiddlewareHandler = async (c, next) => {
      await c.req.raw.arrayBuffer()
      await next()
    }
    app.use('/webhook/*', consume)
  }
  app.post('/webhook/:token', toHonoHandler(handler))
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(running(server as Server)))
  })
}
