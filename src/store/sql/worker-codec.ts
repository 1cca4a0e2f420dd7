import { toDate, type SqlRow } from './codec.js'
import type { WorkerRecord } from '../types.js'

/** A `workers` row (SQLite or Postgres) → a record. */
export function decodeWorker(row: SqlRow): WorkerRecord {
  const date = (v: unknown): Date | null => (v === null || v === undefined ? null : toDate(v))
  return {
    id: String(row.id),
    host: String(row.host),
    pid: Number(row.pid),
    startedAt: toDate(row.started_at),
    lastSeenAt: toDate(row.last_seen_at),
    inFlight: Number(row.in_flight),
    stoppedAt: date(row.stopped_at),
    lostAt: date(row.lost_at),
    leases: row.lost_at === null || row.lost_at === undefined || row.leases === null || row.leases === undefined ? null : Number(row.leases),
  }
}
