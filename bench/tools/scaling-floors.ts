// Two worker processes against one, for three designs in one run (issue 13: "two worker processes
// on one Postgres ≥ 1.3× one"; a "blocked" needs the floor of our design and of the best
// alternative, measured together): a drain of a BENCH_STORE_N (3 000) backlog by 1 and by 2 worker
// processes of
//   hookline  bench/store-worker.ts: hookline's worker on the Postgres store, every attempt logged
//   minimal   bench/floor-worker.ts: the minimal SKIP LOCKED loop (bench/lib/minimal-loop.ts),
//             claims of 500, every attempt logged — the alternative design's floor on Postgres
//   bullmq    bench/floor-worker.ts: a BullMQ 6 Worker (concurrency 50, sign + POST), no log
// all sending to one receiver process. Each cluster (design × process count) has its own schema
// or queue; rounds interleave the six clusters; median of the rounds. Per delivery: CPU of the
// worker processes, of the design's own Postgres backends (or of Redis), and of the receiver.
// Also printed: the CPU-bound ceiling of 2 vs 1 on this machine, from the CPU figures alone (less
// sensitive to the neighbours than the clock): min(1 / worker CPU, cores / total CPU) with one
// process against cores / total CPU with two.
//   npx tsx bench/tools/scaling-floors.ts [designs=hookline,minimal,bullmq] [rounds=3]
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { randomBytes } from 'node:crypto'
import { createWebhookManager, type WebhookManager } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { forkTs, type Child } from '../lib/child.js'
import { dropSchemas, freshSchema, PG_URL, REDIS } from '../lib/durable.js'
import { loopbackEgress } from '../lib/egress.js'
import { envInt } from '../lib/env.js'
import { makePayload } from '../lib/payload.js'
import { pgBackendMeter, withApplicationName, type PgBackendMeter } from '../lib/pg-backends.js'
import { startReceiverProcess, type ReceiverProcess } from '../lib/receiver-process.js'
import { cpuUsOf, pidsOf } from '../lib/proc.js'
import { median } from '../lib/stats.js'

const designs = (process.argv[2] ?? 'hookline,minimal,bullmq').split(',')
const rounds = Number(process.argv[3] ?? 3)
const n = envInt('BENCH_STORE_N', 3000)
const warmup = envInt('BENCH_STORE_WARMUP', 1000)
const concurrency = envInt('BENCH_CONCURRENCY', 50)
const data = makePayload(1024)



interface Run {
  rate: number
  workers: number
  server: number
  receiver: number
}

interface Cluster {
  design: string
  count: number
  children: Child[]
  /** Enqueues `count` messages, workers stopped. */
  backlog(count: number): Promise<void>
  /** CPU µs of the design's server side (its Postgres backends, or Redis) since `start`. */
  server: { start(): Promise<void>; stop(): Promise<number> }
  close(): Promise<void>
  runs: Run[]
}

async function postgresCluster(design: 'hookline' | 'minimal', count: number, rx: ReceiverProcess): Promise<Cluster> {
  const schema = freshSchema('hookline_floor')
  const app = `hlfloor_${design}${count}_${schema.slice(-10)}`
  const setup: WebhookManager = createWebhookManager({ egress: loopbackEgress, store: postgresStore({ connectionString: withApplicationName(PG_URL, `hlsetup_${schema.slice(-10)}`), schema }) })
  await setup.migrate()
  await setup.createEndpoint({ url: rx.url, events: ['agent.*'] })
  const url = withApplicationName(PG_URL, app)
  const children: Child[] = []
  for (let i = 0; i < count; i++) {
    children.push(
      design === 'hookline'
        ? forkTs('bench/store-worker.ts', [], { BENCH_PG_URL: url, BENCH_PG_SCHEMA: schema, BENCH_CONCURRENCY: String(concurrency) })
        : forkTs('bench/floor-worker.ts', [], { FLOOR_DESIGN: 'minimal', BENCH_PG_URL: url, BENCH_PG_SCHEMA: schema, FLOOR_ORIGIN: rx.origin }),
    )
  }
  await Promise.all(children.map((c) => c.next('ready', 60_000)))
  const meter: PgBackendMeter = await pgBackendMeter(app)
  return {
    design,
    count,
    children,
    async backlog(total) {
      for (let done = 0; done < total; done += 1000) await setup.emitMany(Array.from({ length: Math.min(1000, total - done) }, () => ({ event: 'agent.created', data })))
    },
    server: { start: () => meter.start(), stop: async () => (await meter.stop()) ?? Number.NaN },
    async close() {
      await meter.close()
      await setup.close()
      await dropSchemas([schema])
    },
    runs: [],
  }
}

async function bullmqCluster(count: number, rx: ReceiverProcess): Promise<Cluster> {
  const { Queue } = await import('bullmq')
  const name = `hookline-floor-${randomBytes(5).toString('hex')}`
  const queue = new Queue(name, { connection: { host: REDIS.host, port: REDIS.port, maxRetriesPerRequest: null } })
  const children: Child[] = []
  for (let i = 0; i < count; i++) children.push(forkTs('bench/floor-worker.ts', [], { FLOOR_DESIGN: 'bullmq', FLOOR_QUEUE: name, FLOOR_ORIGIN: rx.origin, BENCH_CONCURRENCY: String(concurrency) }))
  await Promise.all(children.map((c) => c.next('ready', 60_000)))
  let redis0 = 0
  return {
    design: 'bullmq',
    count,
    children,
    async backlog(total) {
      for (let done = 0; done < total; done += 1000) await queue.addBulk(Array.from({ length: Math.min(1000, total - done) }, () => ({ name: 'deliver', data })))
    },
    server: {
      async start() {
        redis0 = cpuUsOf(pidsOf('redis-server'))
      },
      async stop() {
        return cpuUsOf(pidsOf('redis-server')) - redis0
      },
    },
    async close() {
      await queue.obliterate({ force: true })
      await queue.close()
    },
    runs: [],
  }
}

async function drain(c: Cluster, rx: ReceiverProcess, total: number): Promise<Run> {
  await c.backlog(total)
  await rx.reset()
  await new Promise((resolve) => setTimeout(resolve, 200))
  const pids = c.children.map((x) => x.process.pid!)
  await c.server.start()
  const w0 = cpuUsOf(pids)
  const r0 = cpuUsOf([rx.pid])
  const t0 = performance.now()
  await Promise.all(c.children.map((x) => x.request('start')))
  await rx.waitFor(total, { intervalMs: 5 })
  const ms = performance.now() - t0
  const server = await c.server.stop()
  const workers = cpuUsOf(pids) - w0
  const receiver = cpuUsOf([rx.pid]) - r0
  await Promise.all(c.children.map((x) => x.request('stop', {}, 60_000)))
  return { rate: total / (ms / 1000), workers: workers / total, server: server / total, receiver: receiver / total }
}

const rx = await startReceiverProcess()
const clusters: Cluster[] = []
try {
  for (const design of designs) {
    for (const count of [1, 2]) {
      clusters.push(design === 'bullmq' ? await bullmqCluster(count, rx) : await postgresCluster(design as 'hookline' | 'minimal', count, rx))
    }
  }
  for (const c of clusters) await drain(c, rx, warmup)
  for (let r = 0; r < rounds; r++) for (const c of r % 2 === 0 ? clusters : [...clusters].reverse()) c.runs.push(await drain(c, rx, n))
  console.log(`drain of ${n} by 1 and 2 worker processes, concurrency ${concurrency} each, ${rounds} rounds (median), one receiver; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
  for (const design of designs) {
    const [one, two] = [1, 2].map((count) => clusters.find((c) => c.design === design && c.count === count)!)
    const m = (c: Cluster, f: (r: Run) => number): number => median(c.runs.map(f))
    for (const c of [one!, two!]) {
      console.log(
        `  ${design.padEnd(8)} ${c.count} process${c.count > 1 ? 'es' : '  '}: ${m(c, (r) => r.rate).toFixed(0)}/s (runs ${c.runs.map((r) => r.rate.toFixed(0)).join(', ')}); µs per delivery: workers ${m(c, (r) => r.workers).toFixed(0)}, ` +
          `${design === 'bullmq' ? 'redis' : 'backends'} ${m(c, (r) => r.server).toFixed(0)}, receiver ${m(c, (r) => r.receiver).toFixed(0)}, total ${m(c, (r) => r.workers + r.server + r.receiver).toFixed(0)}`,
      )
    }
    // The CPU-bound ceiling on this machine, whatever the load: one worker process delivers at most
    // one core's worth (1 / its CPU per delivery), two at most all cores' worth (cores / the CPU per
    // delivery of everything involved with two: workers, server, receiver).
    const cores = availableParallelism()
    const ceiling = (cores / m(two!, (r) => r.workers + r.server + r.receiver)) / Math.min(1 / m(one!, (r) => r.workers), cores / m(one!, (r) => r.workers + r.server + r.receiver))
    console.log(`  ${design.padEnd(8)} 2 vs 1: ${(m(two!, (r) => r.rate) / m(one!, (r) => r.rate)).toFixed(2)}× by the clock; CPU-bound ceiling on ${cores} cores ${ceiling.toFixed(2)}× (target ≥ 1.3×)`)
  }
} finally {
  for (const c of clusters) {
    await Promise.all(c.children.map((x) => x.request('close', {}, 60_000).catch(() => {})))
    await Promise.all(c.children.map((x) => x.close()))
    await c.close().catch((error: unknown) => console.error(error))
  }
  await rx.close()
}
