// Profiles ONE durable-store drain (or live) run in process, for finding where a delivery's CPU goes:
//   npx tsx bench/profile-store.ts [postgres|sqlite] [drain|live]   (writes /tmp/hookline-prof/store-<kind>-<mode>.cpuprofile)
//   npx tsx bench/tools/cpuprofile-summary.ts /tmp/hookline-prof/store-postgres-drain.cpuprofile
// Only the timed phase is profiled (the inspector starts after the untimed enqueue of a drain).
// BENCH_PERF=/tmp/perf.data also records it machine-wide with Linux perf, for Postgres's side:
//   perf report -i /tmp/perf.data --children --comm postgres --sort symbol --stdio -g none
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { performance } from 'node:perf_hooks'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWebhookManager } from '../src/index.js'
import { startCpuMeter } from './lib/cpu.js'
import { pgBackendMeter, withApplicationName } from './lib/pg-backends.js'
import { dropSchemas, freshSchema, loadStoreFactory, PG_URL } from './lib/durable.js'
import { envInt } from './lib/env.js'
import { makePayload } from './lib/payload.js'
import { startReceiverProcess } from './lib/receiver-process.js'
import { loopbackEgress } from './lib/egress.js'

const kind = (process.argv[2] ?? 'postgres') as 'postgres' | 'sqlite'
const mode = process.argv[3] ?? 'drain'
const n = envInt('BENCH_STORE_N', 5000)
const producers = envInt('BENCH_PRODUCERS', 16)
const concurrency = envInt('BENCH_CONCURRENCY', 50)
const rx = await startReceiverProcess()
const factory = (await loadStoreFactory(kind))!
const schema = freshSchema('hookline_prof')
const file = join(tmpdir(), `hookline-prof-${schema}.db`)
const pgApp = `hlprofile_${schema.slice(-10)}`
const store = kind === 'postgres' ? factory({ connectionString: withApplicationName(PG_URL, pgApp), schema }) : factory({ filename: file })
const ownBackends = kind === 'postgres' ? await pgBackendMeter(pgApp) : null
// BENCH_TRACE=1: time every claim and outcome write (count, rows, mean and max ms) — where the worker waits.
const traced: Record<string, { calls: number; rows: number; ms: number; max: number }> = {}
if (process.env.BENCH_TRACE === '1') {
  for (const name of ['claim', 'complete', 'enqueue', 'nextDueAt'] as const) {
    const original = (store[name] as (...args: never[]) => Promise<unknown>).bind(store)
    ;(store as unknown as Record<string, unknown>)[name] = async (...args: never[]) => {
      const t0 = performance.now()
      const result = await original(...args)
      const ms = performance.now() - t0
      const t = (traced[name] ??= { calls: 0, rows: 0, ms: 0, max: 0 })
      t.calls++
      t.rows += Array.isArray(result) ? result.length : Array.isArray(args[0]) ? (args[0] as unknown[]).length : 1
      t.ms += ms
      t.max = Math.max(t.max, ms)
      return result
    }
  }
}
const manager = createWebhookManager({ egress: loopbackEgress, store, concurrency, endpointConcurrency: concurrency, leaseOnEmit: process.env.BENCH_LEASE_ON_EMIT !== '0', ...(process.env.BENCH_BATCH ? { batchSize: Number(process.env.BENCH_BATCH) } : {}) })
await manager.migrate()
await manager.createEndpoint({ url: rx.url, events: ['agent.*'] })
// With BENCH_TRACE, also the attempts' own HTTP durations (send to answer read).
const durations: number[] = []
if (process.env.BENCH_TRACE === '1') manager.on('delivery.succeeded', (e) => durations.push(e.durationMs))
const data = makePayload(1024)

async function produce(count: number): Promise<void> {
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

async function waitFor(count: number): Promise<void> {
  for (let i = 0; i < 100_000 && (await rx.count()) < count; i++) await new Promise((r) => setTimeout(r, 10))
}

// Warm-up, then the measured run.
await manager.start()
await produce(1000)
await waitFor(1000)
await manager.stop()
await rx.reset()
if (mode === 'drain') await produce(n)
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 200 })
await session.post('Profiler.start')
// BENCH_PERF=<file>: also record the whole machine (Postgres's own CPU) with Linux perf, timed phase only.
const perf = process.env.BENCH_PERF ? spawn('perf', ['record', '-a', '-g', '-o', process.env.BENCH_PERF], { stdio: 'ignore' }) : null
if (perf) await new Promise((resolve) => setTimeout(resolve, 300)) // perf's own start-up
await ownBackends?.start()
const machine = startCpuMeter({ postgres: { command: 'postgres' }, receiver: [rx.pid] })
const cpu0 = process.cpuUsage()
const elu0 = performance.eventLoopUtilization()
const t0 = performance.now()
await manager.start()
if (mode === 'live') await produce(n)
await waitFor(n)
const ms = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
const ownUs = (await ownBackends?.stop()) ?? null
await ownBackends?.close()
const elu = performance.eventLoopUtilization(elu0)
const others = machine.stop()
perf?.kill('SIGINT')
const { profile } = await session.post('Profiler.stop')
const dir = join(tmpdir(), 'hookline-prof')
mkdirSync(dir, { recursive: true })
const out = join(dir, `store-${kind}-${mode}.cpuprofile`)
writeFileSync(out, JSON.stringify(profile))
console.log(
  `${kind} ${mode}: ${Math.round(n / (ms / 1000))} deliveries/s, CPU ${((cpu.user + cpu.system) / n).toFixed(0)} µs/delivery ` +
    `(user ${(cpu.user / n).toFixed(0)}, system ${(cpu.system / n).toFixed(0)}), event loop ${(elu.utilization * 100).toFixed(0)} % busy` +
    (others && kind === 'postgres' ? `, Postgres (all) ${(((others.groups.postgres ?? 0) / 100) * ((ms * 1000) / n)).toFixed(0)} µs/delivery` : '') +
    (ownUs !== null ? `, its own backends ${(ownUs / n).toFixed(0)} µs/delivery` : '') +
    `; profile ${out}`,
)
if (process.env.BENCH_TRACE === '1') {
  for (const [name, t] of Object.entries(traced)) {
    console.log(`  ${name}: ${t.calls} calls, ${(t.rows / t.calls).toFixed(1)} rows each, ${(t.ms / t.calls).toFixed(2)} ms mean, ${t.max.toFixed(1)} ms max`)
  }
  const timed = durations.slice(-n).sort((a, b) => a - b)
  const mean = timed.reduce((a, b) => a + b, 0) / Math.max(1, timed.length)
  console.log(`  HTTP attempt duration: ${mean.toFixed(2)} ms mean, p50 ${timed[timed.length >> 1]?.toFixed(2)} ms, p95 ${timed[Math.floor(timed.length * 0.95)]?.toFixed(2)} ms`)
}
await manager.close()
await rx.close()
if (kind === 'postgres') {
  // Whole-table scans during the run (a plan gone wrong shows here first).
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  const { rows } = await client.query(
    `SELECT relname, seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('messages', 'deliveries', 'attempts') ORDER BY relname`,
    [schema],
  )
  await client.end()
  console.log(`  table scans: ${rows.map((r) => `${r.relname} ${r.seq_scan} seq (${r.seq_tup_read} rows), ${r.idx_scan} index`).join('; ')}`)
  await dropSchemas([schema])
}
else for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true })
