// Diagnostic: emit throughput of the Postgres store alone (worker not started): 16 concurrent
// producers, one endpoint, 1 KB payload, on a fresh schema.
//   npx tsx bench/tools/enqueue-rate.ts        (HOOKLINE_TEST_PG_URL or postgres://postgres@127.0.0.1:5432/test)
import { createWebhookManager } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { makePayload } from '../lib/payload.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
import { loopbackEgress } from '../lib/egress.js'

const url = PG_URL
const n = Number(process.env.BENCH_N ?? 5000)
const producers = Number(process.env.BENCH_PRODUCERS ?? 16)
// Dropped at the end, and when the process exits early (an error, SIGINT, SIGTERM).
const schema = freshSchema('hookline_enq')
const manager = createWebhookManager({ egress: loopbackEgress, store: postgresStore({ connectionString: url, schema }) })
const data = makePayload(1024)
try {
  await manager.migrate()
  await manager.createEndpoint({ url: 'http://127.0.0.1:9/hook', events: ['*'] })
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
  await dropSchemas([schema])
}
