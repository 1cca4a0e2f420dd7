// How should claims leave an open breaker's deliveries in the store? Backend CPU of one claim of
// `limit` from a backlog over 20 endpoints, 2 of them with an open breaker, three ways:
//   list        the claim with `excludeEndpointIds` (what hookline does; the list comes from a
//               read of the open breakers once per poll interval, not per claim)
//   list+read   the same plus that read before every claim (the worst case of the list)
//   not_exists  the claim with `AND NOT EXISTS (SELECT 1 FROM breakers …)` (no separate read)
// Each claim runs in a transaction rolled back, so the backlog stays the same.
//   npx tsx bench/tools/breaker-exclusion-cost.ts [backlog=20000] [limit=25] [rounds=300]
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { postgresStore } from '../../src/store/postgres/index.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import { createBreakerPlans } from '../../src/store/postgres/breaker-plans.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'

const backlog = Number(process.argv[2] ?? 20000)
const limit = Number(process.argv[3] ?? 25)
const rounds = Number(process.argv[4] ?? 300)
const schema = freshSchema('hookline_brkcost')
const store = postgresStore({ connectionString: PG_URL, schema })
await store.migrate()
const now = new Date()
const endpoints = Array.from({ length: 20 }, (_, i) => `ep_${i}`)
const data = { text: 'x'.repeat(1000) }
for (let i = 0; i < backlog; i += 1000) {
  await store.enqueueMany(
    Array.from({ length: Math.min(1000, backlog - i) }, (_, k) => {
      const n = i + k
      const m = { id: `msg_${n}`, event: 'agent.created', data, metadata: null, idempotencyKey: null, owner: null, createdAt: now }
      const delivery = { id: `dlv_${n}`, messageId: m.id, endpointId: endpoints[n % endpoints.length]!, event: m.event, orderingKey: null, status: 'pending' as const, attempts: 0, nextAttemptAt: now, lockedUntil: null, lockedBy: null, lastStatusCode: null, lastError: null, createdAt: now, updatedAt: now, completedAt: null }
      return { message: m, deliveries: [delivery] }
    }),
  )
}
for (const id of ['ep_0', 'ep_1']) await store.recordBreakerFailure!({ endpointId: id, workerId: 'w', failureThreshold: 1, retryAt: new Date(Date.now() + 3_600_000) })
await store.close()
const plans = createPlans(schema)
const breakerPlans = createBreakerPlans(schema)
const client = new pg.Client({ connectionString: PG_URL })
await client.connect()
await client.query(`ANALYZE "${schema}".deliveries`)
await client.query(`ANALYZE "${schema}".breakers`)
const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number
const ticks = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return (Number(x[11]) + Number(x[12])) * 10_000
}
const claim = (exclude: string[]) => plans.claim({ now: new Date(), limit, leaseMs: 30000, workerId: 'w', excludeEndpointIds: exclude })
const open = ['ep_0', 'ep_1']
const variants: Record<string, () => Promise<void>> = {
  list: async () => {
    const p = claim(open)
    await client.query({ text: p.text, values: p.values })
  },
  'list+read': async () => {
    const read = breakerPlans.listOpen()
    const ids = (await client.query({ text: read.text, values: read.values })).rows.map((r) => r.endpoint_id as string)
    const p = claim(ids)
    await client.query({ text: p.text, values: p.values })
  },
  not_exists: async () => {
    const p = claim([])
    const b = `"${schema}".breakers`
    // The same claim, with the breakers looked up by the statement itself ($1 is its `now`).
    const text = p.text.replace(
      'AND NOT (endpoint_id = ANY(',
      `AND NOT EXISTS (SELECT 1 FROM ${b} b WHERE b.endpoint_id = "${schema}".deliveries.endpoint_id AND (b.retry_at > $1 OR b.probe_until > $1)) AND NOT (endpoint_id = ANY(`,
    )
    if (text === p.text) throw new Error('claim text changed: update the NOT EXISTS splice')
    await client.query({ text, values: p.values })
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
for (const [name, xs] of Object.entries(totals)) console.log(`${name.padEnd(12)} ${xs.map((x) => x.toFixed(0)).join(' / ')} µs backend CPU per claim of ${limit} (backlog ${backlog}, 2 of 20 endpoints open)`)
await client.end()
await dropSchemas([schema])
