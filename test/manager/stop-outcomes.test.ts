import { describe, expect, it } from 'vitest'
import { postgresStore } from '../../src/store/postgres/index.js'
import type { DeliveryOutcome } from '../../src/store/types.js'
import { PG_URL, pgAvailable } from '../helpers/pg.js'
import { useDeliveryFixture } from '../helpers/delivery-fixture.js'

// A graceful stop while outcomes stream in on Postgres: under load an outcome write lingers up to
// 100 ms for a batch (src/dispatch/outcome-writer.ts), and stop() must not resolve before every
// attempted delivery's outcome is stored.
const fx = useDeliveryFixture()
const COUNT = 200

describe.skipIf(!pgAvailable)('stop() on Postgres while outcomes stream in', () => {
  for (const drain of [true, false]) {
    it(`stop({ drain: ${drain} }) resolves with the outcome of every attempted delivery stored`, async () => {
      const store = postgresStore({ connectionString: PG_URL, schema: fx.pg.schema() })
      const complete = store.complete.bind(store)
      const batches: number[] = []
      store.complete = (outcomes: DeliveryOutcome[]) => (batches.push(outcomes.length), complete(outcomes))
      const manager = fx.manage({ store })
      await manager.createEndpoint({ url: fx.receiver.url, events: ['*'] })
      await manager.start()
      await Promise.all(Array.from({ length: COUNT }, (_, i) => manager.emit('agent.created', { i })))
      // Stop as the last answers come in: their outcomes may still be waiting for a batch.
      await fx.receiver.waitFor(drain ? COUNT : 1, 20_000)
      await manager.stop({ drain })
      const succeeded = await manager.findDeliveries({ status: 'succeeded', limit: COUNT })
      const delivering = await manager.findDeliveries({ status: 'delivering', limit: COUNT })
      // Every answered request's outcome is stored; nothing is left leased to the stopped worker.
      expect(delivering).toEqual([])
      expect(succeeded.length).toBe(fx.receiver.requests.length)
      if (drain) expect(succeeded.length).toBe(COUNT)
      expect(batches.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(succeeded.length)
    })
  }
})
