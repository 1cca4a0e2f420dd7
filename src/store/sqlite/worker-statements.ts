import type { WorkerHeartbeat } from '../types.js'

/** Statements of the SQLite worker registry (values bound as named parameters; times in ms). */
export const sqliteWorkerStatements = {
  record:
    'INSERT INTO workers (id, host, pid, started_at, last_seen_at, in_flight, stopped_at, lost_at) ' +
    'VALUES (@id, @host, @pid, @started_at, @last_seen_at, @in_flight, @stopped_at, NULL) ' +
    'ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_at = excluded.started_at, ' +
    'last_seen_at = excluded.last_seen_at, in_flight = excluded.in_flight, stopped_at = excluded.stopped_at, lost_at = NULL',
  list: 'SELECT * FROM workers ORDER BY last_seen_at DESC, id',
  reportLost:
    'UPDATE workers SET lost_at = @now, leases = (SELECT count(*) FROM deliveries d WHERE d.status = \'delivering\' AND d.locked_by = workers.id) ' +
    'WHERE stopped_at IS NULL AND lost_at IS NULL AND last_seen_at < @stale_before RETURNING *',
  prune: 'DELETE FROM workers WHERE coalesce(stopped_at, lost_at) < @before',
} as const

/** Bind parameters of a heartbeat. */
export function workerParams(w: WorkerHeartbeat): Record<string, string | number | null> {
  return {
    id: w.id,
    host: w.host,
    pid: w.pid,
    started_at: w.startedAt.getTime(),
    last_seen_at: w.lastSeenAt.getTime(),
    in_flight: w.inFlight,
    stopped_at: w.stoppedAt?.getTime() ?? null,
  }
}
