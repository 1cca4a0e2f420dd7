import type { DeliveryStats, DeliveryStatus } from '../types.js'

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
    p95DurationMs = sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)]!
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
