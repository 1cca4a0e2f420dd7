import pg from 'pg'
import { postgresStore } from '../../src/store/postgres/index.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
const schema = freshSchema('hookline_exp')
const store = postgresStore({ connectionString: PG_URL, schema })
await store.migrate()
const now = new Date()
const ep = { id: 'ep_1', owner: null, name: 'x', description: null, url: 'http://127.0.0.1:1/hook', method: 'POST', events: ['*'], filters: null, headers: {}, auth: null, signatureScheme: 'hmac-sha256', secrets: [{ secret: 's', createdAt: now, expiresAt: null }], status: 'active', disabledReason: null, timeoutMs: null, retryPolicy: null, rateLimit: null, concurrency: null, metadata: {}, failingSince: null, createdAt: now, updatedAt: now } as any
await store.createEndpoint(ep)
const N = Number(process.argv[2] ?? 3000)
await Promise.all(Array.from({ length: 16 }, async (_, w) => {
  for (let i = w; i < N; i += 16) {
    const m = { id: `msg_${i}`, event: 'agent.created', data: { i }, metadata: null, idempotencyKey: null, owner: null, createdAt: now }
    await store.enqueue(m, [{ id: `dlv_${i}`, messageId: m.id, endpointId: ep.id, event: m.event, status: 'pending', attempts: 0, nextAttemptAt: now, lockedUntil: null, lockedBy: null, lastStatusCode: null, lastError: null, createdAt: now, updatedAt: now, completedAt: null } as any])
  }
}))
const plans = createPlans(schema)
const client = new pg.Client({ connectionString: PG_URL })
await client.connect()
await client.query(`SET plan_cache_mode = ${process.argv[3] ?? 'force_generic_plan'}`)
const outcome = (id: string) => ({ deliveryId: id, workerId: 'w', status: 'succeeded', attempts: 1, nextAttemptAt: null, lastStatusCode: 200, lastError: null, completedAt: now, updatedAt: now,
  attempt: { id: `att_${id}`, deliveryId: id, endpointId: 'ep_1', attempt: 1, trigger: 'automatic', url: 'u', method: 'POST', requestHeaders: {}, requestBody: 'b', responseStatus: 200, responseBody: 'ok', responseHeaders: {}, error: null, succeeded: true, durationMs: 1, startedAt: now } }) as any
const show = async (name: string, plan: { text: string; values: unknown[] }) => {
  const r = await client.query({ text: 'EXPLAIN ' + plan.text, values: plan.values })
  console.log(`--- ${name}\n` + r.rows.map((x) => x['QUERY PLAN']).join('\n'))
}
await show('complete', plans.complete([outcome('dlv_1'), outcome('dlv_2')]))
await show('claim', plans.claim({ now, limit: 50, leaseMs: 1000, workerId: 'w', excludeEndpointIds: [] }))
await show('enqueueMany', plans.enqueueMany([{ message: { id: 'm_x', event: 'e', data: {}, metadata: null, idempotencyKey: null, owner: null, createdAt: now } as any, deliveries: [] }]))
await client.end()
await store.close()
await dropSchemas([schema])
