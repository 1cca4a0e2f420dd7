// Incoming webhooks on Express 5: a token URL that verifies a Standard Webhooks signature,
// reshapes the payload with a template and hands it to your handler.
// Run: npx tsx examples/incoming-express.ts
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import express from 'express'
// In your app: from 'hookline'
import { createWebhookManager, generateSecret, sign, toNodeHandler } from '../src/index.js'

const hooks = createWebhookManager()
const secret = generateSecret('standard-webhooks')

const hook = await hooks.createIncomingHook({
  name: 'CRM Lead Processor',
  route: 'sales_agent',
  verification: { type: 'standard-webhooks', secret },
  transform: {
    message: 'New lead: {{ lead_name }} from {{ company }}',
    context: { email: '{{ email }}', source: 'CRM System', priority: "{{ priority | default('medium') }}" },
  },
})
// The token is shown once: give `hook.path` (or the full URL) to the sender.

hooks.onIncoming('sales_agent', ({ payload, deliveryKey }) => {
  console.log('sales_agent received', deliveryKey, payload)
  return { queued: true }
})

const app = express()
// Mount the webhook route BEFORE any body parser: signatures cover the raw bytes.
app.post('/webhook/:token', toNodeHandler(hooks.incomingHandler()))
app.use(express.json()) // …the rest of your app

const server = app.listen(0, '127.0.0.1')
await once(server, 'listening')
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

// Play the sender: sign the exact bytes and post them.
const body = JSON.stringify({ lead_name: 'Ada Lovelace', company: 'Analytical Engines', email: 'ada@example.com' })
const id = 'msg_example_1'
const timestamp = Math.floor(Date.now() / 1000)
const response = await fetch(base + hook.path, {
  method: 'POST',
  body,
  headers: {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign({ scheme: 'standard-webhooks', secret, body, id, timestamp }),
  },
})
console.log('answer:', response.status, await response.json())

const [log] = await hooks.listIncomingLogs(hook.id)
console.log('log:', { status: log?.status, error: log?.error, sourceIp: log?.sourceIp, durationMs: log?.durationMs })

server.closeAllConnections()
server.close()
await hooks.close()
process.exitCode = response.status === 200 ? 0 : 1
