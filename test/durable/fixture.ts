import type { ChildProcess } from 'node:child_process'
import type { WebhookManager, WebhookManagerOptions } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { useDeliveryFixture, type DeliveryFixture } from '../helpers/delivery-fixture.js'
import { PG_URL } from '../helpers/pg.js'
import { startWorker } from './start-worker.js'

/** The multi-worker tests' fixture: the delivery fixture, plus Postgres managers and worker processes. */
export interface DurableFixture extends DeliveryFixture {
  /** A manager on the Postgres `schema` (`egress: allowLoopback`), closed after the test; not started. */
  postgres(schema: string, options?: WebhookManagerOptions): WebhookManager
  /** Starts a worker process (`worker-process.ts`) on `schema`, killed after the test; resolves once it is delivering. */
  startWorker(schema: string, id: string, env?: Record<string, string>): Promise<ChildProcess>
}

/** Registers the hooks of a multi-worker test file (see `useDeliveryFixture`). Call once, at the top level. */
export function useDurableFixture(): DurableFixture {
  const fx = useDeliveryFixture()
  return Object.assign(fx, {
    postgres(schema: string, options: WebhookManagerOptions = {}) {
      return fx.manage({ store: postgresStore({ connectionString: PG_URL, schema }), ...options })
    },
    startWorker(schema: string, id: string, env: Record<string, string> = {}) {
      return startWorker(fx.children, schema, id, env)
    },
  })
}
