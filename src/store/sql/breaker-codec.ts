import { toDate, type SqlRow } from './codec.js'
import type { SharedBreaker } from '../types.js'

/** A `breakers` row (SQLite or Postgres) → a shared breaker. */
export function decodeBreaker(row: SqlRow): SharedBreaker {
  const date = (v: unknown): Date | null => (v === null || v === undefined ? null : toDate(v))
  return {
    endpointId: String(row.endpoint_id),
    failures: Number(row.failures),
    retryAt: date(row.retry_at),
    probeBy: row.probe_by === null || row.probe_by === undefined ? null : String(row.probe_by),
    probeUntil: date(row.probe_until),
  }
}
