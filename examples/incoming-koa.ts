// Incoming webhooks on Koa 3: a GitHub-signed push routed to your handler.
// Run: npx tsx examples/incoming-koa.ts
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import Koa from 'koa'
// In your app: from 'hookline'
import { createWebhookManager, toKoaMiddleware } from '../src/index.js'

const hooks = createWebhookManager()
const secret = 'my-github-webhook-secret'

const hook = await hooks.createIncomingHook({
  name: 'GitHub issues',
  route: 'triage_agent',
  verification: { type: 'github', secret },
  dedupeWindowMs: 24 * 3_600_000, // GitHub redeliveries reuse X-GitHub-Delivery
  transform: {
    message: "{% if action == 'opened' %}New issue: {{ issue.title }}{% else %}{{ action | title }} issue: {{ issue.title }}{% endif %}",
    // Jinja's `labels contains 'urgent'` is written `'urgent' in labels` in Nunjucks.
    priority: "{% if 'urgent' in issue.labels %}high{% else %}normal{% endif %}",
    repository: '{{ repository.full_name }}',
  },
})

hooks.onIncoming('triage_agent', ({ payload }) => {
  console.log('triage_agent received', payload)
})

const app = new Koa()
// Before any body parser (koa-bodyparser keeps `ctx.request.rawBody`, which also works).
app.use(toKoaMiddleware(hooks.incomingHandler(), { path: '/webhook' }))
app.use((ctx) => {
  ctx.body = 'the rest of your app'
})

const server = app.listen(0, '127.0.0.1')
await once(server, 'listening')
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

const body = JSON.stringify({ action: 'opened', issue: { title: 'Crash on start', labels: ['urgent'] }, repository: { full_name: 'octo/app' } })
const response = await fetch(base + hook.path, {
  method: 'POST',
  body,
  headers: {
    'content-type': 'application/json',
    'x-github-event': 'issues',
    'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'x-hub-signature-256': 'sha256=' + createHmac('sha256', secret).update(body).digest('hex'),
  },
})
console.log('answer:', response.status, await response.json())

const [log] = await hooks.listIncomingLogs(hook.id)
console.log('log:', { status: log?.status, deliveryKey: log?.deliveryKey, headers: log?.headers['x-hub-signature-256'] })

server.closeAllConnections()
server.close()
await hooks.close()
process.exitCode = response.status === 200 ? 0 : 1
