import * as v from 'valibot'
import type { BodyAlias } from '../route.js'
import { freeObject } from '../common-schemas.js'
import { attemptOutput } from '../deliveries/delivery-schemas.js'

const eventName = v.pipe(
  v.string('must be a string'),
  v.minLength(1, 'must not be empty'),
  v.maxLength(200, 'must be at most 200 characters'),
  v.regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a dotted event name such as agent.created'),
)

/** Body of `POST /events` (manual trigger). */
export const triggerBody = v.strictObject({
  event: v.pipe(eventName, v.description('Event name, e.g. agent.created.')),
  data: v.optional(v.pipe(v.unknown(), v.description('Event payload (any JSON). Default {}.'))),
  metadata: v.optional(v.pipe(freeObject, v.description('Added to the envelope `metadata`.'))),
  idempotency_key: v.optional(
    v.pipe(v.string(), v.minLength(1), v.maxLength(255), v.description('A repeated trigger with the same key returns the first event and sends nothing new.')),
  ),
  owner: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.description('Tenant whose webhooks receive it; only for unscoped callers.')))),
})

/** Most events in one `POST /events` array. */
export const MAX_TRIGGER_BATCH = 1000

/** Body of `POST /events`: one event, or an array of them written together (`manager.emitMany()`). */
export const triggerRequestBody = v.union([
  triggerBody,
  v.pipe(
    v.array(triggerBody),
    v.minLength(1, 'must hold at least one event'),
    v.maxLength(MAX_TRIGGER_BATCH, `must hold at most ${MAX_TRIGGER_BATCH} events`),
    v.description(`Up to ${MAX_TRIGGER_BATCH} events, stored in one transaction: all of them, or (any invalid) none.`),
  ),
])

/** Answer of `POST /events`. */
export const triggerOutput = v.object({
  message_id: v.string(),
  delivery_ids: v.pipe(v.array(v.string()), v.description('One delivery per matching webhook; empty when none matched.')),
  duplicate: v.pipe(v.boolean(), v.description('True when the idempotency key was seen before and nothing new was stored.')),
})

/** Answer of `POST /events` with an array: one result per event, in order. */
export const triggerBatchOutput = v.object({ events: v.array(triggerOutput) })

/** Answer of `POST /events`: one result, or `{ events }` for an array. */
export const triggerResponse = v.union([triggerOutput, triggerBatchOutput])

/** Other names of the test body's `data`: AGiXT's `test_payload` (`test_data` is a field of its own). */
export const testAliases: readonly BodyAlias[] = Object.freeze([{ from: 'test_payload', to: 'data' }])

/** Body of `POST /webhooks/:id/test` (optional). `test_data` is accepted as another name of `data`. */
export const testBody = v.pipe(
  v.strictObject({
    event: v.optional(v.pipe(eventName, v.description('Event name of the test message. Default webhook.test.'))),
    data: v.optional(v.pipe(v.unknown(), v.description('Payload. Default: the event type’s example, else {"test": true}.'))),
    test_data: v.optional(v.pipe(v.unknown(), v.description('Same as `data`.'))),
  }),
  v.check((b) => b.data === undefined || b.test_data === undefined, 'give `data` or `test_data`, not both'),
)

/** Answer of `POST /webhooks/:id/test`. */
export const testOutput = v.object({
  status: v.pipe(v.picklist(['sent', 'failed']), v.description('sent: the receiver answered 2xx.')),
  test_event_id: v.pipe(v.string(), v.description('Message id of the test event.')),
  delivery_id: v.string(),
  attempt: attemptOutput,
})

/** An event type of the catalog. */
export const eventTypeOutput = v.object({
  name: v.string(),
  type: v.pipe(v.string(), v.description('Same as `name` (seed 002’s field).')),
  description: v.nullable(v.string()),
  has_schema: v.pipe(v.boolean(), v.description('True when the data of this event is validated against a schema.')),
  schema: v.optional(v.pipe(v.record(v.string(), v.unknown()), v.description('JSON Schema (draft 2020-12) of the data, when the event type has a schema.'))),
  example: v.optional(v.pipe(v.unknown(), v.description('Example payload.'))),
})

/** Answer of `GET /event-types`. */
export const eventTypeListOutput = v.object({ event_types: v.array(eventTypeOutput) })
