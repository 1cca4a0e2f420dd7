import { HooklineError } from '../../errors.js'
import type { WorkerInfo } from '../../manager/worker-registry.js'
import { defineRoute, type Route } from '../route.js'
import { workerListOutput } from './worker-schemas.js'

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString())

/** A worker as the API answers it (snake_case). */
export function workerWire(w: WorkerInfo) {
  return {
    id: w.id,
    host: w.host,
    pid: w.pid,
    state: w.state,
    started_at: w.startedAt.toISOString(),
    last_seen_at: w.lastSeenAt.toISOString(),
    in_flight: w.inFlight,
    stopped_at: iso(w.stoppedAt),
    lost_at: iso(w.lostAt),
    leases: w.leases,
  }
}

/** Routes of the worker registry (operators only: workers belong to no tenant). */
export const workerRoutes: Route[] = [
  defineRoute({
    operationId: 'listWorkers',
    method: 'GET',
    path: '/workers',
    tag: 'Workers',
    summary: 'List the worker processes',
    description:
      'Every worker process sharing the store, most recently seen first, from their heartbeats: id, host, pid, deliveries in flight, ' +
      'and whether it is active, stopped or lost (with the deliveries still leased to it). Tenant-scoped callers are refused (403).',
    response: { status: 200, description: 'The workers.', schema: workerListOutput },
    errors: [403],
    async handle({ manager, scope }) {
      if (scope.owner !== undefined) throw new HooklineError('FORBIDDEN', 'workers are visible to unscoped (operator) callers only', { status: 403 })
      return { status: 200, body: { workers: (await manager.listWorkers()).map(workerWire) } }
    },
  }),
]
