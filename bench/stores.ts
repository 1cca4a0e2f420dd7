// Benchmark 4 — durable stores: deliveries/s from emit to the receiver for hookline on SQLite and
// Postgres, next to what a user would build instead (pg-boss 10 + undici, BullMQ 6 + undici), and
// hookline with two worker processes on one Postgres against one. Parts that cannot run (a store
// not written yet, Postgres or Redis down) are skipped with a printed line.
import { createHmac, randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWebhookManager, type WebhookManager, type WebhookStore } from '../src/index.js'
import { forkTs, type Child } from './lib/child.js'
import { formatCpu, startCpuMeter, type CpuReport } from './lib/cpu.js'
import { dropSchemas, freshSchema, loadStoreFactory, PG_URL, probePostgres, probeRedis, REDIS } from './lib/durable.js'
import { envInt } from './lib/env.js'
import { makePayload } from './lib/payload.js'
import { startReceiverProcess, type ReceiverProcess } from './lib/receiver-process.js'
import { record, section, skip } from './lib/report.js'
import { fmt, median, settle } from './lib/stats.js'
import { benchTransport, loadUndici, type Undici } from './lib/undici.js'
import { loopbackEgress } from './lib/egress.js'

const EVENT = 'agent.created'

interface Settings {
  n: number
  warmup: number
  rounds: number
  producers: number
  concurrency: number
}

/** A system under test, set up: how to enqueue one message, and how to run and stop its workers. */
interface Setup {
  /** Enqueues one message (emit, send, add). */
  enqueue(): Promise<unknown>
  /** Starts consuming (idempotent). */
  startWorkers(): Promise<void>
  /** Stops consuming once what is in flight is done (idempotent). */
  stopWorkers(): Promise<void>
  /** Process ids of worker processes, if any (for the CPU report). */
  pids?(): number[]
  /** Untimed check after a run: `total` deliveries recorded as done. */
  settled?(total: number): Promise<void>
  teardown(): Promise<void>
}

interface Measured {
  /** Deliveries per second. */
  rate: number
  /** Enqueue rate of the producers, messages/s (live runs only). */
  enqueueRate: number
  /** CPU time of this (the parent) process per message, µs. */
  cpuUs: number
  /** Where the machine's CPU went meanwhile. */
  cpu: CpuReport | null
}

interface System {
  key: string
  name: string
  /** Why it cannot run here, or null. */
  unavailable(): Promise<string | null>
  setup(): Promise<Setup>
}

/** `producers` concurrent callers of `enqueue`, `n` calls in all; resolves with the time the last returned. */
function produce(n: number, producers: number, enqueue: () => Promise<unknown>): Promise<number> {
  let started = 0
  return Promise.all(
    Array.from({ length: Math.min(producers, n) }, async () => {
      while (started < n) {
        started++
        await enqueue()
      }
    }),
  ).then(() => performance.now())
}

/** Polls the receiver until it has seen `n` requests; resolves with the time it did. */
async function received(rx: ReceiverProcess, n: number, since: number, failed: () => unknown): Promise<number> {
  const deadline = since + 60_000 + n * 20
  for (;;) {
    if (failed() !== null) throw failed()
    const seen = await rx.count()
    const now = performance.now()
    if (seen >= n) return now
    if (now > deadline) throw new Error(`the receiver saw ${seen} of ${n} requests within ${Math.round(now - since)} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * Live: workers running, `producers` concurrent callers enqueue `n` messages; time runs from the
 * first enqueue to the n-th request received (the "emit → receiver" figure).
 */
function meter(setup: Setup, rx: ReceiverProcess) {
  return startCpuMeter({
    parent: [process.pid],
    ...(setup.pids ? { workers: setup.pids() } : {}),
    receiver: [rx.pid],
    'postgres (all)': { command: 'postgres' },
    redis: { command: 'redis-server' },
  })
}

async function live(setup: Setup, rx: ReceiverProcess, n: number, producers: number): Promise<Measured> {
  await setup.startWorkers()
  await rx.reset()
  let failure: unknown = null
  const cpuMeter = meter(setup, rx)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const producing = produce(n, producers, () => setup.enqueue())
  producing.catch((error: unknown) => (failure = error))
  const end = await received(rx, n, t0, () => failure)
  const report = cpuMeter.stop()
  const enqueued = await producing
  const cpu = process.cpuUsage(cpu0)
  return { rate: n / ((end - t0) / 1000), enqueueRate: n / ((enqueued - t0) / 1000), cpuUs: (cpu.user + cpu.system) / n, cpu: report }
}

/**
 * Drain: workers stopped, `n` messages enqueued (untimed), then the workers start; time runs from
 * the start to the n-th request received. Delivery throughput alone, whatever the enqueue costs.
 */
async function drain(setup: Setup, rx: ReceiverProcess, n: number, producers: number): Promise<Measured> {
  await setup.stopWorkers()
  await produce(n, producers, () => setup.enqueue())
  await rx.reset()
  await settle(100)
  const cpuMeter = meter(setup, rx)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await setup.startWorkers()
  const end = await received(rx, n, t0, () => null)
  const report = cpuMeter.stop()
  const cpu = process.cpuUsage(cpu0)
  return { rate: n / ((end - t0) / 1000), enqueueRate: Number.NaN, cpuUs: (cpu.user + cpu.system) / n, cpu: report }
}

/** Polls until `check` is true (bounded); for the untimed "everything recorded" check after a run. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** What a user's hand-rolled job handler does per webhook: envelope, HMAC signature, POST. */
function createPoster(undici: Undici, rx: ReceiverProcess, concurrency: number) {
  const pool = new undici.Pool(rx.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
  const secret = randomBytes(32).toString('hex')
  return {
    async post(id: string, data: unknown): Promise<void> {
      const body = JSON.stringify({ id, event: EVENT, timestamp: new Date().toISOString(), data })
      const signature = createHmac('sha256', secret).update(body).digest('hex')
      const res = await pool.request({
        path: '/hook',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${signature}`, 'x-webhook-id': id },
        body,
      })
      await res.body.text()
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`)
    },
    close: () => pool.close(),
  }
}

/** A hookline manager with an in-process worker on `store`. */
async function hooklineInProcess(store: WebhookStore, rx: ReceiverProcess, s: Settings, data: unknown, cleanup: () => Promise<void>): Promise<Setup> {
  const fetchImpl = await benchTransport()
  const manager: WebhookManager = createWebhookManager({
    egress: loopbackEgress,
    store,
    concurrency: s.concurrency,
    endpointConcurrency: s.concurrency,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  })
  manager.on('worker.error', ({ error }) => console.error('  worker error:', error))
  await manager.migrate()
  const endpoint = await manager.createEndpoint({ url: rx.url, events: ['agent.*'] })
  return {
    enqueue: () => manager.emit(EVENT, data),
    startWorkers: () => manager.start(),
    stopWorkers: () => manager.stop(),
    settled: (total) =>
      eventually(`${total} deliveries recorded as succeeded`, async () => (await manager.getStats(endpoint.id)).succeeded >= total),
    async teardown() {
      await manager.close()
      await cleanup()
    },
  }
}

function systems(undici: Undici, rx: ReceiverProcess, s: Settings, data: unknown): System[] {
  let pgDown: Promise<string | null> | null = null
  const postgresDown = (): Promise<string | null> => (pgDown ??= probePostgres())
  const needPostgresStore = async (): Promise<string | null> =>
    (await loadStoreFactory('postgres')) ? postgresDown() : 'src/store/postgres/index.ts is not there yet'

  const sqlite: System = {
    key: 'sqlite',
    name: 'hookline, SQLite store (temp file)',
    unavailable: async () => ((await loadStoreFactory('sqlite')) ? null : 'src/store/sqlite/index.ts is not there yet'),
    async setup() {
      const factory = (await loadStoreFactory('sqlite'))!
      const file = join(tmpdir(), `hookline-bench-${randomBytes(5).toString('hex')}.db`)
      const store = factory({ filename: file })
      return hooklineInProcess(store, rx, s, data, async () => {
        for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
      })
    },
  }

  const postgres: System = {
    key: 'postgres',
    name: 'hookline, Postgres store (1 process)',
    unavailable: needPostgresStore,
    async setup() {
      const factory = (await loadStoreFactory('postgres'))!
      const schema = freshSchema('hookline_bench')
      const store = factory({ connectionString: PG_URL, schema })
      return hooklineInProcess(store, rx, s, data, () => dropSchemas([schema]))
    },
  }

  const workers = (count: number): System => ({
    key: `workers${count}`,
    name: `hookline, Postgres, ${count} worker process${count > 1 ? 'es' : ''}`,
    unavailable: needPostgresStore,
    async setup() {
      const factory = (await loadStoreFactory('postgres'))!
      const schema = freshSchema('hookline_bench')
      const store = factory({ connectionString: PG_URL, schema })
      // The parent only emits (its worker is never started); the children deliver.
      const manager = createWebhookManager({ egress: loopbackEgress, store })
      const children: Child[] = []
      const cleanup = async (): Promise<void> => {
        await Promise.all(children.map((c) => c.request('close', {}, 60_000).catch(() => {})))
        await Promise.all(children.map((c) => c.close()))
        await manager.close()
        await dropSchemas([schema])
      }
      try {
        await manager.migrate()
        const endpoint = await manager.createEndpoint({ url: rx.url, events: ['agent.*'] })
        for (let i = 0; i < count; i++) {
          children.push(
            forkTs('bench/store-worker.ts', [], { BENCH_PG_URL: PG_URL, BENCH_PG_SCHEMA: schema, BENCH_CONCURRENCY: String(s.concurrency) }),
          )
        }
        await Promise.all(children.map((c) => c.next('ready', 60_000)))
        return {
          enqueue: () => manager.emit(EVENT, data),
          pids: () => children.map((c) => c.process.pid ?? 0),
          startWorkers: async () => {
            await Promise.all(children.map((c) => c.request('start')))
          },
          stopWorkers: async () => {
            await Promise.all(children.map((c) => c.request('stop', {}, 60_000)))
          },
          settled: (total) =>
            eventually(`${total} deliveries recorded as succeeded`, async () => (await store.getStats(endpoint.id)).succeeded >= total),
          teardown: cleanup,
        }
      } catch (error) {
        await cleanup()
        throw error
      }
    },
  })

  const pgBoss: System = {
    key: 'pgboss',
    name: 'pg-boss 10 + undici (10 workers × batch 500)',
    unavailable: postgresDown,
    async setup() {
      const { default: PgBoss } = await import('pg-boss')
      const schema = freshSchema('pgboss_bench')
      const boss = new PgBoss({ connectionString: PG_URL, schema, max: 10 })
      boss.on('error', (error) => console.error('  pg-boss error:', error))
      const poster = createPoster(undici, rx, s.concurrency)
      await boss.start()
      const queue = 'webhooks'
      await boss.createQueue(queue)
      let working = false
      return {
        enqueue: () => boss.send(queue, data as object),
        async startWorkers() {
          if (working) return
          working = true
          for (let i = 0; i < 10; i++) {
            await boss.work<unknown>(queue, { batchSize: 500, pollingIntervalSeconds: 0.5 }, async (jobs) => {
              await Promise.all(jobs.map((job) => poster.post(job.id, job.data)))
            })
          }
        },
        async stopWorkers() {
          if (!working) return
          working = false
          await boss.offWork(queue)
          await settle(1500) // offWork does not wait; its workers finish their current loop
        },
        async teardown() {
          await boss.stop({ graceful: true, wait: true, timeout: 10_000 })
          await poster.close()
          await dropSchemas([schema])
        },
      }
    },
  }

  const bullmq: System = {
    key: 'bullmq',
    name: 'BullMQ 6 + ioredis + undici (concurrency 50)',
    unavailable: probeRedis,
    async setup() {
      const { Queue, Worker } = await import('bullmq')
      const name = `hookline-bench-${randomBytes(5).toString('hex')}`
      const connection = { host: REDIS.host, port: REDIS.port, maxRetriesPerRequest: null }
      const poster = createPoster(undici, rx, s.concurrency)
      const queue = new Queue(name, { connection })
      // Workers are created connected but idle (autorun: false), so starting one is just run().
      const idleWorker = async () => {
        const worker = new Worker(name, async (job) => poster.post(String(job.id), job.data), {
          connection,
          concurrency: s.concurrency,
          autorun: false,
        })
        worker.on('error', (error) => console.error('  BullMQ worker error:', error))
        await worker.waitUntilReady()
        return worker
      }
      let worker = await idleWorker()
      let running = false
      return {
        enqueue: () => queue.add('deliver', data),
        async startWorkers() {
          if (running) return
          running = true
          worker.run().catch((error: unknown) => console.error('  BullMQ worker failed:', error))
        },
        async stopWorkers() {
          if (!running) return
          running = false
          await worker.close()
          worker = await idleWorker()
        },
        async teardown() {
          await worker.close()
          await queue.obliterate({ force: true })
          await queue.close()
          await poster.close()
        },
      }
    },
  }

  return [sqlite, postgres, pgBoss, bullmq, workers(1), workers(2)]
}

/** Runs benchmark 4 and records its results. */
export async function runStores(): Promise<void> {
  const s: Settings = {
    n: envInt('BENCH_STORE_N', 5_000),
    warmup: 0,
    rounds: envInt('BENCH_STORE_ROUNDS', 1),
    producers: envInt('BENCH_PRODUCERS', 16),
    concurrency: envInt('BENCH_CONCURRENCY', 50),
  }
  s.warmup = Math.min(envInt('BENCH_STORE_WARMUP', 1_000), s.n)
  section(
    `durable stores, emit → receiver (N=${fmt(s.n)}, ${s.producers} concurrent producers, delivery concurrency ${s.concurrency}, ${s.rounds} round${s.rounds > 1 ? 's' : ''} after a ${fmt(s.warmup)} warm-up)`,
  )
  if (process.env.BENCH_TRANSPORT === 'fetch') console.log('  DIAGNOSTIC: hookline sends through the global fetch (BENCH_TRANSPORT=fetch), not its default transport')
  const only = process.env.BENCH_STORES?.split(',').map((x) => x.trim())
  const undici = await loadUndici()
  const rx = await startReceiverProcess()
  const data = makePayload(1024)
  const rates = new Map<string, number>()
  // Every system is set up first and the rounds interleave them, so a change in the machine's load
  // (it may be shared) does not fall on one system only. Idle systems have their workers stopped.
  const ready: { system: System; setup: Setup; total: number; live: Measured[]; drain: Measured[] }[] = []
  try {
    for (const system of systems(undici, rx, s, data)) {
      if (only && !only.includes(system.key)) continue
      const why = await system.unavailable()
      if (why !== null) {
        skip(system.name, why)
        continue
      }
      try {
        const setup = await system.setup()
        ready.push({ system, setup, total: 0, live: [], drain: [] })
      } catch (error) {
        skip(system.name, `set-up failed: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    for (let r = 0; r < s.rounds; r++) {
      for (const entry of [...ready]) {
        const { system, setup } = entry
        try {
          if (r === 0) {
            await live(setup, rx, s.warmup, s.producers)
            entry.total += s.warmup
          }
          await settle(200)
          entry.live.push(await live(setup, rx, s.n, s.producers))
          entry.total += s.n
          await setup.settled?.(entry.total)
          await settle(200)
          entry.drain.push(await drain(setup, rx, s.n, s.producers))
          entry.total += s.n
          await setup.settled?.(entry.total)
          await setup.stopWorkers()
        } catch (error) {
          skip(system.name, `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
          ready.splice(ready.indexOf(entry), 1)
          await setup.teardown().catch(() => {})
        }
      }
    }
    for (const { system, live: liveRuns, drain: drainRuns } of ready) {
      const pick = (runs: Measured[]): Measured => [...runs].sort((a, b) => a.rate - b.rate)[runs.length >> 1]!
      const liveRate = median(liveRuns.map((m) => m.rate))
      const drainRate = median(drainRuns.map((m) => m.rate))
      rates.set(system.key, liveRate)
      rates.set(`${system.key}:drain`, drainRate)
      record({
        section: 'stores',
        name: `${system.name}, live`,
        value: liveRate,
        unit: 'deliveries/s',
        note: `enqueue ${fmt(median(liveRuns.map((m) => m.enqueueRate)))}/s, parent ${fmt(median(liveRuns.map((m) => m.cpuUs)), 0)} µs CPU/msg; ${formatCpu(pick(liveRuns).cpu)}`,
      })
      record({
        section: 'stores',
        name: `${system.name}, drain`,
        value: drainRate,
        unit: 'deliveries/s',
        note: `parent ${fmt(median(drainRuns.map((m) => m.cpuUs)), 0)} µs CPU/msg; ${formatCpu(pick(drainRuns).cpu)}`,
      })
    }
  } finally {
    for (const { system, setup } of ready) {
      await setup.teardown().catch((error: unknown) => console.error(`  teardown of ${system.name} failed:`, error))
    }
    await rx.close()
  }

  const ratio = (name: string, key: string, baseKey: string, baseName: string, target?: number): void => {
    const value = rates.get(key)
    const base = rates.get(baseKey)
    if (value === undefined || base === undefined) return
    record({
      section: 'stores',
      name,
      value,
      unit: 'deliveries/s',
      baseline: { name: baseName, value: base },
      ratio: value / base,
      ...(target === undefined ? {} : { target: { op: '>=' as const, value: target } }),
    })
  }
  console.log('  ratios (live = emit → receiver with workers running; drain = a pre-enqueued backlog):')
  ratio('Postgres store vs BullMQ, live', 'postgres', 'bullmq', 'BullMQ', 1.0)
  ratio('Postgres store vs pg-boss, live', 'postgres', 'pgboss', 'pg-boss', 1.2)
  ratio('2 worker processes vs 1, live', 'workers2', 'workers1', '1 worker process', 1.3)
  ratio('Postgres store vs BullMQ, drain', 'postgres:drain', 'bullmq:drain', 'BullMQ', 1.0)
  ratio('Postgres store vs pg-boss, drain', 'postgres:drain', 'pgboss:drain', 'pg-boss', 1.2)
  ratio('2 worker processes vs 1, drain', 'workers2:drain', 'workers1:drain', '1 worker process', 1.3)
  ratio('SQLite store vs BullMQ, live', 'sqlite', 'bullmq', 'BullMQ')
}
