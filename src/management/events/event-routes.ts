import { toJsonSchema } from '@valibot/to-json-schema'
import { defineRoute, type Route } from '../route.js'
import { ownerForWrite } from '../scope.js'
import type * as v from 'valibot'
import { ValidationError } from '../../errors.js'
import type { EmitResult } from '../../manager/manager-types.js'
import { eventTypeListOutput, MAX_TRIGGER_BATCH, triggerBody, triggerRequestBody, triggerResponse } from './event-schemas.js'

/**
 * A ValidationError of an array body with its fields named as the body's own issues are: under
 * `index` when given (`3.owner`), else with the manager's `items.` prefix dropped (`3.data.x`).
 */
function renameFields(error: unknown, index: string | null): unknown {
  if (!(error instanceof ValidationError)) return error
  const rename = (field: string): string => (index !== null ? (field ? `${index}.${field}` : index) : field.replace(/^items\./, ''))
  return new ValidationError('request body', error.fields.map((f) => ({ ...f, field: rename(f.field) })), { cause: error })
}

const jsonSchemas = new WeakMap<v.GenericSchema, Record<string, unknown>>()

/**
 * The JSON Schema of an event type's valibot schema (converted once). Checks without a JSON Schema
 * form (custom checks, transforms) are left out: the schema documents, `emit` enforces.
 */
function jsonSchemaOf(schema: v.GenericSchema): Record<string, unknown> {
  let json = jsonSchemas.get(schema)
  if (json === undefined) {
    const { $schema: _, ...rest } = toJsonSchema(schema, { errorMode: 'ignore', target: 'draft-2020-12' }) as Record<string, unknown>
    json = rest
    jsonSchemas.set(schema, json)
  }
  return json
}

/** Routes of the event catalog and the manual trigger. */
export const eventRoutes: Route[] = [
  defineRoute({
    operationId: 'listEventTypes',
    method: 'GET',
    path: '/event-types',
    tag: 'Events',
    summary: 'List the event types',
    description:
      'The event types registered with `manager.registerEventType()`, in name order. Each is named twice, `name` and seed 002’s `type`; ' +
      'a type registered with a valibot schema also carries it as a JSON Schema (`schema`).',
    response: { status: 200, description: 'The catalog.', schema: eventTypeListOutput },
    async handle({ manager }) {
      const types = manager.listEventTypes().map((t) => ({
        name: t.name,
        type: t.name,
        description: t.description,
        has_schema: t.hasSchema,
        ...(t.schema === undefined ? {} : { schema: jsonSchemaOf(t.schema) }),
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
    summary: 'Trigger an event, or many at once',
    description:
      'Emits the event as `manager.emit()` would: one delivery per active webhook subscribed to it (of the caller’s tenant), sent by the worker. ' +
      'Data is validated against the event type’s schema when it has one. ' +
      `An array of up to ${MAX_TRIGGER_BATCH} events is stored in one transaction, as \`manager.emitMany()\` does: every event is checked first, ` +
      'and one invalid event refuses the whole array (each bad field named by its index, e.g. `3.data.x`); the answer is `{ events: [...] }`, one result per event, in order.',
    body: triggerRequestBody,
    bodyRequired: true,
    response: { status: 202, description: 'Stored; the worker delivers it.', schema: triggerResponse },
    errors: [413, 415],
    async handle({ manager, body, scope }) {
      const toItem = (b: v.InferOutput<typeof triggerBody>) => ({
        event: b.event,
        data: b.data === undefined ? {} : b.data,
        metadata: b.metadata,
        idempotencyKey: b.idempotency_key,
        owner: ownerForWrite(scope, b.owner) ?? null,
      })
      const toWire = (r: EmitResult) => ({ message_id: r.messageId, delivery_ids: r.deliveryIds, duplicate: r.duplicate })
      const b = body!
      if (!Array.isArray(b)) {
        const { event, data, ...options } = toItem(b)
        return { status: 202, body: toWire(await manager.emit(event, data, options)) }
      }
      const items = b.map((x, i) => {
        try {
          return toItem(x)
        } catch (error) {
          throw renameFields(error, `${i}`)
        }
      })
      try {
        return { status: 202, body: { events: (await manager.emitMany(items)).map(toWire) } }
      } catch (error) {
        // The manager names items `items.3.data`; the body's own issues read `3.data`.
        throw renameFields(error, null)
      }
    },
  }),
]

