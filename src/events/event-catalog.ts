import type * as v from 'valibot'
import { ValidationError } from '../errors.js'
import { parseInput } from '../validation/parse.js'
import { EVENT_PATTERN, isWildcard } from './match-pattern.js'

/** Definition of an event type in the catalog. */
export interface EventTypeOptions {
  /** What the event means, shown to endpoint owners. */
  description?: string
  /** Valibot schema the event's `data` must satisfy; `emit` rejects data that does not, and sends valid data as given (not the schema's output). */
  schema?: v.GenericSchema
  /** Example payload, used by test sends and documentation. */
  example?: unknown
}

/** An event type as listed by `listEventTypes()`. */
export interface EventType {
  /** Event name, e.g. `agent.created`. */
  name: string
  /** What the event means. */
  description: string | null
  /** True when a schema validates its data. */
  hasSchema: boolean
  /** Example payload. */
  example: unknown
  /** The valibot schema of its data, when it has one (the management API lists it as JSON Schema). */
  schema?: v.GenericSchema
}

interface Entry extends EventType {
  schema: v.GenericSchema | undefined
}

/** The catalog of known event types, with optional payload schemas. */
export class EventCatalog {
  #types = new Map<string, Entry>()

  /** Adds or replaces an event type. */
  register(name: string, options: EventTypeOptions = {}): EventType {
    if (typeof name !== 'string' || !EVENT_PATTERN.test(name) || isWildcard(name)) {
      throw new ValidationError('event type', [{ field: 'name', message: `must be a dotted event name without wildcards, got ${JSON.stringify(name)}` }])
    }
    const entry: Entry = {
      name,
      description: options.description ?? null,
      hasSchema: options.schema !== undefined,
      example: options.example,
      schema: options.schema,
    }
    this.#types.set(name, entry)
    return toPublic(entry)
  }

  /** True when the event type is registered. */
  has(name: string): boolean {
    return this.#types.has(name)
  }

  /** One event type, or undefined. */
  get(name: string): EventType | undefined {
    const e = this.#types.get(name)
    return e && toPublic(e)
  }

  /** Every registered event type, in name order. */
  list(): EventType[] {
    return [...this.#types.values()].sort((a, b) => a.name.localeCompare(b.name)).map(toPublic)
  }

  /**
   * Validates `data` against the event's schema (if any) and returns `data` itself: the payload is
   * sent as given, never the schema's output (valibot's `object` drops unknown keys, and a
   * schema's transforms would change what the emitter passed).
   */
  validate(name: string, data: unknown): unknown {
    const schema = this.#types.get(name)?.schema
    if (schema) parseInput(schema, data, `data for event ${name}`, 'data')
    return data
  }
}

function toPublic(e: Entry): EventType {
  const out: EventType = { name: e.name, description: e.description, hasSchema: e.hasSchema, example: e.example }
  if (e.schema !== undefined) out.schema = e.schema
  return out
}
