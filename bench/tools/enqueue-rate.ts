// Diagnostic: emit throughput of the Postgres store alone (worker not started): 16 concurrent
// producers, one endpoint, 1 KB payload, on a fresh schema.
//   npx tsx bench/tools/enqueue-rate.ts        (HOOKLINE_TEST_PG_URL or postgres://postgres@127.0.0.1:5432/test)
import { createWebhookManager } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { makePayload } from '../lib/payload.js'
import pg from 'pg'
import { loopbackEgress } from '../lib/egress.js'

const url = process.env.HOOKLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const n = Number(process.env.BENCH_N ?? 5000)
const producers = Number(process.env.BENCH_PRODUCERS ?? 16)
const schema = `hookline_enq_${process.pid}`
const manager = createWebhookManager({ egress: loopbackEgress, store: postgresStore({ connectionString: url, schema }) })
await manager.migrate()
await manager.createEndpoint({ url: 'http://127.0.0.1:9/hook', events: ['*'] })
const data = makePayload(1024)
try {
  for (let round = 0; round < 3; round++) {
    let started = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: producers }, async () => {
        while (started++ < n) await manager.emit('agent.created', data)
      }),
    )
    console.log(`round ${round + 1}: ${Math.round(n / ((performance.now() - t0) / 1000))} emits/s`)
  }
} finally {
  await manager.close()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(`DROP SCHEMA ${schema} CASCADE`)
  await client.end()
}
