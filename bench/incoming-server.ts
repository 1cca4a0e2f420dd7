// Child of bench/incoming.ts: one Hono server on @hono/node-server, 127.0.0.1, port 0.
//   node --import tsx bench/incoming-server.ts <bare|hookline|hookline-transform> <hooks>
// Sends { type: 'ready', port, paths } over IPC; answers { type: 'cpu' } with its CPU time (µs).
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createWebhookManager, memoryStore, toHonoHandler } from '../src/index.js'

/** A Nunjucks transform of the kind a user writes: a few fields picked out and reshaped. */
export const TRANSFORM = '{"agent": {{ agentId | tojson }}, "name": {{ name | upper | tojson }}, "tokens": {{ usage.totalTokens }}, "tags": {{ tags | join(",") | tojson }}}'

const mode = process.argv[2] ?? 'bare'
const hookCount = Number(process.argv[3] ?? 40)
const app = new Hono()
let paths: string[]
let handled = 0

if (mode === 'bare') {
  // The baseline: what any Hono JSON endpoint does — parse the body, answer JSON.
  app.post('/webhook/:token', async (c) => {
    const body = await c.req.json()
    if (body !== null && typeof body === 'object') handled++
    return c.json({ ok: true })
  })
  paths = Array.from({ length: hookCount }, (_, i) => `/webhook/bare${i}`)
} else {
  const manager = createWebhookManager({ store: memoryStore() })
  manager.onIncoming('bench', () => {
    handled++
    return { ok: true }
  })
  paths = []
  for (let i = 0; i < hookCount; i++) {
    const hook = await manager.createIncomingHook({
      name: `bench ${i}`,
      route: 'bench',
      // The set-up: 40 hooks at the old maximum, so the per-hook cap never binds.
      rateLimitPerMinute: 100_000,
      transform: mode === 'hookline-transform' ? TRANSFORM : null,
    })
    paths.push(hook.path!)
  }
  app.post('/webhook/:token', toHonoHandler(manager.incomingHandler()))
}

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
server.once('listening', () => {
  const address = server.address()
  process.send!({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0, paths })
})
process.on('message', (m: { type: string; id?: number }) => {
  if (m.type === 'cpu') {
    const cpu = process.cpuUsage()
    process.send!({ type: 'cpu', id: m.id, micros: cpu.user + cpu.system, handled })
  }
})
process.on('disconnect', () => process.exit(0))
