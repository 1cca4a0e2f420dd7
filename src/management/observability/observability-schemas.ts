import * as v from 'valibot'
import { dateTimeInput, dateTimeOutput, nullableDateTime } from '../common-schemas.js'

/** Answer of `GET /webhooks/:id/breaker`. */
export const breakerOutput = v.object({
  webhook_id: v.string(),
  state: v.pipe(v.picklist(['closed', 'open', 'half-open']), v.description('`open` refuses attempts until `retry_at`; `half-open` lets one probe through.')),
  consecutive_failures: v.pipe(v.number(), v.description('Failed attempts in a row since the last success.')),
  retry_at: v.pipe(nullableDateTime, v.description('When an open breaker lets a probe through.')),
})

/** Query of `GET /webhooks/:id/timeline`. */
export const timelineQuery = v.object({
  since: v.optional(dateTimeInput('Start of the window. Default: 24 hours before `until`.')),
  until: v.optional(dateTimeInput('End of the window. Default: now.')),
  buckets: v.optional(
    v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be at least 1'), v.maxValue(200, 'must be at most 200'), v.description('Number of time buckets (1–200). Default 24.')),
  ),
})

const timelineBucket = v.object({
  start: dateTimeOutput,
  total: v.number(),
  succeeded: v.number(),
  failed: v.number(),
  dead: v.number(),
  pending: v.number(),
  success_rate: v.pipe(v.nullable(v.number()), v.description('succeeded / (succeeded + failed + dead), 0–1; null when nothing finished.')),
  attempts: v.pipe(v.number(), v.description('Attempts in the latency sample.')),
  average_duration_ms: v.nullable(v.number()),
  p95_duration_ms: v.nullable(v.number()),
})

/** Answer of `GET /webhooks/:id/timeline`. */
export const timelineOutput = v.object({
  webhook_id: v.string(),
  since: dateTimeOutput,
  until: dateTimeOutput,
  bucket_ms: v.number(),
  deliveries: v.pipe(v.number(), v.description('Deliveries counted (the newest 2000 of the window at most).')),
  truncated: v.pipe(v.boolean(), v.description('True when the window held more deliveries than were counted.')),
  buckets: v.array(timelineBucket),
})
