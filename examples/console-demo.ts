// A hookline manager on SQLite with sample traffic and the console mounted, for examples/console.ts
// and the screenshots of docs/console.md (scripts/console-screenshots.ts).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as v from 'valibot'
// In your app: from 'hookline' and 'hookline/sqlite'
import { createConsoleHandler, createWebhookManager, toNodeHandler, type WebhookManager } from '../src/index.js'
import { sqliteStore } from '../src/store/sqlite/index.js'

/** A running demo: the console at `url`, the manager behind it. */
export interface ConsoleDemo {
  url: string
  manager: WebhookManager
  close(): Promise<void>
}

const HALF_HOUR = 30 * 60_000

/**
 * Starts receivers on 127.0.0.1 (healthy, flaky, slow, down), a manager on a SQLite file with four
 * endpoints of two tenants, six hours of back-dated traffic (so the charts have a shape), an
 * incoming hook with a few requests, and the console at `/console/`.
 */
export async function startConsoleDemo(options: { filename: string; port?: number; assetsDir?: string; live?: boolean }): Promise<ConsoleDemo> {
  const servers: Server[] = []
  const listen = async (server: Server, port = 0): Promise<string> => {
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  let calls = 0
  const receiver = await listen(
    createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        calls++
        const path = req.url ?? '/'
        const answer = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body)
        if (path.startsWith('/down')) return answer(503, '{"error":"maintenance"}')
        if (path.startsWith('/flaky') && calls % 3 === 0) return answer(500, '{"error":"database timeout"}')
        const delay = path.startsWith('/slow') ? 120 + ((calls * 37) % 300) : (calls * 7) % 25
        setTimeout(() => answer(200, '{"received":true}'), delay)
      })
    }),
  )

  // Time moves forward by hand while the back-dated traffic is written, then follows the wall clock.
  let offset = -12 * HALF_HOUR
  const clock = { now: () => Date.now() + offset }
  const manager = createWebhookManager({
    store: sqliteStore({ filename: options.filename }),
    clock,
    pollIntervalMs: 100,
    retryPolicy: { maxAttempts: 4, initialDelayMs: 1000, maxDelayMs: 5000, jitter: 0 },
    breaker: { failureThreshold: 5, cooldownMs: 120_000 },
    // Receivers on 127.0.0.1 are refused by default (SSRF guard): this demo allows loopback only.
    egress: { allow: ['127.0.0.1/32', '::1/128', 'localhost'] },
  })
  manager.registerEventType('order.created', {
    description: 'A customer placed an order.',
    schema: v.object({ order_id: v.string(), total_cents: v.pipe(v.number(), v.integer()), currency: v.picklist(['EUR', 'USD']) }),
    example: { order_id: 'ord_1001', total_cents: 4200, currency: 'EUR' },
  })
  manager.registerEventType('order.paid', {
    description: 'Payment for an order was captured.',
    schema: v.object({ order_id: v.string(), paid_at: v.string() }),
  })
  manager.registerEventType('invoice.finalized', { description: 'An invoice was finalized and can be sent to the customer.' })
  await manager.start()

  const endpoints = await Promise.all([
    manager.createEndpoint({ name: 'Fulfilment service', url: `${receiver}/orders`, events: ['order.*'], owner: 'acme', description: 'Ships paid orders.' }),
    manager.createEndpoint({ name: 'Accounting (flaky)', url: `${receiver}/flaky/ledger`, events: ['order.paid', 'invoice.*'], owner: 'acme' }),
    manager.createEndpoint({ name: 'Analytics (slow)', url: `${receiver}/slow/ingest`, events: ['*'], owner: 'globex' }),
    manager.createEndpoint({ name: 'Legacy CRM', url: `${receiver}/down/crm`, events: ['order.created'], owner: 'globex' }),
  ])

  let n = 1000
  const traffic = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const order = `ord_${++n}`
      const owner = i % 3 === 0 ? 'globex' : 'acme'
      await manager.emit('order.created', { order_id: order, total_cents: 1000 + ((n * 131) % 9000), currency: i % 2 ? 'EUR' : 'USD' }, { owner })
      if (i % 2 === 0) await manager.emit('order.paid', { order_id: order, paid_at: new Date(clock.now()).toISOString() }, { owner })
      if (i % 4 === 0) await manager.emit('invoice.finalized', { invoice_id: `inv_${n}`, order_id: order }, { owner })
    }
  }
  const settle = async () => {
    for (let i = 0; i < 100 && manager.getMetrics().queue.held > 0; i++) await new Promise((r) => setTimeout(r, 50))
  }
  for (let step = 0; step < 12; step++) {
    await traffic(2 + (step % 4))
    await settle()
    offset += HALF_HOUR
  }
  offset = 0
  await settle()

  const incoming = await manager.createIncomingHook({ name: 'Payment provider', route: 'payments' })
  manager.onIncoming('payments', () => ({ ok: true }))
  const consoleHandler = createConsoleHandler(manager, { authorize: () => true, assetsDir: options.assetsDir })
  const incomingHandler = manager.incomingHandler()
  const app = createServer(
    toNodeHandler((request) => (new URL(request.url).pathname.startsWith('/webhook/') ? incomingHandler(request) : consoleHandler(request))),
  )
  const base = await listen(app, options.port ?? 0)
  for (const body of ['{"type":"charge.succeeded","amount":4200}', '{"type":"charge.refunded","amount":1200}', 'not json']) {
    await fetch(`${base}${incoming.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  }
  await fetch(`${base}/webhook/not-a-token`, { method: 'POST', body: '{}' })

  const timer = options.live === false ? null : setInterval(() => void traffic(1).catch(() => {}), 4000)
  return {
    url: `${base}/console/`,
    manager,
    async close() {
      if (timer) clearInterval(timer)
      await manager.close({ drain: false })
      for (const s of servers) s.closeAllConnections()
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    },
  }
}
