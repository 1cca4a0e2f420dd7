import type { WorkerHeartbeat } from '../types.js'
import { assertSchemaName, type Plan } from './plans.js'

/** Statements of the Postgres worker registry; the schema name is validated, every value bound. */
export function createWorkerPlans(schema: string) {
  assertSchemaName(schema)
  const workers = `"${schema}".workers`
  const deliveries = `"${schema}".deliveries`
  return {
    record: (w: WorkerHeartbeat): Plan => ({
      text:
        `INSERT INTO ${workers} (id, host, pid, started_at, last_seen_at, in_flight, stopped_at, lost_at) ` +
        `VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, ` +
        `started_at = EXCLUDED.started_at, last_seen_at = EXCLUDED.last_seen_at, in_flight = EXCLUDED.in_flight, ` +
        `stopped_at = EXCLUDED.stopped_at, lost_at = NULL, leases = NULL`,
      values: [w.id, w.host, w.pid, w.startedAt, w.lastSeenAt, w.inFlight, w.stoppedAt],
    }),
    list: (): Plan => ({ text: `SELECT * FROM ${workers} ORDER BY last_seen_at DESC, id`, values: [] }),
    // One statement marks and returns: of several workers looking at once, only one gets each row.
    reportLost: (staleBefore: Date, now: Date): Plan => ({
      text:
        `UPDATE ${workers} w SET lost_at = $2, leases = (SELECT count(*) FROM ${deliveries} d WHERE d.status = 'delivering' AND d.locked_by = w.id) ` +
        `WHERE w.stopped_at IS NULL AND w.lost_at IS NULL AND w.last_seen_at < $1 RETURNING w.*`,
      values: [staleBefore, now],
    }),
    prune: (before: Date): Plan => ({ text: `DELETE FROM ${workers} WHERE coalesce(stopped_at, lost_at) < $1`, values: [before] }),
  }
}
