// Issue 13 experiments on the Postgres outcome write: the CPU of writing a batch of outcomes (each
// with its attempt: 1 KB payload envelope, ~400 B of headers) by different means, each on a fresh
// schema holding the same leased deliveries, variants interleaved over rounds:
//   complete      the store's statement, request body sent whole
//   split         the store's statement, body sent without the message data (what the store does)
//   jsonb         `split` with its json parameter read as jsonb (jsonb_to_recordset)
//   unlogged      `split` with the attempts table UNLOGGED
//   copy          BEGIN; UPDATE … FROM unnest; COPY attempts FROM STDIN; COMMIT (pg-copy-streams)
//   pipelined     `split` sent through the `postgres` package, 4 batches in flight on one connection
// Reports µs of CPU per outcome: the Postgres backend (/proc/<pid>/stat) and this process.
//   BENCH_EXP_MODULES=/path/to/node_modules npx tsx bench/tools/outcome-write-cost.ts [outcomes=3000] [batch=100] [rounds=3]
// (pg-copy-streams and postgres are not dependencies of hookline: install them anywhere and point
// BENCH_EXP_MODULES at that node_modules; variants whose module is missing are skipped.
// BENCH_VARIANTS=split,jsonb runs only those.)
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import pg from 'pg'
// @ts-expect-error: pg's internal helper has no type declarations
import { prepareValue } from 'pg/lib/utils.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import type { DeliveryOutcome } from '../../src/store/types.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
import { dataText, fixtures, outcome } from '../lib/outcome-fixtures.js'

const total = Number(process.argv[2] ?? 3000)
const batch = Number(process.argv[3] ?? 100)
const rounds = Number(process.argv[4] ?? 3)
const extra = process.env.BENCH_EXP_MODULES ? createRequire(join(process.env.BENCH_EXP_MODULES, 'x.js')) : null
const load = (name: string): unknown => {
  try {
    return extra?.(name) ?? null
  } catch {
    return null
  }
}
const copyStreams = load('pg-copy-streams') as { from: (sql: string) => NodeJS.WritableStream } | null
const postgresJs = load('postgres') as ((url: string, options: object) => PostgresJs) | null
interface PostgresJs {
  unsafe(text: string, values: unknown[], options?: { prepare?: boolean }): Promise<unknown>
  end(): Promise<void>
}

/** CPU µs of a process so far: /proc/<pid>/schedstat (ns on the CPU) where the kernel keeps it, else its 10 ms ticks. */
const ticksOf = (pid: number): number => {
  try {
    const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0])
    if (ns > 0) return ns / 1000
  } catch {
    // not kept: ticks below
  }
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return (Number(x[11]) + Number(x[12])) * 10_000
}
/** Backend pids of connections whose application_name is `app`. */
async function pidsOf(admin: pg.Client, app: string): Promise<number[]> {
  return (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [app])).rows.map((r) => r.pid)
}

type Variant = (schema: string, app: string, outcomes: DeliveryOutcome[][]) => Promise<void>

const copyText = (value: unknown): string => {
  if (value === null || value === undefined) return '\\N'
  const text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value)
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
}

/**
 * Backend CPU of the last variant run by {@link eachBatch}, µs: read from its backend's schedstat
 * right before and after each statement (the backend is idle in between), so neither connecting
 * nor the machine's other work between statements is counted. null: the round's sampler counts.
 */
let measuredBackend: number | null = null

/** WAL bytes written by the last variant run by {@link eachBatch} with BENCH_WAL=1 (each statement run under EXPLAIN (ANALYZE, WAL)). */
let measuredWal: number | null = null
const explainWal = process.env.BENCH_WAL === '1'

/**
 * Runs `build(batch)` for every batch on one connection, measuring its backend around each
 * statement; `setup` runs first on that connection (a session setting). With BENCH_WAL=1 each
 * statement runs under `EXPLAIN (ANALYZE, WAL)` and its plan root's WAL bytes are summed (the CPU
 * figures of such a run include EXPLAIN's instrumentation).
 */
async function eachBatch(app: string, outcomes: DeliveryOutcome[][], build: (batch: DeliveryOutcome[]) => { text: string; values: unknown[] }, setup?: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, application_name: app })
  await client.connect()
  if (setup !== undefined) await client.query(setup)
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
  let backend = 0
  let wal = 0
  for (const b of outcomes) {
    const p = build(b)
    const before = ticksOf(pid)
    if (explainWal) {
      const r = await client.query({ text: `EXPLAIN (ANALYZE, WAL, TIMING OFF, FORMAT JSON) ${p.text}`, values: p.values })
      wal += Number(r.rows[0]['QUERY PLAN'][0].Plan['WAL Bytes'] ?? 0)
    } else await client.query({ text: p.text, values: p.values })
    backend += ticksOf(pid) - before
  }
  await client.end()
  measuredBackend = backend
  measuredWal = explainWal ? wal : null
}

/** `split` after `ddl` on the fresh schema (`$s` = the quoted schema), its statement text rewritten by `edit`. */
const altered =
  (ddl: string[], edit: (text: string) => string = (x) => x, setup?: string): Variant =>
  async (schema, app, outcomes) => {
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    for (const d of ddl) await admin.query(d.replaceAll('$s', `"${schema}"`))
    await admin.end()
    await eachBatch(
      app,
      outcomes,
      (b) => {
        const p = createPlans(schema).complete(b, () => dataText)
        return { text: edit(p.text), values: p.values }
      },
      setup,
    )
  }

const variants: Record<string, Variant | null> = {
  complete: (schema, app, outcomes) => eachBatch(app, outcomes, (b) => createPlans(schema).complete(b)),
  split: (schema, app, outcomes) => eachBatch(app, outcomes, (b) => createPlans(schema).complete(b, () => dataText)),
  jsonb: (schema, app, outcomes) =>
    eachBatch(app, outcomes, (b) => {
      const p = createPlans(schema).complete(b, () => dataText)
      return { text: p.text.replace('json_to_recordset($1::json)', 'jsonb_to_recordset($1::jsonb)'), values: p.values }
    }),
  unlogged: async (schema, app, outcomes) => {
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`ALTER TABLE "${schema}".attempts SET UNLOGGED`)
    await admin.end()
    await variants.split!(schema, app, outcomes)
  },
  // synchronous_commit off for the session (the store would SET LOCAL it in the outcome's transaction)
  syncoff: altered([], undefined, 'SET synchronous_commit = off'),
  // the attempt's headers as json (the text as sent) instead of jsonb
  hdrjson: altered(['ALTER TABLE $s.attempts ALTER request_headers TYPE json, ALTER response_headers TYPE json'], (t) => t.replace('rh jsonb', 'rh json').replace('rx jsonb', 'rx json')),
  // the attempts → deliveries foreign key dropped (its check is a query per inserted attempt)
  nofk: altered(['ALTER TABLE $s.attempts DROP CONSTRAINT attempts_delivery_id_fkey']),
  // both
  jsonnofk: altered(
    ['ALTER TABLE $s.attempts DROP CONSTRAINT attempts_delivery_id_fkey', 'ALTER TABLE $s.attempts ALTER request_headers TYPE json, ALTER response_headers TYPE json'],
    (t) => t.replace('rh jsonb', 'rh json').replace('rx jsonb', 'rx json'),
  ),
  // the attempt keeps the request body around the message data (head, tail) and no copy of the data: no msg lookup
  bodyref: altered(['ALTER TABLE $s.attempts ADD COLUMN request_body_tail text'], (t) =>
    t
      .replace(/msg AS \(.*?\)\), /, '')
      .replace('"request_body", ', '"request_body", request_body_tail, ')
      .replace('CASE WHEN o.bt IS NULL THEN o.bh ELSE o.bh || msg.data || o.bt END', 'o.bh, o.bt')
      .replace(' LEFT JOIN msg ON msg.id = live.message_id', ''),
  ),
  // upper bounds: no attempts_delivery_idx; no request body stored; no secondary deliveries indexes but the finished one
  noattidx: altered(['DROP INDEX $s.attempts_delivery_idx']),
  nobody: altered([], (t) => t.replace('CASE WHEN o.bt IS NULL THEN o.bh ELSE o.bh || msg.data || o.bt END', "''")),
  nodlvidx: altered(['DROP INDEX $s.deliveries_created_idx', 'DROP INDEX $s.deliveries_endpoint_created_idx', 'DROP INDEX $s.deliveries_message_idx']),
  // no attempt row at all (the deliveries update alone)
  noattempt: altered([], (t) => t.replace('WHERE o.ai IS NOT NULL ON CONFLICT', 'WHERE false ON CONFLICT')),
  copy: copyStreams
    ? async (schema, app, outcomes) => {
        const client = new pg.Client({ connectionString: PG_URL, application_name: app })
        await client.connect()
        const t = `"${schema}"`
        for (const b of outcomes) {
          await client.query('BEGIN')
          await client.query({
            text:
              `UPDATE ${t}.deliveries d SET status = o.status, attempts = o.attempts, last_status_code = o.code, completed_at = o.done, updated_at = o.done, locked_by = NULL, locked_until = NULL ` +
              `FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::timestamptz[]) AS o(id, status, attempts, code, done) WHERE d.id = o.id AND d.status = 'delivering' AND d.locked_by = $6`,
            values: [b.map((o) => o.deliveryId), b.map((o) => o.status), b.map((o) => o.attempts), b.map((o) => o.lastStatusCode), b.map((o) => o.completedAt!.toISOString()), 'w'],
          })
          const stream = client.query(
            copyStreams.from(
              `COPY ${t}.attempts (id, delivery_id, endpoint_id, attempt, trigger, url, method, request_headers, request_body, response_status, response_body, response_headers, error, succeeded, duration_ms, started_at) FROM STDIN`,
            ) as never,
          ) as unknown as NodeJS.WritableStream
          const lines = b.map((o) => {
            const a = o.attempt!
            return [a.id, a.deliveryId, a.endpointId, a.attempt, a.trigger, a.url, a.method, a.requestHeaders, a.requestBody, a.responseStatus, a.responseBody, a.responseHeaders, a.error, a.succeeded, a.durationMs, a.startedAt].map(copyText).join('\t')
          })
          await new Promise<void>((resolve, reject) => {
            stream.on('error', reject)
            stream.on('finish', () => resolve())
            stream.end(`${lines.join('\n')}\n`)
          })
          await client.query('COMMIT')
        }
        await client.end()
      }
    : null,
  pipelined: postgresJs
    ? async (schema, app, outcomes) => {
        const sql = postgresJs(PG_URL, { max: 1, connection: { application_name: app }, onnotice: () => {} })
        const plans = createPlans(schema)
        let next = 0
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            while (next < outcomes.length) {
              const p = plans.complete(outcomes[next++]!, () => dataText)
              // Arrays as pg encodes them (array literals): postgres.js would type them by their first element.
              await sql.unsafe(p.text, p.values.map((v) => (Array.isArray(v) ? prepareValue(v) : v)) as never[], { prepare: false })
            }
          }),
        )
        await sql.end()
      }
    : null,
}

// BENCH_VARIANTS=split,json: only those variants.
const only = process.env.BENCH_VARIANTS ? process.env.BENCH_VARIANTS.split(',') : null
const admin = new pg.Client({ connectionString: PG_URL })
await admin.connect()
const results: Record<string, { backend: number[]; client: number[]; wall: number[]; wal: number[]; walWriter: number[] }> = {}
const schemas: string[] = []
try {
  for (let r = 0; r < rounds; r++) {
    // In BENCH_VARIANTS's order; `name#2` runs `name` again (a second place in the round).
    for (const name of only ?? Object.keys(variants)) {
      const run = variants[name.split('#')[0]!]
      if (!run) continue
      const schema = freshSchema('hookline_owc')
      schemas.push(schema)
      const store = postgresStore({ connectionString: PG_URL, schema })
      await store.migrate()
      const { endpoint, items } = fixtures(total)
      await store.createEndpoint(endpoint)
      for (let i = 0; i < items.length; i += 500) await store.enqueueMany(items.slice(i, i + 500))
      await store.close()
      await admin.query(`ANALYZE "${schema}".deliveries`)
      const outcomes: DeliveryOutcome[][] = []
      for (let i = 0; i < items.length; i += batch) outcomes.push(items.slice(i, i + batch).map((x) => outcome(x.deliveries[0]!)))
      const app = `hlowc_${name}_${r}`
      // The backend's CPU is read while its connection is open: a sampler polls it.
      let backend = 0
      let last = new Map<number, number>()
      const sample = async () => {
        for (const pid of await pidsOf(admin, app)) {
          try {
            const t = ticksOf(pid)
            backend += t - (last.get(pid) ?? t)
            last.set(pid, t)
          } catch {
            // ended
          }
        }
      }
      let sampling = true
      const sampler = (async () => {
        while (sampling) {
          await sample()
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      })()
      measuredBackend = null
      // The WAL writer flushes what an asynchronous commit leaves (syncoff): its CPU is counted apart.
      const walWriter = (await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'`)).rows[0]?.pid
      const walWriter0 = walWriter === undefined ? 0 : ticksOf(walWriter)
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      // Connections opened by the variant are seen by the sampler from their first sample on; the
      // CPU of connecting is not counted (its first reading is the baseline).
      try {
        await run(schema, app, outcomes)
      } finally {
        sampling = false
        await sampler
      }
      const wall = performance.now() - t0
      const walWriterCpu = walWriter === undefined ? 0 : ticksOf(walWriter) - walWriter0
      const cpu = process.cpuUsage(cpu0)
      last = new Map()
      const got = (await admin.query(`SELECT count(*)::int AS n FROM "${schema}".attempts`)).rows[0].n as number
      if (got !== total && name !== 'noattempt') throw new Error(`${name}: ${got} attempts written, expected ${total}`)
      const entry = (results[name] ??= { backend: [], client: [], wall: [], wal: [], walWriter: [] })
      entry.walWriter.push(walWriterCpu / total)
      if (measuredWal !== null) entry.wal.push(measuredWal / total)
      entry.backend.push((measuredBackend ?? backend) / total)
      entry.client.push((cpu.user + cpu.system) / total)
      entry.wall.push((wall * 1000) / total)
    }
  }
} finally {
  await dropSchemas(schemas)
  await admin.end()
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
console.log(`${total} outcomes in batches of ${batch}, ${rounds} rounds (median; µs per outcome)`)
for (const [name, r] of Object.entries(results)) {
  console.log(`  ${name.padEnd(10)} backend ${med(r.backend).toFixed(0).padStart(4)}  client ${med(r.client).toFixed(0).padStart(4)}  walwriter ${med(r.walWriter).toFixed(1).padStart(5)}  wall ${med(r.wall).toFixed(0).padStart(5)}${r.wal.length > 0 ? `  WAL ${med(r.wal).toFixed(0)} B` : ''}   (backend runs: ${r.backend.map((x) => x.toFixed(0)).join(', ')})`)
}
