// CPU of hookline's worker process per delivery while it drains a Postgres backlog, and of its own
// Postgres backends — after a warm-up, so JIT compilation of the pipeline is not charged to the
// deliveries (a cold 4 000-delivery drain charges ~250 µs of it to each). One in-process worker,
// concurrency 50, a backlog enqueued with emitMany (untimed); the window runs from start() to the
// end of stop() (every outcome written).
//   npx tsx bench/tools/pg-worker-cost.ts [http|stub] [rounds=3]   (after one unreported round)
//     http: a receiver process on 127.0.0.1 (the real send path)
//     stub: hookline's transport over a dispatcher that answers 200 at once without a socket
//           (bench/lib/stub-dispatcher.ts): the worker's cost without the network
//   BENCH_STORE=memory: the same drain on the memory store (what the worker costs without Postgres);
//   BENCH_STORE_N (4 000) deliveries per round; BENCH_PROFILE=<dir> writes a .cpuprofile of the
//   last round's window (summarise with bench/tools/cpuprofile-summary.ts).
// Also prints the bytes the worker process's heap allocated per delivery over the window (a
// `v8.GCProfiler`: heap growth + what every collection freed), which repeats within a few % at any load.
// BENCH_ALLOC_SITES=<top>: the last round also runs V8's sampling heap profiler (objects the
// collections free included) and prints KB per delivery by file and by function.
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import v8 from 'node:v8'
import { createWebhookManager } from '../../src/index.js'
import { createUndiciFetch } from '../../src/dispatch/undici-fetch.js'
import { memoryStore } from '../../src/store/memory/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
import { loopbackEgress } from '../lib/egress.js'
import { envInt } from '../lib/env.js'
import { printHeapSites, type HeapProfileNode } from '../lib/heap-sites.js'
import { makePayload } from '../lib/payload.js'
import { pgBackendMeter, withApplicationName } from '../lib/pg-backends.js'
import { startReceiverProcess, type ReceiverProcess } from '../lib/receiver-process.js'
import { AnswerAtOnce } from '../lib/stub-dispatcher.js'

const mode = process.argv[2] ?? 'http'
if (mode !== 'http' && mode !== 'stub') throw new Error(`mode must be http or stub, got ${mode}`)
const rounds = Number(process.argv[3] ?? 3)
const n = envInt('BENCH_STORE_N', 4000)
const warmup = envInt('BENCH_STORE_WARMUP', 1000)
const data = makePayload(1024)
const onMemory = process.env.BENCH_STORE === 'memory'
const rx: ReceiverProcess | null = mode === 'http' ? await startReceiverProcess() : null
const stub = mode === 'stub' ? new AnswerAtOnce() : null
const stubFetch = stub ? createUndiciFetch({ dispatcher: stub }).fetch : undefined

const sent = async (): Promise<number> => (rx ? rx.count() : stub!.count)
async function waitSent(count: number): Promise<void> {
  for (let i = 0; i < 120_000 && (await sent()) < count; i++) await new Promise((r) => setTimeout(r, 5))
}
async function resetSent(): Promise<void> {
  if (rx) await rx.reset()
  else stub!.count = 0
}

/** Bytes allocated on the JS heap between `start()` and the returned `stop()`. */
function allocationMeter(): () => number {
  const profiler = new v8.GCProfiler()
  const start = v8.getHeapStatistics().used_heap_size
  profiler.start()
  return () => {
    const end = v8.getHeapStatistics().used_heap_size
    type Entry = { beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }
    const entries = (profiler.stop()?.statistics ?? []) as Entry[]
    let allocated = end - start
    for (const gc of entries) allocated += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
    return allocated
  }
}

let lastRound = false

async function round(profileDir: string | null): Promise<{ workerUs: number; pgUs: number | null; rate: number; kb: number }> {
  const schema = freshSchema('hookline_wcost')
  const app = `hlwcost_${schema.slice(-10)}`
  const store = onMemory ? memoryStore() : postgresStore({ connectionString: withApplicationName(PG_URL, app), schema })
  const manager = createWebhookManager({
    egress: loopbackEgress,
    store,
    concurrency: 50,
    endpointConcurrency: 50,
    ...(stubFetch ? { fetch: stubFetch } : {}),
  })
  try {
    await manager.migrate()
    await manager.createEndpoint({ url: rx?.url ?? 'http://127.0.0.1:9/hook', events: ['agent.*'] })
    const backlog = async (count: number): Promise<void> => {
      for (let done = 0; done < count; done += 1000) {
        await manager.emitMany(Array.from({ length: Math.min(1000, count - done) }, () => ({ event: 'agent.created', data })))
      }
    }
    // Warm-up: the same drain, smaller.
    await backlog(warmup)
    await resetSent()
    await manager.start()
    await waitSent(warmup)
    await manager.stop()
    await backlog(n)
    await resetSent()
    const meter = await pgBackendMeter(app)
    let session: Session | null = null
    if (profileDir) {
      session = new Session()
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.setSamplingInterval', { interval: 200 })
      await session.post('Profiler.start')
    }
    await meter.start()
    const sites = profileDir === null && process.env.BENCH_ALLOC_SITES && lastRound ? new Session() : null
    if (sites) {
      sites.connect()
      await sites.post('HeapProfiler.enable')
      await sites.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never)
    }
    const allocated = allocationMeter()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await manager.start()
    await waitSent(n)
    await manager.stop()
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const kb = allocated() / 1024 / n
    if (sites) {
      const { profile } = (await sites.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapProfileNode } }
      sites.disconnect()
      printHeapSites(profile.head, n, Number(process.env.BENCH_ALLOC_SITES), 'worker')
    }
    const pgUs = await meter.stop()
    await meter.close()
    if (session && profileDir) {
      const { profile } = await session.post('Profiler.stop')
      mkdirSync(profileDir, { recursive: true })
      writeFileSync(join(profileDir, `pg-worker-${mode}.cpuprofile`), JSON.stringify(profile))
      session.disconnect()
    }
    const stats = await manager.getStats((await manager.listEndpoints())[0]!.id)
    if (stats.succeeded !== n + warmup) throw new Error(`expected ${n + warmup} succeeded, got ${stats.succeeded}`)
    return { workerUs: (cpu.user + cpu.system) / n, pgUs: pgUs === null ? null : pgUs / n, rate: n / (ms / 1000), kb }
  } finally {
    await manager.close()
    if (!onMemory) await dropSchemas([schema])
  }
}

// One unreported round first: V8 keeps optimising the pipeline well past the first warm-up.
await round(null)
const results = []
for (let i = 0; i < rounds; i++) {
  lastRound = i === rounds - 1
  const r = await round(i === rounds - 1 ? (process.env.BENCH_PROFILE ?? null) : null)
  results.push(r)
  console.log(`  round ${i + 1}: worker ${r.workerUs.toFixed(0)} µs CPU/delivery, its Postgres backends ${r.pgUs?.toFixed(0) ?? '?'} µs/delivery, ${r.kb.toFixed(2)} KB allocated/delivery, ${Math.round(r.rate)} deliveries/s`)
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const min = (xs: number[]): number => Math.min(...xs)
// The minimum is the round the machine's other load disturbed least (CPU time inflates under contention).
console.log(
  `${mode}${onMemory ? ' (memory store)' : ''}: N = ${n} after a ${warmup} warm-up, ${rounds} rounds, median (min): ` +
    `worker ${med(results.map((r) => r.workerUs)).toFixed(0)} (${min(results.map((r) => r.workerUs)).toFixed(0)}) µs CPU/delivery, ` +
    `backends ${onMemory ? '-' : `${med(results.map((r) => r.pgUs ?? Number.NaN)).toFixed(0)} (${min(results.map((r) => r.pgUs ?? Number.NaN)).toFixed(0)})`} µs/delivery, ` +
    `${med(results.map((r) => r.kb)).toFixed(2)} KB allocated/delivery, ${Math.round(med(results.map((r) => r.rate)))} deliveries/s`,
)
await rx?.close()
