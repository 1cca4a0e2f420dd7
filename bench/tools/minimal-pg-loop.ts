// The floor of the alternative design (issue 13): the minimal SKIP LOCKED loop of
// bench/lib/minimal-loop.ts, claims of BENCH_LOOP_BATCH (500) with two in flight. Run in the same minutes as hookline's own drain of
// an equal backlog, both measured by CPU: this process, and each one's own Postgres backends.
// Each side first drains a BENCH_STORE_WARMUP (1 000) backlog unmeasured: without it, the JIT
// compilation of hookline's pipeline (~1 s of CPU) was charged to the measured deliveries (~250 µs
// each at N = 4 000), and the two sides were not compared warm.
//   npx tsx bench/tools/minimal-pg-loop.ts          (BENCH_STORE_N messages, default 4 000)
import pg from 'pg'
import { createWebhookManager } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
import { loopbackEgress } from '../lib/egress.js'
import { envInt } from '../lib/env.js'
import { makePayload } from '../lib/payload.js'
import { pgBackendMeter, withApplicationName } from '../lib/pg-backends.js'
import { startReceiverProcess } from '../lib/receiver-process.js'
import { loadUndici } from '../lib/undici.js'
import { minimalLoop } from '../lib/minimal-loop.js'

const n = envInt('BENCH_STORE_N', 4000)
const warmup = envInt('BENCH_STORE_WARMUP', 1000)
const batch = envInt('BENCH_LOOP_BATCH', 500)
const data = makePayload(1024)
const rx = await startReceiverProcess()
const undici = await loadUndici()

async function backlog(schema: string, app: string, count: number) {
  const manager = createWebhookManager({ egress: loopbackEgress, store: postgresStore({ connectionString: withApplicationName(PG_URL, app), schema }), concurrency: 50, endpointConcurrency: 50 })
  await manager.migrate()
  const endpoint = await manager.createEndpoint({ url: rx.url, events: ['agent.*'] })
  for (let done = 0; done < count; done += 1000) await manager.emitMany(Array.from({ length: Math.min(1000, count - done) }, () => ({ event: 'agent.created', data })))
  return { manager, endpoint }
}

async function waitReceived(count: number): Promise<void> {
  for (let i = 0; i < 60_000 && (await rx.count()) < count; i++) await new Promise((r) => setTimeout(r, 5))
}

async function measure(app: string, count: number, run: () => Promise<void>): Promise<string> {
  const meter = await pgBackendMeter(app)
  await rx.reset()
  await meter.start()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await run()
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const pgUs = await meter.stop()
  await meter.close()
  return `${Math.round(count / (ms / 1000))} deliveries/s, process ${((cpu.user + cpu.system) / count).toFixed(0)} µs CPU/delivery, its Postgres backends ${pgUs === null ? '?' : (pgUs / count).toFixed(0)} µs/delivery`
}

// 1. hookline's own worker on the backlog (a warm-up drain first, in its own schema).
async function hooklineDrain(count: number): Promise<{ line: string; schema: string }> {
  const schema = freshSchema('hookline_loop')
  const app = `hlloop_hookline_${schema.slice(-10)}`
  const h = await backlog(schema, app, count)
  const line = await measure(app, count, async () => {
    await h.manager.start()
    await waitReceived(count)
    await h.manager.stop()
  })
  await h.manager.close()
  return { line, schema }
}
const warmHookline = await hooklineDrain(warmup)
const { line: hooklineLine, schema: s1 } = await hooklineDrain(n)

// 2. The minimal loop on an equal backlog, in the same tables (a warm-up drain first, as above).
async function loopDrain(count: number): Promise<{ line: string; schema: string; ok: number; attempts: number }> {
  const s2 = freshSchema('hookline_loop')
  const app2 = `hlloop_minimal_${s2.slice(-10)}`
  const b = await backlog(s2, `${app2}_setup`, count)
  await b.manager.close()
  const loop = minimalLoop({ undici, connectionString: withApplicationName(PG_URL, app2), schema: s2, origin: rx.origin, batch })
  const line = await measure(app2, count, async () => {
    await loop.run({ untilEmpty: true })
    await waitReceived(count)
  })
  await loop.close()
  const check = new pg.Client({ connectionString: PG_URL })
  await check.connect()
  const { rows } = await check.query(`SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS ok, (SELECT count(*)::int FROM "${s2}".attempts) AS attempts FROM "${s2}".deliveries`)
  await check.end()
  return { line, schema: s2, ok: rows[0].ok, attempts: rows[0].attempts }
}
const warmLoop = await loopDrain(warmup)
const loop = await loopDrain(n)
await rx.close()
await dropSchemas([warmHookline.schema, s1, warmLoop.schema, loop.schema])
console.log(`N = ${n} after a ${warmup} warm-up on each side, drain of a backlog enqueued with emitMany; every attempt logged by both`)
console.log(`  hookline worker (Postgres store):             ${hooklineLine}`)
console.log(`  minimal SQL loop (batches of ${batch}, 2 in flight): ${loop.line}  [${loop.ok} succeeded, ${loop.attempts} attempts logged]`)
