// The floor of the alternative design (issue 13): a hand-written minimal loop on hookline's own
// Postgres tables with the same guarantees — claims by FOR UPDATE SKIP LOCKED with a lease, every
// attempt logged (request headers and body, response, timing), the state written only while the
// lease is held — and nothing else: no breaker, no per-endpoint queues, no retry policy, batches
// of BENCH_LOOP_BATCH (500) with two in flight. Run in the same minutes as hookline's own drain of
// an equal backlog, both measured by CPU: this process, and each one's own Postgres backends.
// Each side first drains a BENCH_STORE_WARMUP (1 000) backlog unmeasured: without it, the JIT
// compilation of hookline's pipeline (~1 s of CPU) was charged to the measured deliveries (~250 µs
// each at N = 4 000), and the two sides were not compared warm.
//   npx tsx bench/tools/minimal-pg-loop.ts          (BENCH_STORE_N messages, default 4 000)
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
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
const http = new undici.Pool(rx.origin, { connections: 50, pipelining: 1, keepAliveTimeout: 60_000 })
const secret = randomBytes(32)
const url = rx.url
async function loopDrain(count: number): Promise<{ line: string; schema: string; ok: number; attempts: number }> {
  const s2 = freshSchema('hookline_loop')
  const app2 = `hlloop_minimal_${s2.slice(-10)}`
  const b = await backlog(s2, `${app2}_setup`, count)
  await b.manager.close()
  const pool = new pg.Pool({ connectionString: withApplicationName(PG_URL, app2), max: 10 })
  const t = (name: string) => `"${s2}".${name}`
  const worker = `loop_${randomUUID()}`
  const claimSql =
    `WITH due AS (SELECT id FROM ${t('deliveries')} WHERE (CASE WHEN status = 'delivering' THEN locked_until WHEN status IN ('pending', 'failed') THEN next_attempt_at END) <= now() ` +
    `ORDER BY (CASE WHEN status = 'delivering' THEN locked_until WHEN status IN ('pending', 'failed') THEN next_attempt_at END), seq LIMIT $1 FOR UPDATE SKIP LOCKED), ` +
    `c AS (UPDATE ${t('deliveries')} d SET status = 'delivering', locked_by = $2, locked_until = now() + interval '2 minutes', updated_at = now() WHERE d.id = ANY(ARRAY(SELECT id FROM due)) RETURNING d.id, d.message_id, d.endpoint_id, d.attempts) ` +
    `SELECT c.id, c.message_id, c.endpoint_id, c.attempts, m.event, m.data::text AS data FROM c JOIN ${t('messages')} m ON m.id = c.message_id`
  const completeSql =
    `WITH o AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::float8[], $7::timestamptz[]) AS o(id, endpoint_id, status, body, headers, ms, started)), ` +
    `u AS (UPDATE ${t('deliveries')} d SET status = 'succeeded', attempts = d.attempts + 1, last_status_code = o.status, completed_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL ` +
    `FROM o WHERE d.id = ANY($1::text[]) AND d.id = o.id AND d.locked_by = $8) ` +
    `INSERT INTO ${t('attempts')} (id, delivery_id, endpoint_id, attempt, trigger, url, method, request_headers, request_body, response_status, response_body, response_headers, error, succeeded, duration_ms, started_at) ` +
    `SELECT 'att_' || md5(o.id), o.id, o.endpoint_id, 1, 'automatic', $9, 'POST', o.headers::jsonb, o.body, o.status, 'ok', '{}'::jsonb, NULL, true, o.ms, o.started FROM o`
  async function handle(rows: { id: string; endpoint_id: string; event: string; data: string }[]): Promise<void> {
    const out = { id: [] as string[], ep: [] as string[], status: [] as number[], body: [] as string[], headers: [] as string[], ms: [] as number[], started: [] as string[] }
    let next = 0
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < rows.length) {
          const row = rows[next++]!
          const body = `{"id":"${row.id}","event":"${row.event}","timestamp":"${new Date().toISOString()}","data":${row.data}}`
          const headers = { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`, 'x-webhook-id': row.id }
          const started = new Date()
          const t0 = performance.now()
          const res = await http.request({ path: '/hook', method: 'POST', headers, body })
          await res.body.text()
          out.id.push(row.id)
          out.ep.push(row.endpoint_id)
          out.status.push(res.statusCode)
          out.body.push(body)
          out.headers.push(JSON.stringify({ ...headers, 'x-webhook-signature': '[redacted]' }))
          out.ms.push(performance.now() - t0)
          out.started.push(started.toISOString())
        }
      }),
    )
    await pool.query({ name: 'loop_complete', text: completeSql, values: [out.id, out.ep, out.status, out.body, out.headers, out.ms, out.started, worker, url] })
  }
  const line = await measure(app2, count, async () => {
    const inFlight = new Set<Promise<void>>()
    for (;;) {
      const { rows } = await pool.query({ name: 'loop_claim', text: claimSql, values: [batch, worker] })
      if (rows.length > 0) {
        const p = handle(rows).finally(() => inFlight.delete(p))
        inFlight.add(p)
      }
      if (inFlight.size >= 2 || (rows.length === 0 && inFlight.size > 0)) await Promise.race(inFlight)
      if (rows.length === 0 && inFlight.size === 0) break
    }
    await waitReceived(count)
  })
  const { rows: check } = await pool.query(`SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS ok, (SELECT count(*)::int FROM ${t('attempts')}) AS attempts FROM ${t('deliveries')}`)
  await pool.end()
  return { line, schema: s2, ok: check[0].ok, attempts: check[0].attempts }
}
const warmLoop = await loopDrain(warmup)
const loop = await loopDrain(n)
await http.close()
await rx.close()
await dropSchemas([warmHookline.schema, s1, warmLoop.schema, loop.schema])
console.log(`N = ${n} after a ${warmup} warm-up on each side, drain of a backlog enqueued with emitMany; every attempt logged by both`)
console.log(`  hookline worker (Postgres store):             ${hooklineLine}`)
console.log(`  minimal SQL loop (batches of ${batch}, 2 in flight): ${loop.line}  [${loop.ok} succeeded, ${loop.attempts} attempts logged]`)
