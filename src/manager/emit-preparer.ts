// Checks what `emit` and `emitMany` are given and builds their messages and deliveries: event name,
// options, the event type's schema, JSON-representable data, and the endpoints that receive it.

import * as v from 'valibot'
import type { EndpointDirectory } from '../endpoints/endpoint-directory.js'
import { orderingKeyOf } from '../endpoints/ordering-key.js'
import { ValidationError, type FieldIssue } from '../errors.js'
import type { EventCatalog } from '../events/event-catalog.js'
import { EVENT_PATTERN, isWildcard } from '../events/match-pattern.js'
import type { Clock, Delivery, Endpoint, Message } from '../types.js'
import { dataJson } from '../util/data-json.js'
import { createId } from '../util/ids.js'
import { unserialisablePath } from '../util/json-path.js'
import { parseInput } from '../validation/parse.js'
import type { EmitOptions } from './manager-types.js'

/** What `emit` accepts as options (the `client` is checked by the store that uses it). */
const EMIT_OPTIONS = v.object({
  metadata: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
  idempotencyKey: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(255, 'must be at most 255 characters'))),
  owner: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(200, 'must be at most 200 characters')))),
  client: v.optional(v.unknown()),
})

/** What an emit without options is given (read only). */
const NO_OPTIONS: v.InferOutput<typeof EMIT_OPTIONS> = Object.freeze({})

/** One checked emit: its message, the endpoints that receive it, and the time it was built. */
export interface PreparedEmit {
  message: Message
  endpoints: Endpoint[]
  now: Date
}

/** One checked item of a batch: its message and one new delivery per receiving endpoint. */
export interface PreparedBatchItem {
  message: Message
  deliveries: Delivery[]
}

export interface EmitPreparerDeps {
  catalog: EventCatalog
  directory: EndpointDirectory
  clock: Clock
  /** The manager option: only registered event types may be emitted. */
  strictEventTypes: boolean
}

export class EmitPreparer {
  readonly #deps: EmitPreparerDeps

  constructor(deps: EmitPreparerDeps) {
    this.#deps = deps
  }

  /** Checks one emit's input and builds its message; finds the endpoints that receive it. */
  async prepare(event: string, data: unknown, options: EmitOptions): Promise<PreparedEmit> {
    if (typeof event !== 'string' || event.length === 0 || event.length > 200 || !EVENT_PATTERN.test(event) || isWildcard(event)) {
      throw new ValidationError('event', [{ field: 'event', message: 'must be a dotted event name such as agent.created (letters, digits, _ and -)' }])
    }
    const { catalog, directory, clock } = this.#deps
    if (this.#deps.strictEventTypes && !catalog.has(event)) {
      throw new ValidationError('event', [{ field: 'event', message: `unknown event type ${JSON.stringify(event)}` }])
    }
    // Most emits pass no options: skip the schema then (emit is the hot path).
    const emitOptions: v.InferOutput<typeof EMIT_OPTIONS> = isEmptyObject(options) ? NO_OPTIONS : parseInput(EMIT_OPTIONS, options, 'emit options')
    const payload = catalog.validate(event, data)
    const owner = emitOptions.owner ?? null
    // The cached index answers without a promise; a stale one is reloaded.
    const endpoints = directory.matchCached(event, payload, owner) ?? (await directory.match(event, payload, owner))
    const now = new Date(clock.now())
    const message: Message = {
      id: createId('msg'),
      event,
      data: payload,
      metadata: emitOptions.metadata ?? null,
      idempotencyKey: emitOptions.idempotencyKey ?? null,
      owner,
      createdAt: now,
    }
    assertJson(message)
    return { message, endpoints, now }
  }

  /**
   * Checks every item of `emitMany` and builds its message and deliveries. Any bad item refuses
   * the batch: one `ValidationError` names each bad field by its index (`items.3.data.x`).
   */
  async prepareBatch(items: readonly unknown[]): Promise<PreparedBatchItem[]> {
    const issues: FieldIssue[] = []
    const prepared: PreparedBatchItem[] = []
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      const at = `items.${i}`
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        issues.push({ field: at, message: 'expected an object with event and data' })
        continue
      }
      const { event, data, ...rest } = item as { event?: unknown; data?: unknown } & EmitOptions
      if (rest.client !== undefined) {
        issues.push({ field: `${at}.client`, message: "is not allowed per item: pass it in emitMany's options, for the whole batch" })
        continue
      }
      try {
        const { message, endpoints, now } = await this.prepare(event as string, data, rest)
        prepared.push({ message, deliveries: endpoints.map((e) => newDelivery(message, e, now)) })
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        for (const f of error.fields) issues.push({ field: f.field ? `${at}.${f.field}` : at, message: f.message })
      }
    }
    if (issues.length > 0) throw new ValidationError('emitMany', issues)
    return prepared
  }
}

/** A new pending delivery of a message to one endpoint, due now (in its line when the endpoint is `fifo`). */
export function newDelivery(message: Message, endpoint: Pick<Endpoint, 'id' | 'ordering' | 'orderingKey'>, now: Date): Delivery {
  return {
    id: createId('dlv'),
    messageId: message.id,
    endpointId: endpoint.id,
    event: message.event,
    orderingKey: orderingKeyOf(endpoint, message),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    lockedUntil: null,
    lockedBy: null,
    lastStatusCode: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
  }
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  for (const _ in value) return false
  return true
}

/**
 * Refuses data or metadata that JSON cannot represent (a BigInt, a circular reference, a throwing
 * `toJSON`) before anything is stored: every store and every envelope serialises them. The data's
 * JSON text is kept for the envelope and the store (`dataJson`), so this costs no extra pass.
 */
function assertJson(message: Message): void {
  // Plain try/catch per field, no callbacks: this runs on every emit.
  try {
    dataJson(message)
  } catch (error) {
    throw unserialisable('data', message.data, error)
  }
  if (message.metadata === null) return
  try {
    JSON.stringify(message.metadata)
  } catch (error) {
    throw unserialisable('metadata', message.metadata, error)
  }
}

/** The error of a field JSON cannot represent, naming the first bad path in it. */
function unserialisable(field: 'data' | 'metadata', value: unknown, error: unknown): ValidationError {
  const reason = error instanceof Error ? error.message : String(error)
  return new ValidationError('emit', [{ field: unserialisablePath(value, field), message: `cannot be sent as JSON (${reason})` }])
}
