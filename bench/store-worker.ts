// A hookline delivery worker in its own process, on the Postgres store: the "N worker processes
// on one database" part of bench/stores.ts. Configured by environment:
//   BENCH_PG_URL, BENCH_PG_SCHEMA (already migrated), BENCH_CONCURRENCY, BENCH_NO_SHARED
// IPC: sends { type: 'ready' } once connected; answers { type, id } to
//   'start' (worker started), 'stop' (worker stopped after draining), 'close' (manager closed).
import { createWebhookManager } from '../src/index.js'
import { loadStoreFactory } from './lib/durable.js'
import { benchTransport } from './lib/undici.js'
import { loopbackEgress } from './lib/egress.js'
import { countStatements, takeStatementCounts } from './lib/pg-statements.js'

// BENCH_COUNT_STATEMENTS=1: count this process's statements by kind ('stats' answers and resets them).
if (process.env.BENCH_COUNT_STATEMENTS === '1') countStatements()
const factory = await loadStoreFactory('postgres')
if (!factory) throw new Error('store-worker: src/store/postgres/index.ts is missing')
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50)
const store = factory({ connectionString: process.env.BENCH_PG_URL, schema: process.env.BENCH_PG_SCHEMA, migrate: false })
// BENCH_NO_SHARED=1 (bench/scaling.ts): the store without its shared rate limits and breakers, as
// if the features did not exist, to price them on endpoints that do not use them.
if (process.env.BENCH_NO_SHARED === '1') {
  const optional = ['takeRateSlots', 'releaseRateSlots', 'recordBreakerFailure', 'recordBreakerSuccess', 'takeBreakerProbe', 'getBreaker', 'listOpenBreakers', 'clearBreaker'] as const
  for (const name of optional) delete (store as Partial<typeof store>)[name]
}
const fetchImpl = await benchTransport() // BENCH_TRANSPORT, inherited from the parent
// BENCH_TRACE=1 (inherited): count and time the worker's claims, outcome writes and rate-slot calls, printed to
// stderr when the manager closes.
const traced: Record<string, { calls: number; rows: number; empty: number; ms: number }> = {}
if (process.env.BENCH_TRACE === '1') {
  for (const name of ['claim', 'complete', 'nextDueAt', 'takeRateSlots', 'releaseRateSlots'] as const) {
    if (typeof store[name] !== 'function') continue // BENCH_NO_SHARED took it away
    const original = (store[name] as (...args: never[]) => Promise<unknown>).bind(store)
    ;(store as unknown as Record<string, unknown>)[name] = async (...args: never[]) => {
      const t0 = performance.now()
      const result = await original(...args)
      const t = (traced[name] ??= { calls: 0, rows: 0, empty: 0, ms: 0 })
      // Rows: claimed, written; for rate slots, the slots taken or given back.
      const slots = (result as { slots?: unknown[] } | undefined)?.slots
      const rows = Array.isArray(result) ? result.length : Array.isArray(args[0]) ? (args[0] as unknown[]).length : Array.isArray(args[1]) ? (args[1] as unknown[]).length : Array.isArray(slots) ? slots.length : 1
      t.calls++
      t.rows += rows
      if (rows === 0) t.empty++
      t.ms += performance.now() - t0
      return result
    }
  }
}
const manager = createWebhookManager({
  egress: loopbackEgress,
  store,
  concurrency,
  endpointConcurrency: concurrency,
  autoMigrate: false,
  ...(fetchImpl ? { fetch: fetchImpl } : {}),
})
manager.on('worker.error', ({ error }) => console.error('store-worker: worker error', error))
await store.listEndpoints({ limit: 1 }) // connect before saying ready
process.send?.({ type: 'ready' })

/** Wake-ups the store delivered (NOTIFYs received, reconnects) since the last 'stats'. */
let wakes = 0
if (process.env.BENCH_COUNT_STATEMENTS === '1') {
  const onWake = store.onWake!.bind(store)
  store.onWake = (listener: () => void) => onWake(() => (wakes++, listener()))
}

const actions: Record<string, () => Promise<unknown>> = {
  stats: async () => {
    const out = { statements: takeStatementCounts(), wakes }
    wakes = 0
    return out
  },
  start: () => manager.start(),
  stop: () => manager.stop(),
  close: async () => {
    await manager.close()
    for (const [name, t] of Object.entries(traced)) {
      console.error(`store-worker ${process.pid}: ${name} ${t.calls} calls (${t.empty} empty), ${(t.rows / t.calls).toFixed(1)} rows each, ${(t.ms / t.calls).toFixed(2)} ms mean`)
    }
  },
}

process.on('message', (message: { type: string; id: number }) => {
  const action = actions[message.type]
  if (!action) return
  action().then(
    (value) => process.send?.({ ...(value ?? {}), type: message.type, id: message.id }),
    (error: unknown) => process.send?.({ type: message.type, id: message.id, error: String(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
