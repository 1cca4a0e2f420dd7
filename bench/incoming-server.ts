// Child of bench/incoming.ts: one Hono server on @hono/node-server, 127.0.0.1, port 0.
//   node --import tsx bench/incoming-server.ts <bare|hookline|hookline-transform> <hooks>
// Sends { type: 'ready', port, paths } over IPC; answers { type: 'cpu' } with its CPU time (µs).
// BENCH_INCOMING_SERVER=express|koa serves hookline's handler through the Node bridges instead
// (Express 5 with toNodeHandler, Koa 3 with toKoaMiddleware, on node:http).
import { createServer, type Server } from 'node:http'
import { serve } from '@hono/node-server'
import express from 'express'
import Koa from 'koa'
import { toKoaMiddleware, toNodeHandler } from '../src/index.js'
import { buildIncomingApp, type IncomingBenchMode } from './lib/incoming-app.js'

const mode = (process.argv[2] ?? 'bare') as IncomingBenchMode
const hookCount = Number(process.argv[3] ?? 40)
const { app, paths, handled, manager } = await buildIncomingApp(mode, hookCount)

const bridge = process.env.BENCH_INCOMING_SERVER ?? 'hono'
let server: Server
if (bridge === 'hono' || manager === null) server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
else if (bridge === 'express') {
  const ex = express()
  ex.post('/webhook/:token', toNodeHandler(manager.incomingHandler()))
  server = createServer(ex).listen(0, '127.0.0.1')
} else if (bridge === 'koa') {
  const koa = new Koa()
  koa.use(toKoaMiddleware(manager.incomingHandler(), { path: '/webhook' }))
  server = createServer(koa.callback()).listen(0, '127.0.0.1')
} else throw new Error(`BENCH_INCOMING_SERVER: expected hono, express or koa, got ${bridge}`)
server.once('listening', () => {
  const address = server.address()
  process.send!({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0, paths })
})
process.on('message', (m: { type: string; id?: number }) => {
  if (m.type === 'cpu') {
    const cpu = process.cpuUsage()
    process.send!({ type: 'cpu', id: m.id, micros: cpu.user + cpu.system, system: cpu.system, handled: handled() })
  }
})
process.on('disconnect', () => process.exit(0))
