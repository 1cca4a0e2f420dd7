import { afterAll, describe, expect, it } from 'vitest'
import { postgresStore } from '../../src/store/postgres/index.js'
import { createPlans } from '../../src/store/postgres/plans.js'
import { createBreakerPlans } from '../../src/store/postgres/breaker-plans.js'
import { createRateSlotPlans } from '../../src/store/postgres/rate-slot-plans.js'
import { createWorkerPlans } from '../../src/store/postgres/worker-plans.js'
import { createPgTestContext, pgAvailable, PG_URL } from '../helpers/pg.js'
import { at, attemptFixture, deliveryFixture, endpointFixture, messageFixture, outcomeFixture } from './fixtures.js'

const ctx = createPgTestContext()

/**
 * The index set of the Postgres store, each index with a statement of the store that it serves.
 * Every index costs every non-HOT update of its table (and each state change of a delivery is one),
 * so the schema keeps only indexes a statement needs: an index in the schema missing here, or one
 * here that its statement's plan does not use, fails the test.
 */
describe.skipIf(!pgAvailable)('postgres index set', () => {
  afterAll(async () => {
    await ctx.dispose()
  })

  it('holds exactly the indexes its statements use, each used by its statement (EXPLAIN)', async () => {
    const schema = ctx.schema()
    const store = postgresStore({ connectionString: PG_URL, schema, max: 2 })
    try {
      await store.migrate()
      const plans = createPlans(schema)
      const workers = createWorkerPlans(schema)
      const slots = createRateSlotPlans(schema)
      const breakers = createBreakerPlans(schema)
      const ep = endpointFixture({ owner: 'acme' })
      const m = messageFixture({ idempotencyKey: 'k1', owner: 'acme' })
      const d = deliveryFixture(m, ep)
      const outcome = outcomeFixture(d, 'w', { attempt: attemptFixture(d) })
      const now = at(1000)
      const byIndex: Record<string, { text: string; values: unknown[] }> = {
        endpoints_pkey: plans.getEndpoint(ep.id),
        endpoints_created_idx: plans.listEndpoints({}),
        endpoints_owner_idx: plans.listEndpoints({ owner: 'acme' }),
        messages_pkey: plans.getMessage(m.id),
        messages_idempotency_key_idx: plans.messageByIdempotencyKey('k1', 'acme'),
        messages_created_idx: plans.cleanupMessages(now, 100),
        deliveries_pkey: plans.getDelivery(d.id),
        deliveries_claim_idx: plans.claim({ now, limit: 100, leaseMs: 60_000, workerId: 'w' }),
        // The claim's head-of-line probes of fifo deliveries.
        deliveries_line_idx: plans.claim({ now, limit: 100, leaseMs: 60_000, workerId: 'w' }),
        deliveries_line_leased_idx: plans.claim({ now, limit: 100, leaseMs: 60_000, workerId: 'w' }),
        deliveries_endpoint_created_idx: plans.listDeliveries({ endpointId: ep.id }),
        deliveries_created_idx: plans.listDeliveries({}),
        deliveries_message_idx: plans.deliveriesOfMessage(m.id),
        deliveries_finished_idx: plans.cleanupDeliveries(now, 100),
        attempts_pkey: plans.complete([outcome]),
        attempts_delivery_idx: plans.listAttempts(d.id),
        incoming_hooks_pkey: plans.getIncomingHook('hook_1'),
        incoming_hooks_token_hash_idx: plans.findIncomingHookByTokenHash('hash'),
        incoming_hooks_owner_idx: plans.listIncomingHooks({ owner: 'acme' }),
        incoming_logs_pkey: plans.cleanupIncomingLogs(now, 100),
        incoming_logs_hook_idx: plans.listIncomingLogs('hook_1', {}),
        incoming_logs_received_idx: plans.cleanupIncomingLogs(now, 100),
        incoming_keys_pkey: plans.rememberIncomingKey('hook_1', 'key', now, now),
        incoming_keys_expires_idx: plans.cleanupIncomingKeys(now, 100),
        schema_migrations_pkey: plans.currentVersion(),
        workers_pkey: workers.record({ id: 'w', host: 'h', pid: 1, startedAt: now, lastSeenAt: now, inFlight: 0, leases: 0 } as never),
        rate_slots_pkey: slots.release('w', [{ endpointId: ep.id, slot: 0, freeAt: now }]),
        breakers_pkey: breakers.get(ep.id),
      }
      const { rows } = await ctx.pool().query<{ name: string }>('SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 ORDER BY 1', [schema])
      expect(rows.map((r) => r.name)).toEqual(Object.keys(byIndex).sort())

      const client = await ctx.pool().connect()
      try {
        // Seq scans off: on these near-empty tables the planner would rightly read the heap; the
        // question is whether the index serves the statement (its columns, predicate and order).
        await client.query('BEGIN')
        await client.query('SET LOCAL enable_seqscan = off')
        for (const [index, plan] of Object.entries(byIndex)) {
          const explained = (await client.query({ text: `EXPLAIN ${plan.text}`, values: plan.values })).rows.map((r) => r['QUERY PLAN'] as string).join('\n')
          expect(explained, `${index} in the plan of:\n${plan.text}`).toContain(index)
        }
      } finally {
        await client.query('ROLLBACK').catch(() => {})
        client.release()
      }
    } finally {
      await store.close()
    }
  })
})
