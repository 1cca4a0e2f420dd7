// Scaling: 1, 2 and 4 hookline worker processes (bench/store-worker.ts) on one Postgres against one
// receiver process. Per worker count: the drain throughput of an endpoint without a rate limit, and
// the busiest window at the receiver of an endpoint whose limit binds (shared by every worker). Then
// the price of the shared limiter and breakers: CPU per delivery of an unlimited endpoint with the
// features present vs a store stripped of them (BENCH_NO_SHARED), and of a limited endpoint whose
// limit does not bind vs the unlimited one, alternating rounds on two clusters of 2 workers.
// Knobs: BENCH_SCALING_N (deliveries per drain, 2 000), BENCH_SCALING_ROUNDS (3), BENCH_CONCURRENCY (50),
// BENCH_SCALING_COUNTS (worker counts, `1,2,4`; `none` runs only the cost part).
import { createWebhookManager, type WebhookManager, type WebhookStore } from '../src/index.js'
import { forkTs, type Child } from './lib/child.js'
import { startCpuMeter } from './lib/cpu.js'
import { closeWorkersOnSchema, dropStaleSchemas, freshSchema, loadStoreFactory, PG_URL, probePostgres } from './lib/durable.js'
import { loopbackEgress } from './lib/egress.js'
import { envInt } from './lib/env.js'
import { makePayload } from './lib/payload.js'
import { pgBackendMeter, withApplicationName } from './lib/pg-backends.js'
import { startReceiverProcess, type ReceiverProcess } from './lib/receiver-process.js'
import { record, section, skip } from './lib/report.js'
import { fmt, median } from './lib/stats.js'

const FREE = 'bench.free'
const LIMITED = 'bench.limited'
const WIDE = 'bench.wide'
/** The binding limit: 20 per 200 ms (100/s), far below what the workers could send. */
const TIGHT = { max: 20, intervalMs: 200 }
/** A limit that never binds here, to price taking and giving back a slot per request. */
const LOOSE = { max: 1000, intervalMs: 100 }

interface Cluster {
  manager: WebhookManager
  store: WebhookStore
  children: Child[]
  app: string
  close(): Promise<void>
}

/** A fresh schema with the three endpoints, `count` worker processes on it (stopped), and a parent manager that only emits. */
async function cluster(rx: ReceiverProcess, count: number, concurrency: number, env: Record<string, string> = {}): Promise<Cluster> {
  const factory = (await loadStoreFactory('postgres'))!
  const schema = freshSchema('hookline_scaling')
  const app = `hlscale_${schema.slice(-10)}`
  const store = factory({ connectionString: withApplicationName(PG_URL, `${app}_parent`), schema })
  const manager = createWebhookManager({ egress: loopbackEgress, store, workerHeartbeat: false })
  const children: Child[] = []
  // Whatever fails, and however far the cluster got, the workers stop and the schema goes.
  const close = (): Promise<void> => closeWorkersOnSchema(children, manager, schema)
  try {
    await manager.migrate()
    await manager.createEndpoint({ url: rx.url, events: [FREE] })
    await manager.createEndpoint({ url: `${rx.origin}/limited`, events: [LIMITED], rateLimit: TIGHT })
    await manager.createEndpoint({ url: `${rx.origin}/wide`, events: [WIDE], rateLimit: LOOSE })
    const url = withApplicationName(PG_URL, `${app}_worker`)
    for (let i = 0; i < count; i++) children.push(forkTs('bench/store-worker.ts', [], { BENCH_PG_URL: url, BENCH_PG_SCHEMA: schema, BENCH_CONCURRENCY: String(concurrency), ...env }))
    await Promise.all(children.map((c) => c.next('ready', 120_000)))
  } catch (error) {
    await close().catch(() => {})
    throw error
  }
  return { manager, store, children, app, close }
}

interface Drain {
  perSec: number
  /** CPU µs per delivery: the worker processes, and their Postgres backends. */
  workerUs: number
  pgUs: number | null
}

/** Enqueues `n` messages of `event` with the workers stopped, then times the workers draining them to the receiver. */
async function drain(c: Cluster, rx: ReceiverProcess, event: string, n: number, data: unknown): Promise<Drain> {
  for (let done = 0; done < n; done += 500) await c.manager.emitMany(Array.from({ length: Math.min(500, n - done) }, () => ({ event, data })))
  await rx.reset()
  const backends = await pgBackendMeter(`${c.app}_worker`)
  await backends.start()
  const cpu = startCpuMeter({ workers: c.children.map((w) => w.process.pid ?? 0) })
  const t0 = performance.now()
  await Promise.all(c.children.map((w) => w.request('start')))
  const t1 = await rx.waitFor(n, { timeoutMs: 600_000, intervalMs: 20 })
  const report = cpu.stop()
  const pgUs = await backends.stop()
  await backends.close()
  await Promise.all(c.children.map((w) => w.request('stop', {}, 120_000)))
  const ms = t1 - t0
  const workerUs = report ? (report.groups.workers! / 100) * ms * 1000 : Number.NaN
  return { perSec: (n / ms) * 1000, workerUs: workerUs / n, pgUs: pgUs === null ? null : pgUs / n }
}

/** The most arrivals any window of `windowMs` holds (each window starting at an arrival). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}

/**
 * Arrivals per second from the first arrival to the last, leaving out the first window's `max`
 * (a limit of `max` per window sends them at once, then `max` per window): the rate the limit
 * allows is exactly its own, whatever the time the workers took to start.
 */
function steadyRate(times: number[], max: number): number {
  if (times.length <= max) return Number.NaN
  const sorted = [...times].sort((a, b) => a - b)
  return ((sorted.length - max) / (sorted[sorted.length - 1]! - sorted[0]!)) * 1000
}

const cpuNote = (d: Drain): string => `worker ${fmt(d.workerUs)} µs + Postgres ${d.pgUs === null ? '?' : fmt(d.pgUs)} µs CPU per delivery`
const totalUs = (d: Drain): number => d.workerUs + (d.pgUs ?? 0)

export async function runScaling(): Promise<void> {
  const n = envInt('BENCH_SCALING_N', 2_000)
  const rounds = envInt('BENCH_SCALING_ROUNDS', 3)
  const concurrency = envInt('BENCH_CONCURRENCY', 50)
  section(`scaling: worker processes on one Postgres, one receiver process (drain of N=${fmt(n)}, concurrency ${concurrency} per worker)`)
  const why = (await loadStoreFactory('postgres')) ? await probePostgres() : 'src/store/postgres is missing'
  if (why !== null) return skip('scaling', why)
  // Schemas of a run that was killed (SIGKILL) before it could drop them.
  await dropStaleSchemas(['hookline_scaling'])
  const rx = await startReceiverProcess()
  const data = makePayload(1024)
  try {
    let one = 0
    const counts = process.env.BENCH_SCALING_COUNTS === 'none' ? [] : (process.env.BENCH_SCALING_COUNTS ?? '1,2,4').split(',').map(Number)
    for (const count of counts) {
      const c = await cluster(rx, count, concurrency)
      try {
        await drain(c, rx, FREE, Math.min(500, n), data) // warm-up: connections, JIT
        const free = await drain(c, rx, FREE, n, data)
        if (count === 1) one = free.perSec
        record({
          section: 'scaling',
          name: `${count} worker${count > 1 ? 's' : ''}, endpoint without a rate limit`,
          value: free.perSec,
          unit: 'deliveries/s',
          ...(count > 1 && one > 0 ? { baseline: { name: '1 worker', value: one }, ratio: free.perSec / one } : {}),
          note: cpuNote(free),
        })
        const limitedN = TIGHT.max * 20
        const limited = await drain(c, rx, LIMITED, limitedN, data)
        const times = await rx.limitedTimes()
        const busiest = busiestWindow(times, TIGHT.intervalMs)
        const steady = steadyRate(times, TIGHT.max)
        record({
          section: 'scaling',
          name: `${count} worker${count > 1 ? 's' : ''}, endpoint limited to ${TIGHT.max} per ${TIGHT.intervalMs} ms: busiest ${TIGHT.intervalMs} ms window at the receiver`,
          value: busiest,
          unit: 'requests',
          baseline: { name: 'the limit', value: TIGHT.max },
          ratio: busiest / TIGHT.max,
          target: { op: '<=', value: 1 },
          note: `${fmt(limited.perSec)} deliveries/s from the start (limit: ${fmt((TIGHT.max * 1000) / TIGHT.intervalMs)}/s)`,
        })
        record({
          section: 'scaling',
          name: `${count} worker${count > 1 ? 's' : ''}, endpoint limited to ${TIGHT.max} per ${TIGHT.intervalMs} ms: arrivals/s at the receiver once sending`,
          value: steady,
          unit: 'requests/s',
          baseline: { name: 'the limit', value: (TIGHT.max * 1000) / TIGHT.intervalMs },
          ratio: steady / ((TIGHT.max * 1000) / TIGHT.intervalMs),
          note: `${fmt(limitedN)} deliveries; ${cpuNote(limited)}`,
        })
      } finally {
        await c.close()
      }
    }

    // The price of the shared features, in CPU per delivery (throughput moves with the machine's load).
    const present = await cluster(rx, 2, concurrency)
    let absent: Cluster | undefined
    try {
      const without = (absent = await cluster(rx, 2, concurrency, { BENCH_NO_SHARED: '1' }))
      await drain(present, rx, FREE, Math.min(500, n), data)
      await drain(without, rx, FREE, Math.min(500, n), data)
      const runs = { present: [] as Drain[], absent: [] as Drain[], wide: [] as Drain[] }
      // Which of the two goes first alternates, so a drift of the machine's load does not fall on one of them only.
      for (let r = 0; r < rounds; r++) {
        const pair = [async () => runs.present.push(await drain(present, rx, FREE, n, data)), async () => runs.absent.push(await drain(without, rx, FREE, n, data))]
        for (const run of r % 2 === 0 ? pair : pair.reverse()) await run()
        runs.wide.push(await drain(present, rx, WIDE, n, data))
      }
      const med = (ds: Drain[]) => ({ us: median(ds.map(totalUs)), perSec: median(ds.map((d) => d.perSec)), note: cpuNote(ds[ds.length >> 1]!) })
      const p = med(runs.present)
      const a = med(runs.absent)
      const w = med(runs.wide)
      record({
        section: 'scaling',
        name: 'unlimited endpoint, shared limits and breakers present: CPU per delivery',
        value: p.us,
        unit: 'µs',
        baseline: { name: 'a store without them', value: a.us },
        ratio: p.us / a.us,
        target: { op: '<=', value: 1.1 },
        note: `${fmt(p.perSec)} vs ${fmt(a.perSec)} deliveries/s; ${p.note}`,
      })
      record({
        section: 'scaling',
        name: `endpoint limited to ${LOOSE.max} per ${LOOSE.intervalMs} ms (never binding): CPU per delivery`,
        value: w.us,
        unit: 'µs',
        baseline: { name: 'the unlimited endpoint', value: p.us },
        ratio: w.us / p.us,
        note: `${fmt(w.perSec)} vs ${fmt(p.perSec)} deliveries/s; ${w.note}`,
      })
    } finally {
      await Promise.allSettled([present.close(), absent?.close()])
    }
  } finally {
    await rx.close()
  }
}
