import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { isHooklineError } from '../../src/errors.js'
import { postgresStore, type PostgresStore } from '../../src/store/postgres/index.js'
import { postgresMigrations } from '../../src/store/postgres/migrations.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import { redactSecrets } from '../../src/store/retry.js'
import { createPgTestContext, pgAvailable, PG_URL } from '../helpers/pg.js'
import { testStore } from './conformance.js'
import { testSecretsAtRest } from './secrets-at-rest.js'
import { at, attemptFixture, deliveryFixture, endpointFixture, messageFixture, outcomeFixture } from './fixtures.js'

const ctx = createPgTestContext()

/** Creates `schema` as the store's migrations up to `version` leave it (a database of an older release). */
async function migrateTo(schema: string, version: number): Promise<void> {
  const plans = createPlans(schema)
  const client = await ctx.pool().connect()
  try {
    await client.query(plans.createSchema())
    await client.query(plans.createMigrationsTable())
    for (const migration of postgresMigrations(schema).filter((m) => m.version <= version)) {
      for (const statement of migration.up) await client.query(statement)
      await client.query(plans.recordVersion(migration.version))
    }
  } finally {
    client.release()
  }
}
const schema = ctx.schema()

/** Polls `check` every 10 ms until it is true; fails after `timeoutMs`. */
async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited >= timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe.skipIf(!pgAvailable)('postgres', () => {
  afterAll(async () => {
    await ctx.dispose()
  })

  testStore({
    name: 'postgres',
    sharedRateSlots: true,
    sharedBreakers: true,
    create: async () => {
      const store = postgresStore({ connectionString: PG_URL, schema, max: 4 })
      await store.migrate()
      await ctx.truncate(schema)
      return store
    },
    additionalTests: (get) => {
      const others: PostgresStore[] = []
      const another = (over: { schema?: string; migrate?: boolean; preparedStatements?: boolean } = {}): PostgresStore => {
        const store = postgresStore({ connectionString: PG_URL, schema, max: 4, ...over })
        others.push(store)
        return store
      }
      afterAll(async () => {
        await Promise.all(others.map((s) => s.close()))
      })

      it('.migrate() - two processes migrating a fresh schema at once both succeed, once', async () => {
        const fresh = ctx.schema()
        const stores = [another({ schema: fresh, migrate: false }), another({ schema: fresh, migrate: false }), another({ schema: fresh, migrate: false })]
        await Promise.all(stores.map((s) => s.migrate()))
        const { rows } = await ctx.pool().query(`SELECT version FROM "${fresh}".schema_migrations ORDER BY version`)
        expect(rows.map((r) => r.version)).toEqual(postgresMigrations(fresh).map((m) => m.version))
        await stores[0]!.migrate()
        const ep = endpointFixture()
        await stores[1]!.createEndpoint(ep)
        expect(await stores[2]!.getEndpoint(ep.id)).toEqual(ep)
      })

      it('.migrate() - version 10 moves a schema with stored messages: keys still refuse duplicates, the key index is partial, no foreign key', async () => {
        const fresh = ctx.schema()
        const plans = createPlans(fresh)
        // The schema as version 9 left it, with a message that has a key and one that has none.
        await migrateTo(fresh, 9)
        const store = another({ schema: fresh, migrate: false })
        const ep = endpointFixture()
        const keyed = messageFixture({ idempotencyKey: 'order-1', owner: 'acme' })
        const plain = messageFixture()
        await ctx.pool().query(plans.enqueue(keyed, [deliveryFixture(keyed, ep)], null))
        await ctx.pool().query(plans.enqueue(plain, [deliveryFixture(plain, ep)], null))
        await store.migrate()
        const { rows } = await ctx.pool().query(`SELECT max(version)::int AS version FROM "${fresh}".schema_migrations`)
        expect(rows[0].version).toBeGreaterThanOrEqual(10)
        const again = await store.enqueue(messageFixture({ idempotencyKey: 'order-1', owner: 'acme' }), [])
        expect(again).toMatchObject({ duplicate: true, message: { id: keyed.id } })
        const other = await store.enqueue(messageFixture({ idempotencyKey: 'order-1', owner: 'other' }), [])
        expect(other.duplicate).toBe(false)
        const index = await ctx.pool().query(`SELECT pg_get_indexdef($1::regclass) AS def`, [`"${fresh}".messages_idempotency_key_idx`])
        expect(index.rows[0].def).toContain('WHERE (idempotency_key IS NOT NULL)')
        const fks = await ctx.pool().query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`, [`"${fresh}".deliveries`])
        expect(fks.rows[0].n).toBe(0)
        expect(await store.getMessage(plain.id)).toEqual(plain)
      })

      it('.enqueue() with a host client joins its transaction: ROLLBACK stores nothing, COMMIT stores it', async () => {
        const store = get()
        const ep = endpointFixture()
        await store.createEndpoint(ep)
        const client = await ctx.pool().connect()
        try {
          const rolledBack = messageFixture()
          await client.query('BEGIN')
          await store.enqueue(rolledBack, [deliveryFixture(rolledBack, ep)], { client })
          await client.query('ROLLBACK')
          expect(await store.getMessage(rolledBack.id)).toBeNull()
          expect(await store.listDeliveries({ endpointId: ep.id })).toEqual([])

          const committed = messageFixture()
          const d = deliveryFixture(committed, ep)
          await client.query('BEGIN')
          await store.enqueue(committed, [d], { client })
          expect(await store.getMessage(committed.id)).toBeNull() // not visible before COMMIT
          await client.query('COMMIT')
          expect(await store.getMessage(committed.id)).toEqual(committed)
          expect(await store.getDelivery(d.id)).toEqual(d)
        } finally {
          client.release()
        }
      })

      it('.enqueue() repeated with the same message (a retry after a lost reply) is not an error or a duplicate', async () => {
        const store = get()
        const ep = endpointFixture()
        const m = messageFixture()
        const d = deliveryFixture(m, ep)
        await store.enqueue(m, [d])
        const again = await store.enqueue(m, [d])
        expect(again.duplicate).toBe(false)
        expect(again.deliveries.map((x) => x.id)).toEqual([d.id])
      })

      it('.enqueue() - a message id twice in one batch: a repeat stores nothing more, a different message under it is a ConflictError', async () => {
        const store = get()
        const ep = endpointFixture()
        await store.createEndpoint(ep)
        // The first enqueues take the two free slots; the rest queue up and go out as one batch.
        const fillers = Array.from({ length: 4 }, () => messageFixture())
        const m = messageFixture()
        const d = deliveryFixture(m, ep)
        const clash = messageFixture({ id: m.id, event: 'order.other' })
        const settled = await Promise.allSettled([
          ...fillers.map((f) => store.enqueue(f, [deliveryFixture(f, ep)])),
          store.enqueue(m, [d]),
          store.enqueue(m, [d]),
          store.enqueue(clash, [deliveryFixture(clash, ep)]),
        ])
        expect(settled.slice(0, 6).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'])
        expect((settled[5] as PromiseFulfilledResult<{ duplicate: boolean; deliveries: { id: string }[] }>).value).toMatchObject({ duplicate: false, deliveries: [{ id: d.id }] })
        expect(settled[6]!.status).toBe('rejected')
        expect((settled[6] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' })
        expect((await store.listDeliveries({ messageId: m.id })).map((x) => x.id)).toEqual([d.id])
        expect(await store.getMessage(m.id)).toEqual(m)
      })

      it('.claim() - concurrent claims from two pools never return the same delivery (SKIP LOCKED)', async () => {
        const a = get()
        const b = another()
        const ep = endpointFixture()
        await a.createEndpoint(ep)
        const m = messageFixture()
        await a.enqueue(m, Array.from({ length: 50 }, (_, i) => deliveryFixture(m, ep, { nextAttemptAt: at(i) })))
        const seen: string[] = []
        for (let round = 0; round < 10; round++) {
          const batches = await Promise.all(
            [a, b, a, b, a, b].map((s, i) => s.claim({ now: at(1000), limit: 5, leaseMs: 60_000, workerId: `w${i}` })),
          )
          const ids = batches.flat().map((c) => c.delivery.id)
          seen.push(...ids)
          if (ids.length === 0) break
        }
        expect(seen).toHaveLength(50)
        expect(new Set(seen).size).toBe(50)
      })

      it('.claim() and .complete() read only the rows they touch, however large the backlog, with or without statistics', async () => {
        // The plans of the store's own claim and complete statements (planned with their values, as
        // the store runs them), with EXPLAIN ANALYZE, over a due backlog 100 times the batch.
        const fresh = ctx.schema()
        const store = another({ schema: fresh })
        await store.migrate()
        const ep = endpointFixture()
        await store.createEndpoint(ep)
        for (let k = 0; k < 5; k++) {
          const m = messageFixture()
          await store.enqueue(m, Array.from({ length: 500 }, (_, i) => deliveryFixture(m, ep, { nextAttemptAt: at(k * 500 + i) })))
        }
        interface PlanNode {
          'Node Type': string
          'Relation Name'?: string
          'Actual Rows': number
          'Actual Loops': number
          'Rows Removed by Filter'?: number
          'Rows Removed by Index Recheck'?: number
          Plans?: PlanNode[]
        }
        const read = (relation: string | undefined): boolean => relation === 'deliveries' || relation === 'messages'
        const scans = (node: PlanNode): PlanNode[] => [...(read(node['Relation Name']) && node['Node Type'] !== 'ModifyTable' ? [node] : []), ...(node.Plans ?? []).flatMap(scans)]
        const plans = createPlans(fresh)
        /** Rows each scan of `deliveries` or `messages` in the plan read (returned, or read and filtered out). */
        const deliveryRowsRead = async (plan: { text: string; values: unknown[] }): Promise<number[]> => {
          const client = await ctx.pool().connect()
          try {
            await client.query('BEGIN')
            const explained = (await client.query({ text: `EXPLAIN (ANALYZE, FORMAT JSON) ${plan.text}`, values: plan.values })).rows[0]['QUERY PLAN']
            await client.query('ROLLBACK')
            return scans((explained as { Plan: PlanNode }[])[0]!.Plan).map(
              (n) => (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) * n['Actual Loops'],
            )
          } finally {
            client.release()
          }
        }
        const claimRead = () => deliveryRowsRead(plans.claim({ now: at(10_000), limit: 25, leaseMs: 60_000, workerId: 'w' }))
        const completeRead = async () => {
          const claimed = await store.claim({ now: at(10_000), limit: 25, leaseMs: 60_000, workerId: 'w' })
          const data = new Map(claimed.map(({ delivery, message }) => [delivery.id, JSON.stringify(message.data)]))
          const outcomes = claimed.map(({ delivery }) => ({
            deliveryId: delivery.id,
            workerId: 'w',
            status: 'succeeded' as const,
            attempts: 1,
            nextAttemptAt: null,
            lastStatusCode: 200,
            lastError: null,
            completedAt: at(10_001),
            updatedAt: at(10_001),
            attempt: attemptFixture(delivery, { startedAt: at(10_000), requestBody: `{"data":${data.get(delivery.id)}}` }),
          }))
          // With each request body sent without its message's data (read back from `messages`).
          return deliveryRowsRead(plans.complete(outcomes, (id) => data.get(id)))
        }
        // Before the table has statistics, and after ANALYZE saw the whole backlog due.
        const before = [await claimRead(), await completeRead()]
        await ctx.pool().query(`ANALYZE "${fresh}".deliveries`)
        const after = [await claimRead(), await completeRead()]
        for (const read of [...before, ...after]) {
          expect(read.length).toBeGreaterThan(0)
          for (const rows of read) expect(rows).toBeLessThanOrEqual(50)
        }
      })

      it(".complete() leaves a leased delivery's message data out of the write, and the attempt log still holds each request body exactly", async () => {
        // The store's own pool, wrapped to see every statement's values.
        const fresh = ctx.schema()
        const pool = new pg.Pool({ connectionString: PG_URL, max: 2 })
        const sent: unknown[][] = []
        const seen = { query: (config: { values?: unknown[] }) => (sent.push(config.values ?? []), pool.query(config as pg.QueryConfig)), connect: () => pool.connect(), end: () => pool.end() }
        const store = postgresStore({ pool: seen as never, schema: fresh })
        others.push(store)
        try {
          await store.migrate()
          const ep = endpointFixture()
          await store.createEndpoint(ep)
          const data = { text: 'y'.repeat(300), note: 'ünïcödé ✓ \u2028 \u0000 "quoted"', n: [1, 2.5, null] }
          const m = messageFixture({ data })
          const claimedOne = deliveryFixture(m, ep, { nextAttemptAt: at(0) })
          // Stored already leased, as an emit's hand-off stores it.
          const handedOff = deliveryFixture(m, ep, { status: 'delivering', lockedBy: 'w', lockedUntil: at(60_000), nextAttemptAt: null })
          const other = deliveryFixture(m, ep, { nextAttemptAt: at(0) })
          await store.enqueue(m, [claimedOne, handedOff, other])
          const claimed = await store.claim({ now: at(1), limit: 2, leaseMs: 60_000, workerId: 'w' })
          expect(claimed.map((c) => c.delivery.id).sort()).toEqual([claimedOne.id, other.id].sort())
          const dataText = JSON.stringify(data)
          const envelope = (id: string) => `{"id":"${m.id}","webhook_id":"${id}","data":${dataText},"metadata":{"a":1}}`
          const bodies = new Map([
            [claimedOne.id, envelope(claimedOne.id)],
            [handedOff.id, envelope(handedOff.id)],
            // A body that does not hold the data (a transform, say) goes whole.
            [other.id, '{"transformed":true}'],
          ])
          sent.length = 0
          await store.complete(
            [claimedOne, handedOff, other].map((d) =>
              outcomeFixture(d, 'w', { status: 'succeeded', attempts: 1, completedAt: at(2), attempt: attemptFixture(d, { requestBody: bodies.get(d.id)!, startedAt: at(1) }) }),
            ),
          )
          // Every string parameter as sent (an array's elements one by one): the data must not be
          // there, neither as it is (a text parameter) nor escaped once (inside a JSON parameter).
          const written = sent.flat(2).filter((v): v is string => typeof v === 'string').join('\n')
          expect(written).toContain('transformed')
          expect(written).toContain(JSON.stringify(envelope(handedOff.id).slice(0, 20)).slice(1, -1))
          expect(written).not.toContain(dataText)
          expect(written).not.toContain(JSON.stringify(dataText).slice(1, -1))
          for (const d of [claimedOne, handedOff, other]) {
            const attempts = await store.listAttempts(d.id)
            expect(attempts.map((a) => a.requestBody)).toEqual([bodies.get(d.id)])
            expect((await store.getDelivery(d.id))?.status).toBe('succeeded')
          }
          // Stored without a copy of the data either (migration 12): head and tail around it.
          const stored = await pool.query(`SELECT request_body || coalesce(request_body_tail, '') AS parts FROM "${fresh}".attempts`)
          expect(stored.rows).toHaveLength(3)
          for (const row of stored.rows) expect(row.parts).not.toContain(dataText)
        } finally {
          await store.close()
          await pool.end()
        }
      })

      it(".complete() keeps an attempt's headers as written, key order included (json since migration 11, as the other stores keep them)", async () => {
        const store = get()
        const ep = endpointFixture()
        await store.createEndpoint(ep)
        const m = messageFixture()
        const d = deliveryFixture(m, ep, { nextAttemptAt: at(0) })
        await store.enqueue(m, [d])
        await store.claim({ now: at(1), limit: 1, leaseMs: 60_000, workerId: 'w' })
        // jsonb would read these back sorted (shorter keys first).
        const requestHeaders = { 'x-hookline-signature': 'v1,abc', 'content-type': 'application/json', 'user-agent': 'hookline', a: '1' }
        const responseHeaders = { 'x-request-id': 'r1', date: 'today', 'content-length': '2' }
        await store.complete([outcomeFixture(d, 'w', { status: 'succeeded', attempts: 1, completedAt: at(2), attempt: attemptFixture(d, { requestHeaders, responseHeaders, startedAt: at(1) }) })])
        const [attempt] = await store.listAttempts(d.id)
        expect(Object.entries(attempt!.requestHeaders)).toEqual(Object.entries(requestHeaders))
        expect(Object.entries(attempt!.responseHeaders!)).toEqual(Object.entries(responseHeaders))
      })

      it('migration 11 keeps the attempts written before it (headers as jsonb read them, no foreign key left)', async () => {
        const fresh = ctx.schema()
        const pool = ctx.pool()
        await migrateTo(fresh, 10)
        const store = postgresStore({ connectionString: PG_URL, schema: fresh })
        others.push(store)
        try {
          const ep = endpointFixture()
          const m = messageFixture()
          const d = deliveryFixture(m, ep, { nextAttemptAt: at(0) })
          await pool.query(`INSERT INTO "${fresh}".messages (id, event, data, created_at) VALUES ($1, $2, '{}', now())`, [m.id, m.event])
          await pool.query(
            `INSERT INTO "${fresh}".deliveries (id, message_id, endpoint_id, event, status, attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, 'failed', 1, now(), now())`,
            [d.id, m.id, ep.id, m.event],
          )
          await pool.query(
            `INSERT INTO "${fresh}".attempts (id, delivery_id, endpoint_id, attempt, trigger, url, method, request_headers, request_body, response_headers, succeeded, duration_ms, started_at) ` +
              `VALUES ('att_old', $1, $2, 1, 'automatic', 'https://example.com', 'POST', '{"content-type":"application/json","b":"2"}', '{}', '{"date":"today"}', false, 5, now())`,
            [d.id, ep.id],
          )
          await store.migrate()
          const [attempt] = await store.listAttempts(d.id)
          expect(attempt!.requestHeaders).toEqual({ b: '2', 'content-type': 'application/json' })
          expect(attempt!.responseHeaders).toEqual({ date: 'today' })
          const { rows } = await pool.query(
            `SELECT count(*)::int AS n FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = $1 AND t.relname = 'attempts' AND c.contype = 'f'`,
            [fresh],
          )
          expect(rows[0].n).toBe(0)
        } finally {
          await store.close()
        }
      })

      it('.complete() stores a lone UTF-16 surrogate in an outcome as U+FFFD (Postgres refuses its escape) and the rest of the batch as it is', async () => {
        const store = get()
        const ep = endpointFixture()
        await store.createEndpoint(ep)
        const m = messageFixture()
        const odd = deliveryFixture(m, ep, { nextAttemptAt: at(0) })
        const plain = deliveryFixture(m, ep, { nextAttemptAt: at(0) })
        await store.enqueue(m, [odd, plain])
        await store.claim({ now: at(1), limit: 2, leaseMs: 60_000, workerId: 'w' })
        const lone = 'half \ud800 of a pair, \udc00 the other half'
        await store.complete([
          outcomeFixture(odd, 'w', {
            status: 'failed',
            attempts: 1,
            nextAttemptAt: at(5000),
            lastError: lone,
            attempt: attemptFixture(odd, { responseBody: lone, error: lone, responseHeaders: { 'x-odd': lone }, succeeded: false, startedAt: at(1) }),
          }),
          outcomeFixture(plain, 'w', { status: 'succeeded', attempts: 1, completedAt: at(2), attempt: attemptFixture(plain, { startedAt: at(1) }) }),
        ])
        const cleaned = 'half \uFFFD of a pair, \uFFFD the other half'
        expect((await store.getDelivery(odd.id))?.lastError).toBe(cleaned)
        const [attempt] = await store.listAttempts(odd.id)
        expect([attempt?.responseBody, attempt?.error, attempt?.responseHeaders?.['x-odd']]).toEqual([cleaned, cleaned, cleaned])
        expect((await store.getDelivery(plain.id))?.status).toBe('succeeded')
        expect(await store.listAttempts(plain.id)).toHaveLength(1)
      })

      it('.onWake() fires after an enqueue committed through another pool, and again after a reconnect', async () => {
        const store = get() as PostgresStore
        const other = another()
        let wakes = 0
        const unsubscribe = store.onWake(() => wakes++)
        try {
          await waitFor(() => wakes === 1) // the first wake says the LISTEN connection is up
          const ep = endpointFixture()
          const m = messageFixture()
          await other.enqueue(m, [deliveryFixture(m, ep)])
          await waitFor(() => wakes === 2)

          // Kill the listening connection; it reconnects by itself and wakes once more.
          await ctx.pool().query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`,
            [`LISTEN "${store.channel}"`],
          )
          await waitFor(() => wakes === 3)
          const m2 = messageFixture()
          await other.enqueue(m2, [deliveryFixture(m2, ep)])
          await waitFor(() => wakes === 4)
        } finally {
          unsubscribe()
        }
      })

      it("a store on the host's pool works, wakes through one of its clients, and close() leaves the pool open", async () => {
        const pool = new pg.Pool({ connectionString: PG_URL, max: 3 })
        const store = postgresStore({ pool, schema })
        let wakes = 0
        try {
          const unsubscribe = store.onWake(() => wakes++)
          await waitFor(() => wakes === 1)
          const ep = endpointFixture()
          const m = messageFixture()
          await get().enqueue(m, [deliveryFixture(m, ep)])
          await waitFor(() => wakes === 2)
          unsubscribe()
          expect((await store.claim({ now: at(0), limit: 5, leaseMs: 1000, workerId: 'w' })).map((c) => c.message)).toEqual([m])
          await store.close()
          expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
        } finally {
          await pool.end()
        }
      })

      it('.enqueue() - a message the database refuses fails alone; the others of its batch are stored', async () => {
        const store = get()
        const ep = endpointFixture()
        await store.createEndpoint(ep)
        // An (incompressible) idempotency key beyond the btree row limit of ~2.7 kB cannot be indexed.
        const refused = messageFixture({ idempotencyKey: randomBytes(6000).toString('hex') })
        const fine = Array.from({ length: 12 }, () => messageFixture())
        const all = [...fine.slice(0, 6), refused, ...fine.slice(6)]
        const settled = await Promise.allSettled(all.map((m) => store.enqueue(m, [deliveryFixture(m, ep)])))
        const failed = settled.filter((r) => r.status === 'rejected')
        expect(failed).toHaveLength(1)
        expect(settled[6]!.status).toBe('rejected')
        expect(isHooklineError((settled[6] as PromiseRejectedResult).reason)).toBe(true)
        for (const m of fine) expect(await store.getMessage(m.id)).toEqual(m)
        expect(await store.getMessage(refused.id)).toBeNull()
      })

      it('works without prepared statements (preparedStatements: false)', async () => {
        const store = another({ preparedStatements: false })
        const ep = endpointFixture()
        await store.createEndpoint(ep)
        const m = messageFixture()
        const d = deliveryFixture(m, ep)
        await Promise.all([store.enqueue(m, [d]), store.enqueue(messageFixture(), [])])
        const [claimed] = await store.claim({ now: at(1), limit: 1, leaseMs: 60_000, workerId: 'w-unprepared' })
        expect(claimed?.delivery.id).toBe(d.id)
        expect(() => postgresStore({ connectionString: PG_URL, preparedStatements: 'yes' as unknown as boolean })).toThrow(/preparedStatements/)
      })

      it('transient errors (40001, dropped connection) are retried; other errors are not', async () => {
        const real = new pg.Pool({ connectionString: PG_URL, max: 2 })
        let calls = 0
        let failNext: string[] = []
        const flaky = {
          query: (config: pg.QueryConfig) => {
            calls++
            const code = failNext.shift()
            if (code) return Promise.reject(Object.assign(new Error(`simulated ${code}`), { code }))
            return real.query(config)
          },
          connect: () => real.connect(),
          end: () => real.end(),
        }
        const store = postgresStore({ pool: flaky, schema })
        try {
          const ep = endpointFixture()
          await store.createEndpoint(ep)
          calls = 0
          failNext = ['40001', 'ECONNRESET']
          expect(await store.getEndpoint(ep.id)).toEqual(ep)
          expect(calls).toBe(3)
          calls = 0
          failNext = ['23505']
          await expect(store.getEndpoint(ep.id)).rejects.toMatchObject({ code: 'STORE_ERROR', cause: { code: '23505' } })
          expect(calls).toBe(1)
        } finally {
          await store.close()
          await real.end()
        }
      })

      it('errors are StoreErrors with the driver error as cause and no credentials in the message', async () => {
        const store = postgresStore({ connectionString: 'postgres://app:hunter2@127.0.0.1:1/nope', retries: 1, migrate: false })
        try {
          const error = await store.getEndpoint('ep_x').then(
            () => null,
            (e: unknown) => e,
          )
          expect(isHooklineError(error)).toBe(true)
          expect(error).toMatchObject({ code: 'STORE_ERROR', name: 'StoreError' })
          expect((error as Error).cause).toBeInstanceOf(Error)
          expect((error as Error).message).not.toContain('hunter2')
          expect(redactSecrets('no pg at postgres://app:hunter2@db:5432/x (host=db password=hunter2)')).not.toContain('hunter2')
        } finally {
          await store.close()
        }
      })

      it('options are validated: schema must be a plain identifier, exactly one connection source', () => {
        expect(() => postgresStore({ connectionString: PG_URL, schema: 'x"; DROP TABLE y; --' })).toThrow(/schema/)
        expect(() => postgresStore({ connectionString: PG_URL, schema: 'Upper' })).toThrow(/schema/)
        expect(() => postgresStore({} as never)).toThrow(/connectionString/)
        const pool = new pg.Pool({ connectionString: PG_URL })
        expect(() => postgresStore({ pool, connectionString: PG_URL } as never)).toThrow(/exactly one/)
        void pool.end()
      })
    },
  })

  testSecretsAtRest({
    name: 'postgres',
    create: async () => {
      const store = postgresStore({ connectionString: PG_URL, schema, max: 4 })
      await store.migrate()
      await ctx.truncate(schema)
      return store
    },
    // Every row of every table of the schema, as text.
    dump: () => ctx.dump(schema),
  })
})
