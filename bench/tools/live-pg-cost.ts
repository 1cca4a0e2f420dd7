// Where a live delivery's cost goes on Postgres (issue 13, the live scenario): workers running
// while BENCH_PRODUCERS (16) callers emit, as in bench/stores.ts's live figure. Per delivery: the
// parent's CPU (it emits; with `inproc` its worker runs in it too), the worker processes' CPU, the
// system's own Postgres backends' CPU, the receiver's CPU; and the statements behind it, by kind,
// with their rows (claims returned, outcome writes and enqueue batches sent), NOTIFYs and wake-ups.
// Variants (comma-separated, set up once, rounds interleaved; median of the rounds):
//   inproc     one manager emitting with its worker in process (stores.ts "Postgres store")
//   emit       the same without a worker: what the 16 producers' emits cost alone
//   workers1   the parent only emits; 1 worker process (bench/store-worker.ts) delivers
//   workers2   the same with 2 worker processes
//   bullmq     BullMQ 6 in the parent: 16 producers `add`, a Worker (concurrency 50) signs and POSTs
//              through an undici Pool (bench/stores.ts's row); "backends" is Redis's CPU
//   npx tsx bench/tools/live-pg-cost.ts [variants=inproc,workers1,workers2] [rounds=3]
// BENCH_STORE_N (3 000) deliveries a round after a BENCH_STORE_WARMUP (1 000) warm-up round.
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createWebhookManager, type WebhookManager } from '../../src/index.js'
import { postgresStore, type PostgresStore } from '../../src/store/postgres/index.js'
import { forkTs, type Child } from '../lib/child.js'
import { dropSchemas, freshSchema, PG_URL, REDIS } from '../lib/durable.js'
import { loopbackEgress } from '../lib/egress.js'
import { envInt } from '../lib/env.js'
import { makePayload } from '../lib/payload.js'
import { pgBackendMeter, withApplicationName, type PgBackendMeter } from '../lib/pg-backends.js'
import { countStatements, takeStatementCounts, type StatementCount } from '../lib/pg-statements.js'
import { startReceiverProcess, type ReceiverProcess } from '../lib/receiver-process.js'
import { cpuUsOf, pidsOf } from '../lib/proc.js'
import { median } from '../lib/stats.js'
import { loadUndici } from '../lib/undici.js'

const variants = (process.argv[2] ?? 'inproc,workers1,workers2').split(',')
const rounds = Number(process.argv[3] ?? 3)
const n = envInt('BENCH_STORE_N', 3000)
const warmup = envInt('BENCH_STORE_WARMUP', 1000)
const producers = envInt('BENCH_PRODUCERS', 16)
const concurrency = envInt('BENCH_CONCURRENCY', 50)
const data = makePayload(1024)
countStatements()


interface Variant {
  key: string
  manager: WebhookManager
  store: PostgresStore
  app: string
  schema: string
  children: Child[]
  meter: PgBackendMeter
  /** In-process worker wake-ups since the last round. */
  wakes: number
  runs: Run[]
}

interface Run {
  rate: number
  parent: number
  workers: number
  backends: number
  receiver: number
  statements: Record<string, StatementCount>
  wakes: number
}

/** BullMQ's live scenario, as bench/stores.ts runs it; its server CPU is Redis's. */
async function bullmqRound(rx: ReceiverProcess, count: number): Promise<Run> {
  const { Queue, Worker } = await import('bullmq')
  const undici = await loadUndici()
  const connection = { host: REDIS.host, port: REDIS.port, maxRetriesPerRequest: null }
  const name = `hookline-live-${randomBytes(5).toString('hex')}`
  const queue = new Queue(name, { connection })
  const pool = new undici.Pool(rx.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
  const secret = randomBytes(32).toString('hex')
  const worker = new Worker(
    name,
    async (job) => {
      const body = JSON.stringify({ id: job.id, event: 'agent.created', timestamp: new Date().toISOString(), data: job.data })
      const signature = createHmac('sha256', secret).update(body).digest('hex')
      const res = await pool.request({ path: '/hook', method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${signature}`, 'x-webhook-id': String(job.id) }, body })
      await res.body.text()
    },
    { connection, concurrency },
  )
  await worker.waitUntilReady()
  await rx.reset()
  const redis = pidsOf('redis-server')
  const s0 = cpuUsOf(redis)
  const r0 = cpuUsOf([rx.pid])
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let started = 0
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (started < count) {
        started++
        await queue.add('deliver', data)
      }
    }),
  )
  await rx.waitFor(count, { intervalMs: 5 })
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const run: Run = { rate: count / (ms / 1000), parent: (cpu.user + cpu.system) / count, workers: 0, backends: (cpuUsOf(redis) - s0) / count, receiver: (cpuUsOf([rx.pid]) - r0) / count, statements: {}, wakes: 0 }
  await worker.close()
  await queue.obliterate({ force: true })
  await queue.close()
  await pool.close()
  return run
}


async function setup(key: string, rx: ReceiverProcess): Promise<Variant> {
  const schema = freshSchema('hookline_live')
  const app = `hllive_${key}_${schema.slice(-10)}`
  const url = withApplicationName(PG_URL, app)
  const store = postgresStore({ connectionString: url, schema })
  const v: Variant = { key, manager: null!, store, app, schema, children: [], meter: await pgBackendMeter(app), wakes: 0, runs: [] }
  if (key === 'inproc') {
    const onWake = store.onWake.bind(store)
    store.onWake = (listener) => onWake(() => (v.wakes++, listener()))
  }
  v.manager = createWebhookManager({ egress: loopbackEgress, store, concurrency, endpointConcurrency: concurrency })
  await v.manager.migrate()
  await v.manager.createEndpoint({ url: rx.url, events: ['agent.*'] })
  const workers = key.startsWith('workers') ? Number(key.slice(7)) : 0
  for (let i = 0; i < workers; i++) {
    v.children.push(forkTs('bench/store-worker.ts', [], { BENCH_PG_URL: url, BENCH_PG_SCHEMA: schema, BENCH_CONCURRENCY: String(concurrency), BENCH_COUNT_STATEMENTS: '1' }))
  }
  await Promise.all(v.children.map((c) => c.next('ready', 60_000)))
  return v
}

async function produce(manager: WebhookManager, count: number): Promise<void> {
  let started = 0
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (started < count) {
        started++
        await manager.emit('agent.created', data)
      }
    }),
  )
}

async function round(v: Variant, rx: ReceiverProcess, count: number): Promise<Run> {
  if (v.key === 'bullmq') return bullmqRound(rx, count)
  const pids = v.children.map((c) => c.process.pid!)
  await rx.reset()
  if (v.key === 'inproc') await v.manager.start()
  else await Promise.all(v.children.map((c) => c.request('start')))
  await Promise.all(v.children.map((c) => c.request('stats')))
  takeStatementCounts()
  v.wakes = 0
  await v.meter.start()
  const w0 = cpuUsOf(pids)
  const r0 = cpuUsOf([rx.pid])
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await produce(v.manager, count)
  if (v.key !== 'emit') await rx.waitFor(count, { intervalMs: 5 })
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const backends = (await v.meter.stop()) ?? Number.NaN
  const workers = cpuUsOf(pids) - w0
  const receiver = cpuUsOf([rx.pid]) - r0
  const statements = takeStatementCounts()
  let wakes = v.wakes
  for (const child of v.children) {
    const s = await child.request<{ statements: Record<string, StatementCount>; wakes: number }>('stats')
    wakes += s.wakes
    for (const [kind, c] of Object.entries(s.statements)) {
      const e = (statements[`${kind} (workers)`] ??= { calls: 0, rows: 0 })
      e.calls += c.calls
      e.rows += c.rows
    }
  }
  if (v.key === 'inproc') await v.manager.stop()
  else await Promise.all(v.children.map((c) => c.request('stop', {}, 60_000)))
  return { rate: count / (ms / 1000), parent: (cpu.user + cpu.system) / count, workers: workers / count, backends: backends / count, receiver: receiver / count, statements, wakes }
}

const rx = await startReceiverProcess()
const all: Variant[] = []
try {
  for (const key of variants) all.push(key === 'bullmq' ? ({ key, children: [], runs: [], close: async () => {} } as unknown as Variant) : await setup(key, rx))
  for (const v of all) await round(v, rx, warmup)
  for (let r = 0; r < rounds; r++) for (const v of all) v.runs.push(await round(v, rx, n))
  console.log(`live, N = ${n} per round, ${producers} producers, concurrency ${concurrency}, ${rounds} rounds (median), load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
  for (const v of all) {
    const m = (f: (r: Run) => number): string => median(v.runs.map(f)).toFixed(0)
    console.log(
      `  ${v.key.padEnd(9)} ${m((r) => r.rate)}/s; µs per delivery: parent ${m((r) => r.parent)}, workers ${m((r) => r.workers)}, backends ${m((r) => r.backends)}, receiver ${m((r) => r.receiver)}; ` +
        `total ${m((r) => r.parent + r.workers + r.backends + r.receiver)}`,
    )
    const kinds = new Set(v.runs.flatMap((r) => Object.keys(r.statements)))
    const parts: string[] = []
    for (const kind of kinds) {
      const calls = median(v.runs.map((r) => r.statements[kind]?.calls ?? 0))
      const rows = median(v.runs.map((r) => r.statements[kind]?.rows ?? 0))
      parts.push(`${kind} ${((calls * 1000) / n).toFixed(1)}${rows > 0 ? ` (${(rows / Math.max(1, calls)).toFixed(1)} rows)` : ''}`)
    }
    parts.push(`wakes ${((median(v.runs.map((r) => r.wakes)) * 1000) / n).toFixed(1)}`)
    console.log(`            per 1 000 deliveries: ${parts.join(', ')}`)
  }
} finally {
  for (const v of all) {
    if (v.key === 'bullmq') continue
    await Promise.all(v.children.map((c) => c.request('close', {}, 60_000).catch(() => {})))
    await Promise.all(v.children.map((c) => c.close()))
    await v.manager.close()
    await v.meter.close()
  }
  await dropSchemas(all.filter((v) => v.key !== 'bullmq').map((v) => v.schema))
  await rx.close()
}
