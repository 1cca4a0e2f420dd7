/**
 * hookline quickstart: a local receiver, one endpoint, a few events — one of which fails once and is
 * retried — then the delivery log and statistics. Run it with `npm run example`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createWebhookManager, memoryStore, verifySignature } from '../src/index.js'

type Events = {
  'agent.created': { agent_id: string; agent_name: string }
  'conversation.message': { conversation_id: string; message: string }
}

// 1. A receiver, as your customer would run it: verify the signature on the raw body, answer 2xx.
let secret = ''
let failuresLeft = 1
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const valid = verifySignature({ secret, body, headers: req.headers })
    const event = req.headers['x-webhook-event']
    if (event === 'conversation.message' && failuresLeft-- > 0) {
      console.log(`receiver: ${event} → 503 (simulated outage)`)
      res.writeHead(503).end('try again')
      return
    }
    console.log(`receiver: ${event} → 200 (signature ${valid ? 'valid' : 'INVALID'})`)
    res.writeHead(valid ? 200 : 401).end('ok')
  })
})
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`

// 2. The webhook system of your application.
const hooks = createWebhookManager<Events>({
  store: memoryStore(),
  // The demo receiver runs on this machine: deliveries to loopback and private addresses are
  // refused unless allowed (tenants must not reach your internal services). See docs/security.md.
  egress: { allow: ['127.0.0.1/32'] },
  retryPolicy: { strategy: 'exponential', initialDelayMs: 200, jitter: 0 }, // fast retries for the demo
})
hooks.on('delivery.failed', (e) => console.log(`hookline: ${e.event} attempt ${e.attempt} failed (${e.error}), retrying at ${e.nextAttemptAt?.toISOString()}`))
await hooks.start()

const endpoint = await hooks.createEndpoint({ name: 'Demo receiver', url, events: ['agent.*', 'conversation.message'] })
secret = endpoint.secret!
console.log(`endpoint ${endpoint.id} → ${url}`)

// 3. Your domain code emits events.
const emitted = [
  await hooks.emit('agent.created', { agent_id: 'agent_123', agent_name: 'Customer Support Bot' }),
  await hooks.emit('conversation.message', { conversation_id: 'conv_789', message: 'Hello, how can I help you?' }),
  await hooks.emit('agent.created', { agent_id: 'agent_124', agent_name: 'Sales Bot' }),
]
const ids = emitted.flatMap((e) => e.deliveryIds)

// 4. Wait until every delivery has finished (bounded), then print the log and statistics.
const deadline = Date.now() + 10_000
while (Date.now() < deadline) {
  const states = await Promise.all(ids.map(async (id) => (await hooks.getDelivery(id)).status))
  if (states.every((s) => s === 'succeeded' || s === 'dead')) break
  await new Promise((r) => setTimeout(r, 50))
}

console.log('\ndeliveries:')
for (const id of ids) {
  const d = await hooks.getDelivery(id)
  const tries = d.attemptLog.map((a) => `${a.responseStatus ?? a.error} in ${a.durationMs} ms`).join(', ')
  console.log(`  ${d.id}  ${d.event.padEnd(22)} ${d.status.padEnd(9)} attempts: ${tries}`)
}
console.log('\nstatistics:', await hooks.getStats(endpoint.id))

await hooks.close()
receiver.close()
const ok = (await Promise.all(ids.map(async (id) => (await hooks.getDelivery(id)).status))).every((s) => s === 'succeeded')
process.exitCode = ok ? 0 : 1
