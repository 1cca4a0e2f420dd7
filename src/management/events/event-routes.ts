import { defineRoute, type Route } from '../route.js'
import { ownerForWrite } from '../scope.js'
import { eventTypeListOutput, triggerBody, triggerOutput } from './event-schemas.js'

/** Routes of the event catalog and the manual trigger. */
export const eventRoutes: Route[] = [
  defineRoute({
    operationId: 'listEventTypes',
    method: 'GET',
    path: '/event-types',
    tag: 'Events',
    summary: 'List the event types',
    description: 'The event types registered with `manager.registerEventType()`, in name order.',
    response: { status: 200, description: 'The catalog.', schema: eventTypeListOutput },
    async handle({ manager }) {
      const types = manager.listEventTypes().map((t) => ({
        name: t.name,
        description: t.description,
        has_schema: t.hasSchema,
        ...(t.example === undefined ? {} : { example: t.example }),
      }))
      return { status: 200, body: { event_types: types } }
    },
  }),
  defineRoute({
    operationId: 'triggerEvent',
    method: 'POST',
    path: '/events',
    tag: 'Events',
    summary: 'Trigger an event',
    description:
      'Emits the event as `manager.emit()` would: one delivery per active webhook subscribed to it (of the caller’s tenant), sent by the worker. ' +
      'Data is validated against the event type’s schema when it has one.',
    body: triggerBody,
    bodyRequired: true,
    response: { status: 202, description: 'Stored; the worker delivers it.', schema: triggerOutput },
    errors: [413, 415],
    async handle({ manager, body, scope }) {
      const b = body!
      const owner = ownerForWrite(scope, b.owner)
      const result = await manager.emit(b.event, b.data === undefined ? {} : b.data, {
        metadata: b.metadata,
        idempotencyKey: b.idempotency_key,
        owner: owner ?? null,
      })
      return { status: 202, body: { message_id: result.messageId, delivery_ids: result.deliveryIds, duplicate: result.duplicate } }
    },
  }),
]
