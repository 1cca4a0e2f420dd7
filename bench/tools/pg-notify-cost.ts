// Diagnostic: what the NOTIFY inside hookline's Postgres enqueue statement costs under concurrent
// emits. Runs the store's own enqueue statement (src/store/postgres/plans.ts) with 16 concurrent
// producers on a pool of 10, with and without its `pg_notify`, alternating, on a fresh schema; and
// the store's pooled path since then: the statement without it plus one coalesced NOTIFY per 10 ms.
//   npx tsx bench/tools/pg-notify-cost.ts        (HOOKLINE_TEST_PG_URL or postgres://postgres@127.0.0.1:5432/test)
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { createWebhookManager } from '../../src/index.js'
import { dropSchemas, freshSchema, loadStoreFactory, PG_URL, probePostgres } from '../lib/durable.js'
import { envInt } from '../lib/env.js'
import { makePayload } from '../lib/payload.js'
import { loopbackEgress } from '../lib/egress.js'

const n = envInt('BENCH_N', 2000)
const producers = envInt('BENCH_PRODUCERS', 16)
const down = await probePostgres()
const factory = await loadStoreFactory('postgres')
if (down !== null || !factory) throw new Error(down ?? 'src/store/postgres/index.ts is missing')
// Internal module, loaded by a computed path so this tool never breaks the type check.
const plansPath = '../../src/store/postgres/plans.js'
const { createPlans } = (await import(plansPath)) as {
  createPlans(schema: string): { enqueue(message: unknown, deliveries: unknown[], channel: string | null): pg.QueryConfig }
}
const wakePath = '../../src/store/postgres/wake.js'
const { createWakeNotifier } = (await import(wakePath)) as {
  createWakeNotifier(options: { send: () => Promise<unknown> }): { signal(): void; close(): Promise<void> }
}

const schema = freshSchema('hookline_bench')
const manager = createWebhookManager({ egress: loopbackEgress, store: factory({ connectionString: PG_URL, schema }) })
const pool = new pg.Pool({ connectionString: PG_URL, max: 10 })
try {
  await manager.migrate()
  const endpoint = await manager.createEndpoint({ url: 'http://127.0.0.1:9/hook', events: ['agent.*'] })
  const plans = createPlans(schema)
  const data = makePayload(1024)
  const statement = (channel: string | null): pg.QueryConfig => {
    const now = new Date()
    const id = `msg_${randomUUID().replaceAll('-', '')}`
    const message = { id, event: 'agent.created', data, metadata: null, idempotencyKey: null, owner: null, createdAt: now }
    const delivery = {
      id: `dlv_${randomUUID().replaceAll('-', '')}`,
      messageId: id,
      endpointId: endpoint.id,
      event: 'agent.created',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lockedUntil: null,
      lockedBy: null,
      lastStatusCode: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    }
    return plans.enqueue(message, [delivery], channel)
  }
  const run = async (channel: string | null, count: number, coalesced = false): Promise<number> => {
    let started = 0
    const notifier = createWakeNotifier({ send: () => pool.query({ text: `SELECT pg_notify($1, '')`, values: [`${schema}_wake`] }) })
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: producers }, async () => {
        while (started++ < count) {
          await pool.query(statement(channel))
          if (coalesced) notifier.signal()
        }
      }),
    )
    await notifier.close()
    return count / ((performance.now() - t0) / 1000)
  }
  await run(null, Math.min(500, n))
  console.log(`enqueue statement, ${producers} concurrent producers, pool of 10, ${n} messages per run:`)
  for (let round = 0; round < 2; round++) {
    console.log(`  with pg_notify:    ${Math.round(await run(`${schema}_wake`, n))} messages/s`)
    console.log(`  without pg_notify: ${Math.round(await run(null, n))} messages/s`)
    console.log(`  without, plus one coalesced NOTIFY per 10 ms (the pooled path now): ${Math.round(await run(null, n, true))} messages/s`)
  }
} finally {
  await pool.end()
  await manager.close()
  await dropSchemas([schema])
}
