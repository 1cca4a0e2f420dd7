// Backend CPU of one claim statement by how it is sent: unnamed (parsed and planned every time),
// named with custom plans (parsed once, planned every time), named with the generic plan (parsed
// and planned once). Each claim runs in a transaction rolled back, so the backlog stays the same.
//   npx tsx bench/tools/claim-plan-cost.ts [backlog=20000] [limit=25] [rounds=400]
import pg from 'pg'
import { postgresStore } from '../../src/store/postgres/index.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'

const backlog = Number(process.argv[2] ?? 20000)
const limit = Number(process.argv[3] ?? 25)
const rounds = Number(process.argv[4] ?? 400)
const schema = freshSchema('hookline_claimcost')
const store = postgresStore({ connectionString: PG_URL, schema })
await store.migrate()
const now = new Date()
const ep = { id: 'ep_1', owner: null, name: 'x', description: null, url: 'http://127.0.0.1:1/hook', method: 'POST', events: ['*'], filters: null, headers: {}, auth: null, signatureScheme: 'hmac-sha256', secrets: [{ secret: 's', createdAt: now, expiresAt: null }], status: 'active', disabledReason: null, timeoutMs: null, retryPolicy: null, rateLimit: null, concurrency: null, metadata: {}, failingSince: null, createdAt: now, updatedAt: now } as any
await store.createEndpoint(ep)
const data = { text: 'x'.repeat(1000) }
for (let i = 0; i < backlog; i += 1000) {
  await store.enqueueMany(Array.from({ length: Math.min(1000, backlog - i) }, (_, k) => {
    const m = { id: `msg_${i + k}`, event: 'agent.created', data, metadata: null, idempotencyKey: null, owner: null, createdAt: now }
    return { message: m, deliveries: [{ id: `dlv_${i + k}`, messageId: m.id, endpointId: ep.id, event: m.event, status: 'pending', attempts: 0, nextAttemptAt: now, lockedUntil: null, lockedBy: null, lastStatusCode: null, lastError: null, createdAt: now, updatedAt: now, completedAt: null } as any] }
  }))
}
await store.close()
const plans = createPlans(schema)
const client = new pg.Client({ connectionString: PG_URL })
await client.connect()
await client.query(`ANALYZE "${schema}".deliveries`)
const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number
const { readFileSync } = await import('node:fs')
const ticks = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return (Number(x[11]) + Number(x[12])) * 10_000
}
const variants: Record<string, () => Promise<void>> = {
  unnamed: async () => {
    const p = plans.claim({ now: new Date(), limit, leaseMs: 30000, workerId: 'w', excludeEndpointIds: [] })
    await client.query({ text: p.text, values: p.values })
  },
  named_custom: async () => {
    const p = plans.claim({ now: new Date(), limit, leaseMs: 30000, workerId: 'w', excludeEndpointIds: [] })
    await client.query({ text: 'SET LOCAL plan_cache_mode = force_custom_plan' })
    await client.query({ name: 'claim_c', text: p.text, values: p.values })
  },
  ...(process.env.GENERIC === '1' ? { named_generic: async () => {
    const p = plans.claim({ now: new Date(), limit, leaseMs: 30000, workerId: 'w', excludeEndpointIds: [] })
    await client.query({ text: 'SET LOCAL plan_cache_mode = force_generic_plan' })
    await client.query({ name: 'claim_g', text: p.text, values: p.values })
  } } : {}),
  empty: async () => {
    await client.query({ text: 'SET LOCAL plan_cache_mode = force_generic_plan' })
  },
}
const totals: Record<string, number[]> = {}
for (let r = 0; r < 3; r++) {
  for (const [name, run] of Object.entries(variants)) {
    for (let i = 0; i < 20; i++) {
      await client.query('BEGIN')
      await run()
      await client.query('ROLLBACK')
    }
    const t0 = ticks()
    for (let i = 0; i < rounds; i++) {
      await client.query('BEGIN')
      await run()
      await client.query('ROLLBACK')
    }
    ;(totals[name] ??= []).push((ticks() - t0) / rounds)
  }
}
for (const [name, xs] of Object.entries(totals)) console.log(`${name.padEnd(14)} ${xs.map((x) => x.toFixed(0)).join(' / ')} µs backend CPU per claim of ${limit} (backlog ${backlog})`)
await client.end()
await dropSchemas([schema])
