// Benchmark 4 — durable stores: deliveries/s from emit to the receiver for hookline on SQLite and
// Postgres, next to what a user would build instead (pg-boss 10 + undici, BullMQ 6 + undici), and
// hookline with two worker processes on one Postgres against one. Parts that cannot run (a store
// not written yet, Postgres or Redis down) are skipped with a printed line.
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWebhookManager, type WebhookManager, type WebhookStore } from '../src/index.js'
import { forkTs, type Child } from './lib/child.js'
import { formatCpu, startCpuMeter, type CpuReport } from './lib/cpu.js'
import { closeWorkersOnSchema, dropSchemas, dropStaleSchemas, freshSchema, loadStoreFactory, PG_URL, probePostgres, probeRedis, REDIS } from './lib/durable.js'
import { envInt } from './lib/env.js'
import { makePayload } from './lib/payload.js'
import { startReceiverProcess, type ReceiverProcess } from './lib/receiver-process.js'
import { record, section, skip } from './lib/report.js'
import { fmt, median, settle } from './lib/stats.js'
import { pgBackendMeter, withApplicationName, type PgBackendMeter } from './lib/pg-backends.js'
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
  /** Enqueues `count` messages with the system's batch API (emitMany, insert, addBulk). */
  enqueueMany?(count: number): Promise<unknown>
  /** Prefix of the `application_name` of this system's Postgres connections (for their CPU), if any. */
  pgApp?: string
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
  /** CPU of the worker processes (the parent when the worker runs in it) per delivery, µs. */
  workerUs: number
  /** CPU of this system's own Postgres backends per delivery, µs (null: not on Postgres, or unreadable). */
  pgUs: number | null
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
 * first enqueue to the n-th request received (the issue's "emit → receiver" figure).
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

/** CPU ticks (10 ms) of the processes `pids`, summed. */
function pidTicks(pids: number[]): number {
  let total = 0
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      total += Number(fields[11]) + Number(fields[12])
    } catch {
      // gone
    }
  }
  return total
}

/** Postgres backend meters by `application_name` prefix, opened once per run. */
const pgMeters = new Map<string, Promise<PgBackendMeter>>()

/**
 * A measured window: the machine's CPU by group, the parent's CPU, the worker processes' CPU (the
 * parent's when the worker runs in it) and the system's own Postgres backends' CPU.
 */
async function window(setup: Setup, rx: ReceiverProcess) {
  const cpuMeter = meter(setup, rx)
  const pg = setup.pgApp === undefined ? null : await (pgMeters.get(setup.pgApp) ?? pgMeters.set(setup.pgApp, pgBackendMeter(setup.pgApp)).get(setup.pgApp)!)
  await pg?.start()
  const workerPids = setup.pids?.() ?? []
  const workers0 = pidTicks(workerPids)
  const cpu0 = process.cpuUsage()
  return {
    async stop(n: number): Promise<Pick<Measured, 'cpuUs' | 'workerUs' | 'pgUs' | 'cpu'>> {
      const report = cpuMeter.stop()
      const cpu = process.cpuUsage(cpu0)
      const parentUs = cpu.user + cpu.system
      const pgUs = pg === null ? null : await pg.stop()
      return {
        cpu: report,
        cpuUs: parentUs / n,
        workerUs: workerPids.length > 0 ? ((pidTicks(workerPids) - workers0) * 10_000) / n : parentUs / n,
        pgUs: pgUs === null ? null : pgUs / n,
      }
    },
  }
}

async function live(setup: Setup, rx: ReceiverProcess, n: number, producers: number): Promise<Measured> {
  await setup.startWorkers()
  await rx.reset()
  let failure: unknown = null
  const measuring = await window(setup, rx)
  const t0 = performance.now()
  const producing = produce(n, producers, () => setup.enqueue())
  producing.catch((error: unknown) => (failure = error))
  const end = await received(rx, n, t0, () => failure)
  const enqueued = await producing
  return { rate: n / ((end - t0) / 1000), enqueueRate: n / ((enqueued - t0) / 1000), ...(await measuring.stop(n)) }
}

/** Messages per call of a batch API in the batch scenario (BENCH_BATCH_EMIT=0 skips the scenario). */
const BATCH = process.env.BENCH_BATCH_EMIT === '0' ? 0 : envInt('BENCH_BATCH_EMIT', 1000)

/**
 * Enqueue-all-then-drain with the batch API: workers stopped, the clock starts, all `n` messages
 * are enqueued in batches of {@link BATCH} (emitMany, pg-boss `insert`, BullMQ `addBulk`), then the
 * workers start; time to the n-th request received. Enqueueing is part of the figure.
 */
async function batch(setup: Setup, rx: ReceiverProcess, n: number): Promise<Measured> {
  await setup.stopWorkers()
  await rx.reset()
  await settle(100)
  const measuring = await window(setup, rx)
  const t0 = performance.now()
  for (let done = 0; done < n; done += BATCH) await setup.enqueueMany!(Math.min(BATCH, n - done))
  const enqueued = performance.now()
  await setup.startWorkers()
  const end = await received(rx, n, t0, () => null)
  return { rate: n / ((end - t0) / 1000), enqueueRate: n / ((enqueued - t0) / 1000), ...(await measuring.stop(n)) }
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
  const measuring = await window(setup, rx)
  const t0 = performance.now()
  await setup.startWorkers()
  const end = await received(rx, n, t0, () => null)
  return { rate: n / ((end - t0) / 1000), enqueueRate: Number.NaN, ...(await measuring.stop(n)) }
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
async function hooklineInProcess(
  store: WebhookStore,
  rx: ReceiverProcess,
  s: Settings,
  data: unknown,
  cleanup: () => Promise<void>,
  pgApp?: string,
): Promise<Setup> {
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
    enqueueMany: (count) => manager.emitMany(Array.from({ length: count }, () => ({ event: EVENT, data }))),
    ...(pgApp === undefined ? {} : { pgApp }),
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
  // Once Postgres answers, the schemas a killed run left behind go first.
  const postgresDown = (): Promise<string | null> =>
    (pgDown ??= probePostgres().then(async (why) => {
      if (why === null) await dropStaleSchemas(['hookline_bench', 'pgboss_bench'])
      return why
    }))
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
      const app = `hlbench_postgres_${schema.slice(-10)}`
      const store = factory({ connectionString: withApplicationName(PG_URL, app), schema })
      return hooklineInProcess(store, rx, s, data, () => dropSchemas([schema]), app)
    },
  }

  const workers = (count: number): System => ({
    key: `workers${count}`,
    name: `hookline, Postgres, ${count} worker process${count > 1 ? 'es' : ''}`,
    unavailable: needPostgresStore,
    async setup() {
      const factory = (await loadStoreFactory('postgres'))!
      const schema = freshSchema('hookline_bench')
      const app = `hlbench_workers${count}_${schema.slice(-10)}`
      const url = withApplicationName(PG_URL, app)
      const store = factory({ connectionString: url, schema })
      // The parent only emits (its worker is never started); the children deliver.
      const manager = createWebhookManager({ egress: loopbackEgress, store })
      const children: Child[] = []
      const cleanup = (): Promise<void> => closeWorkersOnSchema(children, manager, schema)
      try {
        await manager.migrate()
        const endpoint = await manager.createEndpoint({ url: rx.url, events: ['agent.*'] })
        for (let i = 0; i < count; i++) {
          children.push(
            forkTs('bench/store-worker.ts', [], { BENCH_PG_URL: url, BENCH_PG_SCHEMA: schema, BENCH_CONCURRENCY: String(s.concurrency) }),
          )
        }
        await Promise.all(children.map((c) => c.next('ready', 60_000)))
        return {
          enqueue: () => manager.emit(EVENT, data),
          enqueueMany: (n) => manager.emitMany(Array.from({ length: n }, () => ({ event: EVENT, data }))),
          pgApp: app,
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
      const app = `hlbench_pgboss_${schema.slice(-10)}`
      const boss = new PgBoss({ connectionString: withApplicationName(PG_URL, app), schema, max: 10 })
      boss.on('error', (error) => console.error('  pg-boss error:', error))
      const poster = createPoster(undici, rx, s.concurrency)
      const queue = 'webhooks'
      try {
        await boss.start()
        await boss.createQueue(queue)
      } catch (error) {
        await Promise.allSettled([boss.stop({ graceful: false }), poster.close()])
        await dropSchemas([schema])
        throw error
      }
      let working = false
      return {
        enqueue: () => boss.send(queue, data as object),
        enqueueMany: (n) => boss.insert(Array.from({ length: n }, () => ({ name: queue, data: data as object }))),
        pgApp: app,
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
          try {
            await boss.stop({ graceful: true, wait: true, timeout: 10_000 })
            await poster.close()
          } finally {
            await dropSchemas([schema])
          }
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
        enqueueMany: (n) => queue.addBulk(Array.from({ length: n }, () => ({ name: 'deliver', data }))),
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
  const skipBatch = process.env.BENCH_BATCH_EMIT === '0'
  const undici = await loadUndici()
  const rx = await startReceiverProcess()
  const data = makePayload(1024)
  const rates = new Map<string, number>()
  // Every system is set up first and the rounds interleave them, so a change in the machine's load
  // (it may be shared) does not fall on one system only. Idle systems have their workers stopped.
  const ready: { system: System; setup: Setup; total: number; live: Measured[]; drain: Measured[]; batch: Measured[] }[] = []
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
        ready.push({ system, setup, total: 0, live: [], drain: [], batch: [] })
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
          if (setup.enqueueMany && !skipBatch) {
            await settle(200)
            entry.batch.push(await batch(setup, rx, s.n))
            entry.total += s.n
            await setup.settled?.(entry.total)
          }
          await setup.stopWorkers()
        } catch (error) {
          skip(system.name, `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
          ready.splice(ready.indexOf(entry), 1)
          await setup.teardown().catch(() => {})
        }
      }
    }
    for (const { system, live: liveRuns, drain: drainRuns, batch: batchRuns } of ready) {
      const pick = (runs: Measured[]): Measured => [...runs].sort((a, b) => a.rate - b.rate)[runs.length >> 1]!
      const us = (runs: Measured[]): string => {
        const pg = runs.map((m) => m.pgUs).filter((x): x is number => x !== null)
        return `worker ${fmt(median(runs.map((m) => m.workerUs)), 0)} µs CPU/delivery${pg.length > 0 ? `, its Postgres backends ${fmt(median(pg), 0)} µs/delivery` : ''}, parent ${fmt(median(runs.map((m) => m.cpuUs)), 0)} µs/msg`
      }
      const kinds: [string, Measured[], string][] = [
        ['live', liveRuns, ''],
        ['drain', drainRuns, ':drain'],
        [`batch (enqueue all in batches of ${BATCH}, then drain)`, batchRuns, ':batch'],
      ]
      for (const [kind, runs, suffix] of kinds) {
        if (runs.length === 0) continue
        const rate = median(runs.map((m) => m.rate))
        rates.set(`${system.key}${suffix}`, rate)
        const enqueue = suffix === ':drain' ? '' : `enqueue ${fmt(median(runs.map((m) => m.enqueueRate)))}/s, `
        record({ section: 'stores', name: `${system.name}, ${kind}`, value: rate, unit: 'deliveries/s', note: `${enqueue}${us(runs)}; ${formatCpu(pick(runs).cpu)}` })
      }
    }
    if (!only || only.includes('floor')) await senderFloor(undici, rx, s, data, rates)
    if (!only || only.includes('emitmany')) await emitManyCost(s, data)
  } finally {
    for (const meter of pgMeters.values()) await (await meter).close().catch(() => {})
    pgMeters.clear()
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
  ratio('Postgres store vs BullMQ, batch', 'postgres:batch', 'bullmq:batch', 'BullMQ', 1.0)
  ratio('Postgres store vs pg-boss, batch', 'postgres:batch', 'pgboss:batch', 'pg-boss', 1.2)
  ratio('2 worker processes vs 1, batch', 'workers2:batch', 'workers1:batch', '1 worker process', 1.3)
  ratio('Postgres store drain vs the sender floor', 'postgres:drain', 'floor', 'sender floor')
}

/**
 * The sender floor of this section: the hand-rolled handler of the pg-boss and BullMQ rows (sign
 * and POST through an undici Pool) in `concurrency` loops, with no queue at all. No system that
 * signs and posts each message through undici can deliver faster here.
 */
async function senderFloor(undici: Undici, rx: ReceiverProcess, s: Settings, data: unknown, rates: Map<string, number>): Promise<void> {
  const poster = createPoster(undici, rx, s.concurrency)
  try {
    const runs: number[] = []
    for (let r = 0; r < Math.max(1, s.rounds); r++) {
      await rx.reset()
      let next = 0
      const t0 = performance.now()
      await Promise.all(
        Array.from({ length: s.concurrency }, async () => {
          while (next < s.n) await poster.post(`m${next++}`, data)
        }),
      )
      runs.push(s.n / ((performance.now() - t0) / 1000))
    }
    rates.set('floor', median(runs))
    record({ section: 'stores', name: 'sender floor: sign + undici POST in 50 loops, no queue', value: median(runs), unit: 'deliveries/s' })
  } finally {
    await poster.close()
  }
}

/**
 * What `emitMany` saves on Postgres: CPU (this process plus the store's own Postgres backends) of
 * `BENCH_BATCH_EMIT` single emits (from `producers` concurrent callers, so group commit applies)
 * against one `emitMany` of as many, workers not started; alternating, median of the rounds.
 */
async function emitManyCost(s: Settings, data: unknown): Promise<void> {
  const factory = await loadStoreFactory('postgres')
  if (BATCH <= 0) return
  if (!factory || (await probePostgres()) !== null) return skip('emitMany CPU', 'no Postgres')
  const schema = freshSchema('hookline_bench')
  const app = `hlbench_emitmany_${schema.slice(-10)}`
  const manager = createWebhookManager({ egress: loopbackEgress, store: factory({ connectionString: withApplicationName(PG_URL, app), schema }) })
  const pg = await pgBackendMeter(app)
  try {
    await manager.migrate()
    await manager.createEndpoint({ url: 'http://127.0.0.1:9/never-started', events: ['agent.*'] })
    const cost = async (run: () => Promise<unknown>): Promise<number> => {
      await pg.start()
      const cpu0 = process.cpuUsage()
      await run()
      const cpu = process.cpuUsage(cpu0)
      return cpu.user + cpu.system + ((await pg.stop()) ?? Number.NaN)
    }
    const single: number[] = []
    const many: number[] = []
    await manager.emitMany(Array.from({ length: BATCH }, () => ({ event: EVENT, data }))) // warm-up
    await produce(BATCH, s.producers, () => manager.emit(EVENT, data))
    for (let r = 0; r < 5; r++) {
      single.push(await cost(() => produce(BATCH, s.producers, () => manager.emit(EVENT, data))))
      many.push(await cost(() => manager.emitMany(Array.from({ length: BATCH }, () => ({ event: EVENT, data })))))
    }
    const base = median(single) / BATCH
    const value = median(many) / BATCH
    record({
      section: 'stores',
      name: `emitMany of ${fmt(BATCH)} vs ${fmt(BATCH)} single emits, Postgres, CPU per message (process + its backends)`,
      value,
      unit: 'µs',
      baseline: { name: 'single emits', value: base },
      ratio: value / base,
      target: { op: '<=', value: 0.3 },
    })
  } finally {
    await pg.close()
    await manager.close()
    await dropSchemas([schema])
  }
}
