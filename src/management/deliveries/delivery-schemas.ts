import * as v from 'valibot'
import { dateTimeInput, dateTimeOutput, freeObject, nullableDateTime, pageOutputEntries, pageQueryEntries } from '../common-schemas.js'

/** Delivery states. */
export const deliveryStatus = v.picklist(['pending', 'delivering', 'succeeded', 'failed', 'dead'])

/** Query of `GET /webhooks/:id/deliveries`. */
export const listDeliveriesQuery = v.object({
  status: v.optional(
    v.pipe(v.array(deliveryStatus), v.description('Only these states; repeat the parameter or separate with commas (`status=failed,dead`).')),
  ),
  since: v.optional(dateTimeInput('Created at or after this time.')),
  until: v.optional(dateTimeInput('Created before this time.')),
  ...pageQueryEntries,
})

/** Query of `GET /deliveries`: the filters of a webhook's list, across webhooks. */
export const findDeliveriesQuery = v.object({
  webhook_id: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Only deliveries to this webhook.'))),
  ...listDeliveriesQuery.entries,
})

/** A delivery (one event to one webhook) in an answer. */
export const deliveryOutput = v.object({
  id: v.string(),
  message_id: v.pipe(v.string(), v.description('The event message; also the `id` of the envelope the receiver got.')),
  webhook_id: v.string(),
  event: v.string(),
  ordering_key: v.pipe(v.nullable(v.string()), v.description('The fifo line it waits in (the value of the webhook’s ordering_key, "" without one); null when unordered.')),
  status: deliveryStatus,
  attempts: v.pipe(v.number(), v.description('Attempts made so far.')),
  next_attempt_at: v.pipe(nullableDateTime, v.description('When the next attempt is due.')),
  last_status_code: v.nullable(v.number()),
  last_error: v.nullable(v.string()),
  created_at: dateTimeOutput,
  updated_at: dateTimeOutput,
  completed_at: nullableDateTime,
})

/** One HTTP attempt of a delivery; credentials are redacted (signatures are kept). */
export const attemptOutput = v.object({
  id: v.string(),
  delivery_id: v.string(),
  webhook_id: v.string(),
  attempt: v.pipe(v.number(), v.description('1-based attempt number.')),
  trigger: v.picklist(['automatic', 'manual', 'test']),
  url: v.string(),
  method: v.string(),
  request_headers: v.record(v.string(), v.string()),
  request_body: v.string(),
  response_status: v.nullable(v.number()),
  response_headers: v.nullable(v.record(v.string(), v.string())),
  response_body: v.pipe(v.nullable(v.string()), v.description('Truncated to the manager’s maxResponseBytes.')),
  error: v.nullable(v.string()),
  succeeded: v.boolean(),
  duration_ms: v.number(),
  started_at: dateTimeOutput,
})

/** The event a delivery carries. */
export const messageOutput = v.object({
  id: v.string(),
  event: v.string(),
  data: v.unknown(),
  metadata: v.nullable(freeObject),
  idempotency_key: v.nullable(v.string()),
  owner: v.nullable(v.string()),
  created_at: dateTimeOutput,
})

/** Answer of `GET /deliveries/:id`: the delivery, every attempt (oldest first) and its message. */
export const deliveryDetailOutput = v.object({
  ...deliveryOutput.entries,
  attempt_log: v.array(attemptOutput),
  message: v.pipe(v.nullable(messageOutput), v.description('null when retention already removed it.')),
})

/** Answer of `GET /webhooks/:id/deliveries`. */
export const deliveryListOutput = v.object({ deliveries: v.array(deliveryOutput), ...pageOutputEntries })

export type DeliveryOutput = v.InferOutput<typeof deliveryOutput>
export type AttemptOutput = v.InferOutput<typeof attemptOutput>
export type MessageOutput = v.InferOutput<typeof messageOutput>
export type DeliveryDetailOutput = v.InferOutput<typeof deliveryDetailOutput>
