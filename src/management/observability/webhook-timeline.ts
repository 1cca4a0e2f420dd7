import type { WebhookManager } from '../../manager/webhook-manager.js'
import { p95Offset } from '../../store/stats.js'
import type { Delivery } from '../../types.js'

/** Most deliveries a timeline reads (the newest in its window). */
export const TIMELINE_MAX_DELIVERIES = 2000
/** Most deliveries whose attempts are read for the latency series (the newest with attempts). */
export const TIMELINE_MAX_LATENCY_SAMPLES = 300
const PAGE = 500
const ATTEMPT_READS_AT_ONCE = 8

/** One time bucket of a timeline. */
export interface TimelineBucket {
  start: Date
  total: number
  succeeded: number
  failed: number
  dead: number
  pending: number
  successRate: number | null
  attempts: number
  averageDurationMs: number | null
  p95DurationMs: number | null
}

/** Success rate and latency of an endpoint's deliveries over time, by creation time. */
export interface Timeline {
  since: Date
  until: Date
  bucketMs: number
  /** Deliveries counted; fewer than in the window when `truncated`. */
  deliveries: number
  /** True when the window held more than {@link TIMELINE_MAX_DELIVERIES} deliveries (the oldest were left out). */
  truncated: boolean
  buckets: TimelineBucket[]
}

/**
 * Buckets the newest deliveries of an endpoint created in `[since, until)` by creation time: counts
 * by state and success rate from every delivery read, latency from the attempts of the newest
 * {@link TIMELINE_MAX_LATENCY_SAMPLES} deliveries that have any.
 */
export async function buildTimeline(
  manager: WebhookManager,
  endpointId: string,
  options: { owner?: string; since: Date; until: Date; buckets: number },
): Promise<Timeline> {
  const { since, until } = options
  const span = Math.max(1, until.getTime() - since.getTime())
  const bucketMs = Math.ceil(span / options.buckets)
  const deliveries: Delivery[] = []
  let truncated = false
  for (let offset = 0; ; offset += PAGE) {
    const page = await manager.listDeliveries(endpointId, { owner: options.owner, since, until, limit: PAGE, offset })
    deliveries.push(...page)
    if (page.length < PAGE) break
    if (deliveries.length >= TIMELINE_MAX_DELIVERIES) {
      truncated = true
      deliveries.length = TIMELINE_MAX_DELIVERIES
      break
    }
  }
  const buckets = Array.from({ length: options.buckets }, (_, i) => ({
    start: new Date(since.getTime() + i * bucketMs),
    counts: { succeeded: 0, failed: 0, dead: 0, pending: 0 },
    durations: [] as number[],
  }))
  const indexOf = (d: Delivery) => Math.min(options.buckets - 1, Math.max(0, Math.floor((d.createdAt.getTime() - since.getTime()) / bucketMs)))
  for (const d of deliveries) {
    const b = buckets[indexOf(d)]!
    if (d.status === 'succeeded' || d.status === 'failed' || d.status === 'dead') b.counts[d.status]++
    else b.counts.pending++
  }
  // Newest first already: the latency sample is the most recent activity.
  const sampled = deliveries.filter((d) => d.attempts > 0).slice(0, TIMELINE_MAX_LATENCY_SAMPLES)
  for (let i = 0; i < sampled.length; i += ATTEMPT_READS_AT_ONCE) {
    const slice = sampled.slice(i, i + ATTEMPT_READS_AT_ONCE)
    const logs = await Promise.all(slice.map((d) => manager.store.listAttempts(d.id)))
    slice.forEach((d, j) => {
      for (const a of logs[j]!) if (a.trigger !== 'test') buckets[indexOf(d)]!.durations.push(a.durationMs)
    })
  }
  return {
    since,
    until,
    bucketMs,
    deliveries: deliveries.length,
    truncated,
    buckets: buckets.map(({ start, counts, durations }) => {
      const finished = counts.succeeded + counts.failed + counts.dead
      const sorted = durations.sort((a, b) => a - b)
      const sum = sorted.reduce((s, n) => s + n, 0)
      return {
        start,
        total: finished + counts.pending,
        ...counts,
        successRate: finished === 0 ? null : counts.succeeded / finished,
        attempts: sorted.length,
        averageDurationMs: sorted.length === 0 ? null : Math.round((sum / sorted.length) * 100) / 100,
        p95DurationMs: sorted.length === 0 ? null : sorted[p95Offset(sorted.length)]!,
      }
    }),
  }
}
