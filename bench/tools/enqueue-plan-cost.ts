// Issue 13 experiment on emitMany's write: the CPU of inserting a batch of messages (1 KB payload)
// with one delivery each by different statement shapes, each on a schema of its own (migrated as
// the store does) that grows by the same rows, variants interleaved over rounds:
//   store     the store's `enqueueMany` plan as it is now
//   unnest    the unnest-of-arrays statement (the shape before this session)
//   json      messages and deliveries as two json documents read by json_to_recordset, message
//             data embedded as raw JSON, times as ms since the epoch
// Each statement runs in BEGIN … COMMIT on one connection, as a named prepared statement. Reports
// µs of CPU per message: the Postgres backend (/proc/<pid>/schedstat around each statement) and
// this process (building the plan and the driver's encoding).
//   npx tsx bench/tools/enqueue-plan-cost.ts [batch=1000] [batches per round=5] [rounds=5]
//   BENCH_PREFILL=N (messages stored first in each schema)
//   BENCH_VARIANTS=store,unnest   BENCH_DROP_INDEXES=deliveries_created_idx,…  (dropped in every schema)
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { postgresStore } from '../../src/store/postgres/index.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import { binaryArray, type BinaryElement, type BinaryElementType } from '../../src/store/postgres/binary-array.js'
import { deliveryCodec, messageCodec } from '../../src/store/sql/codec.js'
import type { Delivery, Message } from '../../src/types.js'
import { dataJson } from '../../src/util/data-json.js'
import { createId } from '../../src/util/ids.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
import { makePayload } from '../lib/payload.js'
import { copyDeliveries, copyIn, copyMessages, DELIVERY_COLUMNS, MESSAGE_COLUMNS } from '../lib/pg-copy.js'

const batch = Number(process.argv[2] ?? 1000)
const perRound = Number(process.argv[3] ?? 5)
const rounds = Number(process.argv[4] ?? 5)
// BENCH_AUTOCOMMIT=1: each statement on its own, as the group commit of single emits runs it
// (no BEGIN … COMMIT round trips)
const autocommit = process.env.BENCH_AUTOCOMMIT === '1'
const dropIndexes = (process.env.BENCH_DROP_INDEXES ?? '').split(',').filter(Boolean)
const payload = makePayload(1024)

const schedNs = (pid: number): number => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0])

interface Item {
  message: Message
  deliveries: Delivery[]
}

/** A time-ordered id of createId's shape: 48 bits of ms since the epoch, then 80 random bits (variant `+timeids`). */
function timeId(prefix: string): string {
  const random = createId(prefix).slice(prefix.length + 1, prefix.length + 21)
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${random}`
}

function items(n: number, ids: (prefix: string) => string = createId): Item[] {
  const createId = ids
  return Array.from({ length: n }, () => {
    const now = new Date()
    const message: Message = { id: createId('msg'), event: 'agent.created', data: payload, metadata: null, idempotencyKey: null, owner: null, createdAt: now }
    const delivery: Delivery = {
      id: createId('dlv'),
      messageId: message.id,
      endpointId: 'ep_0123456789abcdef0123456789abcdef',
      event: message.event,
      orderingKey: null,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lockedUntil: null,
      lockedBy: null,
      lastStatusCode: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    }
    return { message, deliveries: [delivery] }
  })
}

/** The unnest-of-arrays statement as plans.ts had it before this session. */
function unnestPlan(schema: string, batchItems: Item[]): { text: string; values: unknown[] } {
  const values: unknown[] = []
  const arrays = (codec: typeof messageCodec | typeof deliveryCodec, records: unknown[], alias: string): string => {
    const rows = records.map((r) => (codec.encode as (x: unknown) => Record<string, unknown>)(r))
    const list = codec.columns.map(([name, kind]) => {
      const type = codec.table === 'messages' && (name === 'data' || name === 'metadata') ? 'json' : { text: 'text', int: 'bigint', real: 'float8', bool: 'boolean', time: 'timestamptz', json: 'jsonb' }[kind]
      values.push(rows.map((row) => (row[name] instanceof Date ? (row[name] as Date).toISOString() : (row[name] ?? null))))
      return `$${values.length}::${type}[]`
    })
    return `unnest(${list.join(', ')}) AS ${alias}(${codec.columns.map(([n]) => `"${n}"`).join(', ')})`
  }
  const s = `"${schema}"`
  const m = arrays(messageCodec, batchItems.map((x) => x.message), 'mm')
  const d = arrays(deliveryCodec, batchItems.flatMap((x) => x.deliveries), 'u')
  const cols = (codec: typeof messageCodec | typeof deliveryCodec): string => codec.columns.map(([n]) => `"${n}"`).join(', ')
  return {
    text:
      `WITH m AS (INSERT INTO ${s}.messages (${cols(messageCodec)}) SELECT * FROM ${m} ON CONFLICT DO NOTHING RETURNING id), ` +
      `d AS (INSERT INTO ${s}.deliveries (${cols(deliveryCodec)}) SELECT u.* FROM ${d} WHERE u.message_id IN (SELECT id FROM m) RETURNING 1) SELECT m.id FROM m`,
    values,
  }
}

/** A JSON string of a text column (the caller guarantees no NUL and no lone surrogate here). */
const str = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value))
const time = (value: Date | null): string => (value === null ? 'null' : String(value.getTime()))

/** Messages and deliveries as two json documents read by json_to_recordset. */
function jsonPlan(schema: string, batchItems: Item[]): { text: string; values: unknown[] } {
  const m: string[] = []
  const d: string[] = []
  for (const { message: x, deliveries } of batchItems) {
    m.push(
      `{"i":${str(x.id)},"e":${str(x.event)},"d":${dataJson(x)},"m":${x.metadata === null ? 'null' : JSON.stringify(x.metadata)},"k":${str(x.idempotencyKey)},"o":${str(x.owner)},"t":${time(x.createdAt)}}`,
    )
    for (const y of deliveries) {
      d.push(
        `{"i":${str(y.id)},"m":${str(y.messageId)},"p":${str(y.endpointId)},"e":${str(y.event)},"s":${str(y.status)},"a":${y.attempts},"n":${time(y.nextAttemptAt)},"lu":${time(y.lockedUntil)},"lb":${str(y.lockedBy)},"c":${y.lastStatusCode === null ? 'null' : y.lastStatusCode},"le":${str(y.lastError)},"t":${time(y.createdAt)},"u":${time(y.updatedAt)},"f":${time(y.completedAt)},"ok":${str(y.orderingKey)}}`,
      )
    }
  }
  const s = `"${schema}"`
  const ts = (c: string): string => `to_timestamp(${c} / 1000.0)`
  return {
    text:
      `WITH m AS (INSERT INTO ${s}.messages (id, event, data, metadata, idempotency_key, owner, created_at) ` +
      `SELECT i, e, coalesce(d, 'null'), m, k, o, ${ts('t')} FROM json_to_recordset($1::json) AS x(i text, e text, d json, m json, k text, o text, t float8) ` +
      `ON CONFLICT DO NOTHING RETURNING id), ` +
      `d AS (INSERT INTO ${s}.deliveries (id, message_id, endpoint_id, event, status, attempts, next_attempt_at, locked_until, locked_by, last_status_code, last_error, created_at, updated_at, completed_at, ordering_key) ` +
      `SELECT i, m, p, e, s, a, ${ts('n')}, ${ts('lu')}, lb, c, le, ${ts('t')}, ${ts('u')}, ${ts('f')}, ok ` +
      `FROM json_to_recordset($2::json) AS u(i text, m text, p text, e text, s text, a int, n float8, lu float8, lb text, c int, le text, t float8, u float8, f float8, ok text) ` +
      `WHERE u.m IN (SELECT id FROM m) RETURNING 1) SELECT m.id FROM m`,
    values: [`[${m.join(',')}]`, `[${d.join(',')}]`],
  }
}

/** The store's plans of a schema, made once (as the store does). */
const plansBySchema = new Map<string, ReturnType<typeof createPlans>>()
const plansOf = (schema: string): ReturnType<typeof createPlans> => {
  let plans = plansBySchema.get(schema)
  if (plans === undefined) plansBySchema.set(schema, (plans = createPlans(schema)))
  return plans
}

/**
 * The store's statement with only the delivery columns an enqueue varies: attempts 0, no last
 * status, error or completion, updated when created, written as constants (10 delivery arrays
 * instead of 15).
 */
function leanPlan(schema: string, batchItems: Item[]): { text: string; values: unknown[] } {
  const values: unknown[] = []
  const arr = (xs: BinaryElement[], type: BinaryElementType): string => {
    values.push(binaryArray(xs, type))
    return `$${values.length}::${type}[]`
  }
  const ms = batchItems.map((x) => x.message)
  const ds = batchItems.flatMap((x) => x.deliveries)
  const m = [
    arr(ms.map((x) => x.id), 'text'),
    arr(ms.map((x) => x.event), 'text'),
    arr(ms.map((x) => dataJson(x)), 'json'),
    arr(ms.map((x) => (x.metadata === null ? null : JSON.stringify(x.metadata))), 'json'),
    arr(ms.map((x) => x.idempotencyKey), 'text'),
    arr(ms.map((x) => x.owner), 'text'),
    arr(ms.map((x) => x.createdAt), 'timestamptz'),
  ]
  const d = [
    arr(ds.map((x) => x.id), 'text'),
    arr(ds.map((x) => x.messageId), 'text'),
    arr(ds.map((x) => x.endpointId), 'text'),
    arr(ds.map((x) => x.event), 'text'),
    arr(ds.map((x) => x.status), 'text'),
    arr(ds.map((x) => x.nextAttemptAt), 'timestamptz'),
    arr(ds.map((x) => x.lockedUntil), 'timestamptz'),
    arr(ds.map((x) => x.lockedBy), 'text'),
    arr(ds.map((x) => x.createdAt), 'timestamptz'),
    arr(ds.map((x) => x.orderingKey), 'text'),
  ]
  const s = `"${schema}"`
  return {
    text:
      `WITH m AS (INSERT INTO ${s}.messages (id, event, data, metadata, idempotency_key, owner, created_at) SELECT * FROM unnest(${m.join(', ')}) ON CONFLICT DO NOTHING RETURNING id), ` +
      `d AS (INSERT INTO ${s}.deliveries (id, message_id, endpoint_id, event, status, attempts, next_attempt_at, locked_until, locked_by, last_status_code, last_error, created_at, updated_at, completed_at, ordering_key) ` +
      `SELECT u.id, u.message_id, u.endpoint_id, u.event, u.status, 0, u.next_attempt_at, u.locked_until, u.locked_by, NULL, NULL, u.created_at, u.created_at, NULL, u.ordering_key ` +
      `FROM unnest(${d.join(', ')}) AS u(id, message_id, endpoint_id, event, status, next_attempt_at, locked_until, locked_by, created_at, ordering_key) ` +
      `WHERE u.message_id IN (SELECT id FROM m) RETURNING 1) SELECT m.id FROM m`,
    values,
  }
}

type Variant = (schema: string, batchItems: Item[]) => { text: string; values: unknown[] }
const variants: Record<string, Variant> = {
  store: (schema, batchItems) => plansOf(schema).enqueueMany(batchItems),
  unnest: unnestPlan,
  json: jsonPlan,
  lean: leanPlan,
  // the store's statement of one emit alone (batch size 1 only)
  single: (schema, batchItems) => plansOf(schema).enqueue(batchItems[0]!.message, batchItems[0]!.deliveries, null),
  // the store's statement without ON CONFLICT (a plain insert: what the speculative insertion costs)
  noconflict: (schema, batchItems) => {
    const plan = plansOf(schema).enqueueMany(batchItems)
    return { ...plan, text: plan.text.replace(' ON CONFLICT DO NOTHING', '') }
  },
}

/**
 * Variants that are not one statement: each writes a batch in its own transaction and returns the
 * messages it stored.
 *   copy       binary COPY of the messages, then of the deliveries, straight into the tables (the
 *              floor: no ON CONFLICT, so no idempotency keys and no retry of a committed batch)
 *   copystage  binary COPY of both into temporary staging tables (ON COMMIT DELETE ROWS), then the
 *              store's statement shape reading them: INSERT … SELECT … ON CONFLICT DO NOTHING
 *              RETURNING id, and the deliveries of the messages inserted (every guarantee kept)
 */
type Runner = (client: pg.Client, schema: string, batchItems: Item[]) => Promise<number>
const staged = new WeakSet<pg.Client>()
const runners: Record<string, Runner> = {
  // one round trip of a named statement that writes nothing: the floor of any statement
  select1: async (client, _schema, b) => (await client.query({ name: 'enq_select1', text: 'SELECT $1::int AS n', values: [b.length] })).rows[0].n as number,
  copy: async (client, schema, b) => {
    await client.query('BEGIN')
    const n = await copyIn(client, `COPY "${schema}".messages (${MESSAGE_COLUMNS}) FROM STDIN (FORMAT binary)`, copyMessages(b.map((x) => x.message)))
    await copyIn(client, `COPY "${schema}".deliveries (${DELIVERY_COLUMNS}) FROM STDIN (FORMAT binary)`, copyDeliveries(b.flatMap((x) => x.deliveries)))
    await client.query('COMMIT')
    return n
  },
  copystage: async (client, schema, b) => {
    if (!staged.has(client)) {
      await client.query(`CREATE TEMP TABLE stage_m (id text, event text, data json, metadata json, idempotency_key text, owner text, created_at timestamptz) ON COMMIT DELETE ROWS`)
      await client.query(
        `CREATE TEMP TABLE stage_d (id text, message_id text, endpoint_id text, event text, status text, attempts integer, next_attempt_at timestamptz, ` +
          `locked_until timestamptz, locked_by text, last_status_code integer, last_error text, created_at timestamptz, updated_at timestamptz, completed_at timestamptz, ordering_key text) ON COMMIT DELETE ROWS`,
      )
      staged.add(client)
    }
    await client.query('BEGIN')
    await copyIn(client, `COPY stage_m (${MESSAGE_COLUMNS}) FROM STDIN (FORMAT binary)`, copyMessages(b.map((x) => x.message)))
    await copyIn(client, `COPY stage_d (${DELIVERY_COLUMNS}) FROM STDIN (FORMAT binary)`, copyDeliveries(b.flatMap((x) => x.deliveries)))
    const { rows } = await client.query({
      name: 'enq_stage',
      text:
        `WITH m AS (INSERT INTO "${schema}".messages (${MESSAGE_COLUMNS}) SELECT ${MESSAGE_COLUMNS} FROM stage_m ON CONFLICT DO NOTHING RETURNING id), ` +
        `d AS (INSERT INTO "${schema}".deliveries (${DELIVERY_COLUMNS}) SELECT ${DELIVERY_COLUMNS} FROM stage_d u WHERE u.message_id IN (SELECT id FROM m) RETURNING 1) SELECT m.id FROM m`,
      values: [],
    })
    await client.query('COMMIT')
    return rows.length
  },
}

/** Schema changes a variant can name after a `+`. */
const CHANGES: Record<string, string> = {
  nofk: 'ALTER TABLE {s}.deliveries DROP CONSTRAINT deliveries_message_id_fkey',
  noidx:
    'DROP INDEX {s}.deliveries_created_idx; DROP INDEX {s}.deliveries_endpoint_created_idx; DROP INDEX {s}.deliveries_message_idx; DROP INDEX {s}.messages_created_idx; DROP INDEX {s}.deliveries_finished_idx',
  nocreated: 'DROP INDEX {s}.deliveries_created_idx',
  nomsgidx: 'DROP INDEX {s}.deliveries_message_idx',
  nomsgcreated: 'DROP INDEX {s}.messages_created_idx',
  noidem: 'DROP INDEX {s}.messages_idempotency_key_idx',
  partialidem:
    "DROP INDEX {s}.messages_idempotency_key_idx; CREATE UNIQUE INDEX messages_idempotency_key_idx ON {s}.messages (coalesce(owner, ''), idempotency_key) WHERE idempotency_key IS NOT NULL",
  // the ids' columns in the C collation (and no foreign key)
  collc:
    'ALTER TABLE {s}.deliveries DROP CONSTRAINT IF EXISTS deliveries_message_id_fkey; ALTER TABLE {s}.messages ALTER COLUMN id TYPE text COLLATE "C"; ALTER TABLE {s}.deliveries ALTER COLUMN id TYPE text COLLATE "C", ALTER COLUMN message_id TYPE text COLLATE "C", ALTER COLUMN endpoint_id TYPE text COLLATE "C"',
  timeids: '',
  // the commit without waiting for its WAL flush (what the flush costs the backend's CPU)
  nosync: 'SET synchronous_commit = off',
}

async function main(): Promise<void> {
  const wanted = (process.env.BENCH_VARIANTS ?? Object.keys(variants).join(',')).split(',')
  const schemas = new Map<string, string>()
  const clients = new Map<string, { client: pg.Client; pid: number }>()
  const out = new Map<string, { proc: number[]; back: number[] }>()
  try {
    for (const name of wanted) {
      const schema = freshSchema(`hlenqcost_${name.split('+')[0]}`)
      schemas.set(name, schema)
      const store = postgresStore({ connectionString: PG_URL, schema })
      await store.migrate()
      await store.close()
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      for (const index of dropIndexes) await client.query(`DROP INDEX "${schema}"."${index}"`)
      // BENCH_DDL: statements run in every schema first, `{s}` standing for it ("…;…"); a variant
      // named `<variant>+<change>` runs the statement of <variant> after the DDL of <change>.
      const changes = name.split('+').slice(1).map((c) => CHANGES[c] ?? c)
      for (const ddl of [process.env.BENCH_DDL ?? '', ...changes].join(';').split(';').filter((x) => x.trim() !== '')) await client.query(ddl.replaceAll('{s}', `"${schema}"`))
      // BENCH_GENERIC=1: every statement runs with its generic plan (what a named statement
      // gets after five executions when the planner finds it no worse than the custom plans).
      if (process.env.BENCH_GENERIC === '1') await client.query('SET plan_cache_mode = force_generic_plan')
      const pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid)
      clients.set(name, { client, pid })
      out.set(name, { proc: [], back: [] })
    }
    // BENCH_PREFILL=N: N messages (with a delivery each) stored first in every schema, each with
    // its variant's ids, so the indexes are the size of a table in use rather than a fresh one.
    const prefill = Number(process.env.BENCH_PREFILL ?? 0)
    for (const name of wanted) {
      const { client } = clients.get(name)!
      for (let n = 0; n < prefill; n += batch) {
        const plan = (variants[name.split('+')[0]!] ?? variants.store!)(schemas.get(name)!, items(batch, name.split('+').includes('timeids') ? timeId : createId))
        await client.query({ text: plan.text, values: plan.values })
      }
      if (prefill > 0) await client.query(`VACUUM ANALYZE "${schemas.get(name)!}".messages, "${schemas.get(name)!}".deliveries`)
    }
    for (let r = -1; r < rounds; r++) {
      for (const name of wanted) {
        const { client, pid } = clients.get(name)!
        const schema = schemas.get(name)!
        const batches = Array.from({ length: perRound }, () => items(batch, name.split('+').includes('timeids') ? timeId : createId))
        for (const b of batches) for (const x of b) dataJson(x.message) // the emit preparer made it already
        let proc = 0
        let back = 0
        for (const b of batches) {
          const cpu0 = process.cpuUsage()
          const ns0 = schedNs(pid)
          const runner = runners[name.split('+')[0]!]
          let stored: number
          if (runner !== undefined) stored = await runner(client, schema, b)
          else if (autocommit) {
            const plan = variants[name.split('+')[0]!]!(schema, b)
            stored = (await client.query({ name: `enq_${name}`, text: plan.text, values: plan.values })).rows.length
          } else {
            await client.query('BEGIN')
            const plan = variants[name.split('+')[0]!]!(schema, b)
            stored = (await client.query({ name: `enq_${name}`, text: plan.text, values: plan.values })).rows.length
            await client.query('COMMIT')
          }
          back += schedNs(pid) - ns0
          const cpu = process.cpuUsage(cpu0)
          proc += cpu.user + cpu.system
          if (stored !== batch) throw new Error(`${name}: ${stored} of ${batch} inserted`)
        }
        if (r >= 0) {
          out.get(name)!.proc.push(proc / (batch * perRound))
          out.get(name)!.back.push(back / 1000 / (batch * perRound))
        }
      }
    }
    if (process.env.BENCH_EXPLAIN === '1') {
      for (const name of wanted.filter((w) => runners[w.split('+')[0]!] === undefined)) {
        const { client } = clients.get(name)!
        const plan = variants[name.split('+')[0]!]!(schemas.get(name)!, items(batch))
        await client.query('BEGIN')
        const { rows } = await client.query({ text: `EXPLAIN (ANALYZE, BUFFERS, WAL, COSTS OFF) ${plan.text}`, values: plan.values })
        await client.query('COMMIT')
        console.log(`-- ${name}\n${rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')}`)
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
    for (const [name, { proc, back }] of out) {
      console.log(`${name.padEnd(8)} process ${median(proc).toFixed(1)} µs/msg, backend ${median(back).toFixed(1)} µs/msg  [backend ${back.map((x) => x.toFixed(0)).join(' ')}]`)
    }
  } finally {
    for (const { client } of clients.values()) await client.end().catch(() => {})
    await dropSchemas([...schemas.values()])
  }
}

await main()
