// Backend CPU of one Postgres claim with fifo lines in the table: the claim as it was before the
// head-of-line condition ("before"), as it is ("now"), and "now" once a backlog of fifo deliveries
// waits behind line heads, due before the unordered backlog (each claim steps over them: one
// index probe each). Each claim runs in a transaction rolled back, so the tables stay the same.
//   npx tsx bench/tools/fifo-claim-cost.ts [backlog=20000] [blocked=2000] [lines=1] [limit=25] [rounds=200]
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { postgresStore } from '../../src/store/postgres/index.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import type { Delivery, Endpoint, Message } from '../../src/types.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'

const [backlog, blocked, lines, limit, rounds] = [20000, 2000, 1, 25, 200].map((d, i) => Number(process.argv[2 + i] ?? d)) as [number, number, number, number, number]
const schema = freshSchema('hookline_fifocost')
const store = postgresStore({ connectionString: PG_URL, schema })
await store.migrate()
const now = new Date()
const endpoint = (id: string, ordering: Endpoint['ordering']): Endpoint => ({
  id, owner: null, name: id, description: null, url: 'http://127.0.0.1:1/hook', method: 'POST', events: ['*'], filters: null, headers: {}, auth: null, signatureScheme: 'hmac-sha256', signaturePrefix: null, rotationSignatures: 'all', secrets: [{ secret: 'secret-1', createdAt: now, expiresAt: null }], status: 'active', disabledReason: null, timeoutMs: null, retryPolicy: null, rateLimit: null, concurrency: null, ordering, orderingKey: null, metadata: {}, failingSince: null, tls: null, proxy: null, createdAt: now, updatedAt: now,
})
await store.createEndpoint(endpoint('ep_free', 'unordered'))
await store.createEndpoint(endpoint('ep_fifo', 'fifo'))
const data = { text: 'x'.repeat(1000) }
async function fill(prefix: string, count: number, endpointId: string, key: (n: number) => string | null, due: Date): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    await store.enqueueMany(
      Array.from({ length: Math.min(1000, count - i) }, (_, k) => {
        const n = i + k
        const message: Message = { id: `msg_${prefix}${n}`, event: 'agent.created', data, metadata: null, idempotencyKey: null, owner: null, createdAt: due }
        const delivery: Delivery = { id: `dlv_${prefix}${n}`, messageId: message.id, endpointId, event: message.event, orderingKey: key(n), status: 'pending', attempts: 0, nextAttemptAt: due, lockedUntil: null, lockedBy: null, lastStatusCode: null, lastError: null, createdAt: due, updatedAt: due, completedAt: null }
        return { message, deliveries: [delivery] }
      }),
    )
  }
}
await fill('u', backlog, 'ep_free', () => null, now)

const plans = createPlans(schema)
const client = new pg.Client({ connectionString: PG_URL })
await client.connect()
const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number
const cpuMicros = (): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}
const claimText = (withLine: boolean) => {
  const p = plans.claim({ now: new Date(), limit, leaseMs: 30_000, workerId: 'w', excludeEndpointIds: [] })
  // "before": the head-of-line condition taken out again.
  return withLine ? p : { ...p, text: p.text.replace(/ AND \(ordering_key IS NULL OR .*?\)\)\) /, ' ') }
}
async function measure(name: string, withLine: boolean): Promise<void> {
  await client.query(`ANALYZE "${schema}".deliveries`)
  const results: number[] = []
  let claimed = 0
  for (let r = 0; r < 3; r++) {
    const t0 = cpuMicros()
    for (let i = 0; i < rounds; i++) {
      await client.query('BEGIN')
      const p = claimText(withLine)
      claimed = (await client.query({ text: p.text, values: p.values })).rowCount ?? 0
      await client.query('ROLLBACK')
    }
    results.push((cpuMicros() - t0) / rounds)
  }
  console.log(`${name.padEnd(44)} ${results.map((x) => x.toFixed(0)).join(' / ')} µs backend CPU per claim (${claimed} claimed)`)
}
console.log(`backlog ${backlog} unordered, claims of ${limit}`)
await measure('before (no head-of-line condition)', false)
await measure('now, no fifo deliveries', true)
await fill('f', blocked, 'ep_fifo', (n) => String(n % lines), new Date(now.getTime() - 3_600_000))
await measure(`now, ${blocked} fifo in ${lines} line(s), due first`, true)
await client.end()
await store.close()
await dropSchemas([schema])
