import type { DeliveryStats, DeliveryStatus, IncomingStats } from '../../types.js'
import { summarizeIncomingStats, summarizeStats } from '../stats.js'
import { toDate, type SqlRow } from './codec.js'

/** Attempt aggregates computed by the database instead of loading every duration. */
export interface AttemptAggregates {
  /** Number of attempts. */
  count: number
  /** Sum of their durations in ms. */
  sumDurationMs: number
  /** Nearest-rank 95th percentile duration in ms (the `ceil(0.95 × count)`-th smallest), or `null`. */
  p95DurationMs: number | null
  /** Start of the most recent attempt, or `null`. */
  lastAttemptAt: Date | null
}

/**
 * {@link DeliveryStats} from per-status counts and database-side attempt aggregates. The state
 * counts and success rate come from the shared `summarizeStats`; mean and p95 use the same
 * definitions (mean rounded to 2 decimals, nearest-rank p95) so every store answers alike.
 */
export function statsFromAggregates(counts: Record<DeliveryStatus, number>, attempts: AttemptAggregates): DeliveryStats {
  const base = summarizeStats(counts, [], attempts.lastAttemptAt)
  if (attempts.count === 0) return base
  return {
    ...base,
    attempts: attempts.count,
    averageDurationMs: Math.round((attempts.sumDurationMs / attempts.count) * 100) / 100,
    p95DurationMs: attempts.p95DurationMs,
  }
}

export { p95Offset } from '../stats.js'

/**
 * Per-status rows of an incoming log (`status`, `n`, `total` duration, `last` arrival in ms) →
 * the request count, for the p95 lookup, and a function that builds the {@link IncomingStats}.
 */
export function incomingStatsFromRows(rows: readonly SqlRow[]): { count: number; build(p95DurationMs: number | null): IncomingStats } {
  const byStatus = new Map<number, number>()
  let count = 0
  let sumDurationMs = 0
  let last: number | null = null
  for (const row of rows) {
    const n = Number(row.n)
    byStatus.set(Number(row.status), n)
    count += n
    sumDurationMs += Number(row.total ?? 0)
    if (row.last !== null && row.last !== undefined && (last === null || Number(row.last) > last)) last = Number(row.last)
  }
  return {
    count,
    build: (p95DurationMs) => summarizeIncomingStats({ byStatus, sumDurationMs, p95DurationMs, lastReceivedAt: last === null ? null : toDate(last) }),
  }
}
