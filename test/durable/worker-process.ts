// A hookline worker in its own process, for the multi-worker tests: one manager on the Postgres
// store given by the environment, delivering until it is told to stop (or killed).
import { createWebhookManager } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { allowLoopback } from '../helpers/egress.js'

const store = postgresStore({ connectionString: process.env.PG_URL!, schema: process.env.PG_SCHEMA! })
const manager = createWebhookManager({
  egress: allowLoopback,
  store,
  leaseMs: Number(process.env.LEASE_MS ?? 2000),
  pollIntervalMs: 100,
  batchSize: Number(process.env.BATCH ?? 20),
  concurrency: 10,
  endpointConcurrency: 10,
  workerId: process.env.WORKER_ID,
  breaker: { enabled: false },
  ...(process.env.HEARTBEAT_MS ? { workerHeartbeat: { intervalMs: Number(process.env.HEARTBEAT_MS) } } : {}),
})
manager.on('worker.error', ({ error }) => console.error('[worker]', error))
await manager.start()
process.stdout.write('ready\n')
process.on('SIGTERM', () => {
  void manager.close().then(() => process.exit(0))
})
