import type { DeliveryStats, DeliveryStatus, IncomingStats } from '../types.js'

/**
 * Builds {@link DeliveryStats} from per-status counts and attempt durations. Shared by every store
 * so the definitions (success rate, p95) cannot drift between adapters.
 */
export function summarizeStats(
  counts: Record<DeliveryStatus, number>,
  durations: number[],
  lastAttemptAt: Date | null,
): DeliveryStats {
  const finished = counts.succeeded + counts.failed + counts.dead
  const total = counts.pending + counts.delivering + finished
  let averageDurationMs: number | null = null
  let p95DurationMs: number | null = null
  if (durations.length > 0) {
    const sorted = Float64Array.from(durations).sort()
    let sum = 0
    for (const d of sorted) sum += d
    averageDurationMs = Math.round((sum / sorted.length) * 100) / 100
    // Nearest-rank percentile: the smallest duration with at least 95 % of attempts at or below it.
    p95DurationMs = sorted[p95Offset(sorted.length)]!
  }
  return {
    total,
    succeeded: counts.succeeded,
    failed: counts.failed,
    dead: counts.dead,
    pending: counts.pending + counts.delivering,
    attempts: durations.length,
    averageDurationMs,
    p95DurationMs,
    successRate: finished === 0 ? null : counts.succeeded / finished,
    lastAttemptAt,
  }
}

/** Zeroed per-status counts. */
export function emptyCounts(): Record<DeliveryStatus, number> {
  return { pending: 0, delivering: 0, succeeded: 0, failed: 0, dead: 0 }
}

/** What every store computes for {@link summarizeIncomingStats}. */
export interface IncomingAggregates {
  /** Requests per status answered. */
  byStatus: Map<number, number>
  /** Sum of the handling times in ms. */
  sumDurationMs: number
  /** Nearest-rank p95 of the handling times in ms (`null` without requests). */
  p95DurationMs: number | null
  /** Latest arrival (`null` without requests). */
  lastReceivedAt: Date | null
}

/** Builds {@link IncomingStats} with the same definitions in every store. */
export function summarizeIncomingStats(agg: IncomingAggregates): IncomingStats {
  let total = 0
  let succeeded = 0
  const byStatus: Record<string, number> = {}
  for (const status of [...agg.byStatus.keys()].sort((a, b) => a - b)) {
    const n = agg.byStatus.get(status)!
    byStatus[String(status)] = n
    total += n
    if (status >= 200 && status < 300) succeeded += n
  }
  return {
    total,
    succeeded,
    failed: total - succeeded,
    successRate: total === 0 ? null : succeeded / total,
    averageDurationMs: total === 0 ? null : Math.round((agg.sumDurationMs / total) * 100) / 100,
    p95DurationMs: total === 0 ? null : agg.p95DurationMs,
    byStatus,
    lastReceivedAt: total === 0 ? null : agg.lastReceivedAt,
  }
}

/** 0-based offset of the nearest-rank 95th percentile among `count` sorted values. */
export function p95Offset(count: number): number {
  return Math.max(0, Math.ceil(0.95 * count) - 1)
}
