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
  // Breakers stay off unless a test sets a threshold (BREAKER_THRESHOLD, BREAKER_COOLDOWN_MS).
  breaker: process.env.BREAKER_THRESHOLD
    ? { failureThreshold: Number(process.env.BREAKER_THRESHOLD), cooldownMs: Number(process.env.BREAKER_COOLDOWN_MS ?? 2000) }
    : { enabled: false },
  ...(process.env.RETRY_DELAY_MS ? { retryPolicy: { strategy: 'fixed' as const, initialDelayMs: Number(process.env.RETRY_DELAY_MS), jitter: 0, maxAttempts: 100 } } : {}),
  ...(process.env.HEARTBEAT_MS ? { workerHeartbeat: { intervalMs: Number(process.env.HEARTBEAT_MS) } } : {}),
})
manager.on('worker.error', ({ error }) => console.error('[worker]', error))
// Breaker transitions, one JSON line each, for the tests that check which worker made them.
const report = (event: string, fields: object) => process.stdout.write(`${JSON.stringify({ event, worker: process.env.WORKER_ID, at: Date.now(), ...fields })}\n`)
manager.on('breaker.opened', ({ endpointId, retryAt }) => report('breaker.opened', { endpointId, retryAt: retryAt.getTime() }))
manager.on('breaker.halfOpen', ({ endpointId }) => report('breaker.halfOpen', { endpointId }))
manager.on('breaker.closed', ({ endpointId }) => report('breaker.closed', { endpointId }))
await manager.start()
process.stdout.write('ready\n')
process.on('SIGTERM', () => {
  void manager.close().then(() => process.exit(0))
})
