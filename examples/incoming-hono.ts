// Incoming webhooks on Hono (@hono/node-server): a Stripe-signed event routed to your handler.
// Run: npx tsx examples/incoming-hono.ts
import { createHmac } from 'node:crypto'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
// In your app: from 'hookline'
import { createWebhookManager, toHonoHandler } from '../src/index.js'

const hooks = createWebhookManager()
const secret = 'whsec_example_stripe_endpoint_secret'

const hook = await hooks.createIncomingHook({
  name: 'Stripe payments',
  route: 'billing',
  verification: { type: 'stripe', secret, toleranceSeconds: 300 },
  allowedIps: ['127.0.0.1', '::1'], // in production: Stripe's published webhook addresses
  rateLimitPerMinute: 600,
  transform: '{"event": {{ type | tojson }}, "amount": {{ data.object.amount | default(0) }}, "currency": {{ data.object.currency | default("usd") | upper | tojson }}}',
})

hooks.onIncoming('billing', ({ payload }) => {
  console.log('billing received', payload)
  return { received: true }
})

const app = new Hono()
app.post('/webhook/:token', toHonoHandler(hooks.incomingHandler()))
app.get('/', (c) => c.text('the rest of your app'))

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
await new Promise<void>((resolve) => server.once('listening', () => resolve()))
const address = server.address()
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`

const body = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: { amount: 4200, currency: 'eur' } } })
const t = Math.floor(Date.now() / 1000)
const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
const response = await fetch(base + hook.path, {
  method: 'POST',
  body,
  headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` },
})
console.log('answer:', response.status, await response.json())

const [log] = await hooks.listIncomingLogs(hook.id)
console.log('log:', { status: log?.status, error: log?.error, payload: log?.payload })

server.close()
await hooks.close()
process.exitCode = response.status === 200 ? 0 : 1
