// Issue 13 item 2, "HOT-friendly updates": would a narrow lease table pay? Drains the same backlog
// of N leased-then-completed deliveries with the store's claim and complete statements on two
// copies of the schema, statement by statement on one connection (no HTTP, no worker):
//   current   the schema as migrated: the claim updates `deliveries`, whose state columns are in
//             `deliveries_claim_idx`'s key and in the predicates of three partial indexes, so no
//             claim and no outcome is a HOT update (each writes a new entry into every index)
//   lease     a narrow queue table `dq (delivery_id, endpoint_id, due_at, seq, locked_by)` keyed
//             by (due_at, seq) carries the claim: the claim walks and updates it and updates
//             `deliveries` (status, lease) without touching an indexed column — the claim index
//             and the fifo line indexes move to `dq`, the retention index becomes
//             `(completed_at) WHERE completed_at IS NOT NULL` — on a table of fillfactor 80 (or
//             BENCH_FILLFACTOR), so
//             that update can be HOT; an outcome deletes the `dq` row as it finishes the delivery
// Reported per delivery, medians over interleaved rounds: the Postgres backend's CPU (schedstat,
// read around each statement) and the WAL the statements wrote (EXPLAIN (ANALYZE, WAL) in a
// second pass on a fresh copy), plus the share of `deliveries` updates that were HOT.
//   npx tsx bench/tools/lease-table-cost.ts [n=4000] [claim=200] [complete=100] [rounds=3]
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { postgresStore } from '../../src/store/postgres/index.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import type { Delivery } from '../../src/types.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
import { dataText, fixtures, outcome } from '../lib/outcome-fixtures.js'

const n = Number(process.argv[2] ?? 4000)
const claimSize = Number(process.argv[3] ?? 200)
const completeSize = Number(process.argv[4] ?? 100)
const rounds = Number(process.argv[5] ?? 3)
/** Fillfactor of `deliveries` in the lease design (BENCH_FILLFACTOR, default 80). */
const fillfactor = Number(process.env.BENCH_FILLFACTOR ?? 80)

type Design = 'current' | 'lease'

/** CPU µs of a process so far (/proc/<pid>/schedstat: ns on the CPU). */
function cpuUs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000
}

/** A fresh schema of `design` holding `n` due deliveries. */
async function prepare(design: Design, admin: pg.Client): Promise<string> {
  const schema = freshSchema('hookline_lease')
  const store = postgresStore({ connectionString: PG_URL, schema })
  await store.migrate()
  const s = `"${schema}"`
  if (design === 'lease') {
    await admin.query(`ALTER TABLE ${s}.deliveries SET (fillfactor = ${fillfactor})`)
    for (const index of ['deliveries_claim_idx', 'deliveries_line_idx', 'deliveries_line_leased_idx', 'deliveries_finished_idx']) await admin.query(`DROP INDEX ${s}.${index}`)
    await admin.query(`CREATE INDEX deliveries_finished_idx ON ${s}.deliveries (completed_at) WHERE completed_at IS NOT NULL`)
    await admin.query(`CREATE TABLE ${s}.dq (delivery_id text PRIMARY KEY, endpoint_id text NOT NULL, due_at timestamptz NOT NULL, seq bigint NOT NULL, locked_by text)`)
    await admin.query(`CREATE INDEX dq_due_idx ON ${s}.dq (due_at, seq)`)
  }
  const { endpoint, items } = fixtures(n, false)
  await store.createEndpoint(endpoint)
  for (let i = 0; i < items.length; i += 500) await store.enqueueMany(items.slice(i, i + 500))
  await store.close()
  if (design === 'lease') await admin.query(`INSERT INTO ${s}.dq SELECT id, endpoint_id, next_attempt_at, seq, NULL FROM ${s}.deliveries`)
  await admin.query(`ANALYZE ${s}.deliveries`)
  if (design === 'lease') await admin.query(`ANALYZE ${s}.dq`)
  return schema
}

/** The claim and complete statements of `design` on `schema`. */
function statements(design: Design, schema: string) {
  const plans = createPlans(schema)
  const s = `"${schema}"`
  return {
    claim(workerId: string): { text: string; values: unknown[] } {
      const plan = plans.claim({ now: new Date(), limit: claimSize, leaseMs: 600_000, workerId })
      if (design === 'current') return plan
      // $1 now, $2 excluded endpoints, $3 limit, $4 worker, $5 lease end (the store's parameters).
      const rest = plan.text.slice(plan.text.indexOf('claimed AS ('))
      return {
        text:
          `WITH due AS (SELECT q.delivery_id AS id, q.due_at, q.seq FROM ${s}.dq q WHERE q.due_at <= $1::timestamptz AND NOT (q.endpoint_id = ANY($2::text[])) ` +
          `ORDER BY q.due_at, q.seq LIMIT $3::bigint FOR UPDATE SKIP LOCKED), ` +
          `lease AS (UPDATE ${s}.dq q SET due_at = $5::timestamptz, locked_by = $4::text WHERE q.delivery_id = ANY(ARRAY(SELECT id FROM due))), ` +
          rest,
        values: plan.values,
      }
    },
    complete(deliveries: Delivery[], workerId: string): { text: string; values: unknown[] } {
      const plan = plans.complete(
        deliveries.map((d) => outcome(d, workerId)),
        () => dataText,
      )
      if (design === 'current') return plan
      const at = plan.text.lastIndexOf(' SELECT (SELECT count(*) FROM upd)')
      return { text: `${plan.text.slice(0, at)}, fin AS (DELETE FROM ${s}.dq WHERE delivery_id IN (SELECT id FROM upd))${plan.text.slice(at)}`, values: plan.values }
    },
  }
}

interface Drained {
  claimUs: number
  completeUs: number
  claimWal: number
  completeWal: number
  hot: number
}

/** Drains the schema's backlog: claims of `claimSize`, outcomes written `completeSize` at a time. */
async function drain(design: Design, schema: string, explain: boolean): Promise<Drained> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
  const plans = statements(design, schema)
  const out: Drained = { claimUs: 0, completeUs: 0, claimWal: 0, completeWal: 0, hot: 0 }
  const run = async (plan: { text: string; values: unknown[] }, kind: 'claim' | 'complete'): Promise<pg.QueryResult> => {
    if (explain) {
      const result = await client.query({ text: `EXPLAIN (ANALYZE, WAL, TIMING OFF, FORMAT JSON) ${plan.text}`, values: plan.values })
      const top = (result.rows[0]['QUERY PLAN'] as { Plan: Record<string, number> }[])[0]!.Plan
      out[`${kind}Wal`] += top['WAL Bytes'] ?? 0
      return result
    }
    const before = cpuUs(pid)
    const result = await client.query(plan)
    out[`${kind}Us`] += cpuUs(pid) - before
    return result
  }
  const worker = `w_${design}`
  const { rows: ids } = await client.query<{ id: string }>(`SELECT id FROM "${schema}".deliveries ORDER BY seq`)
  const byId = new Map(fixtures(n, false).items.map((x) => [x.deliveries[0]!.id, x.deliveries[0]!] as const))
  // Under EXPLAIN the claim returns no rows: its deliveries are taken in seq order, as it claims them.
  let next = 0
  for (let i = 0; i < 10_000 && next < ids.length; i++) {
    const claimed = await run(plans.claim(worker), 'claim')
    const count = explain ? Math.min(claimSize, ids.length - next) : claimed.rowCount ?? 0
    if (count === 0) break
    const batch = ids.slice(next, next + count).map((r) => byId.get(r.id)!)
    next += count
    for (let j = 0; j < batch.length; j += completeSize) await run(plans.complete(batch.slice(j, j + completeSize), worker), 'complete')
  }
  await client.query('SELECT pg_stat_force_next_flush()') // this backend's counts, flushed when it next goes idle
  await client.query('SELECT 1')
  const { rows } = await client.query(`SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'deliveries'`, [schema])
  out.hot = Number(rows[0]?.n_tup_upd) > 0 ? Number(rows[0].n_tup_hot_upd) / Number(rows[0].n_tup_upd) : Number.NaN
  const { rows: left } = await client.query(`SELECT count(*)::int AS n FROM "${schema}".deliveries WHERE status <> 'succeeded'`)
  if (left[0].n !== 0) throw new Error(`${design}: ${left[0].n} deliveries not succeeded`)
  await client.end()
  return out
}

const admin = new pg.Client({ connectionString: PG_URL })
await admin.connect()
const results: Record<Design, Drained[]> = { current: [], lease: [] }
const schemas: string[] = []
try {
  for (let r = 0; r < rounds; r++) {
    for (const design of ['current', 'lease'] as const) {
      const cpuSchema = await prepare(design, admin)
      const walSchema = await prepare(design, admin)
      schemas.push(cpuSchema, walSchema)
      const cpu = await drain(design, cpuSchema, false)
      const wal = await drain(design, walSchema, true)
      results[design].push({ ...cpu, claimWal: wal.claimWal, completeWal: wal.completeWal })
    }
  }
} finally {
  await dropSchemas(schemas)
  await admin.end()
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
console.log(`N = ${n}, lease design at fillfactor ${fillfactor}, claims of ${claimSize}, outcome writes of ${completeSize}, ${rounds} rounds (median per delivery)`)
for (const [design, runs] of Object.entries(results)) {
  const f = (key: keyof Drained) => med(runs.map((x) => x[key] / n))
  console.log(
    `  ${design.padEnd(8)} backend CPU: claim ${f('claimUs').toFixed(1)} + complete ${f('completeUs').toFixed(1)} = ${(f('claimUs') + f('completeUs')).toFixed(1)} µs; ` +
      `WAL: claim ${f('claimWal').toFixed(0)} + complete ${f('completeWal').toFixed(0)} = ${(f('claimWal') + f('completeWal')).toFixed(0)} B; ` +
      `HOT updates of deliveries ${(med(runs.map((x) => x.hot)) * 100).toFixed(0)} %   (CPU runs: ${runs.map((x) => ((x.claimUs + x.completeUs) / n).toFixed(0)).join(', ')})`,
  )
}
