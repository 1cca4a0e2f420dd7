import type { DeliveryStats, DeliveryStatus } from '../../types.js'
import { summarizeStats } from '../stats.js'

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
