// The public option and result types of the manager's methods (re-exported by src/index.ts).

import type { EndpointQuery } from '../store/types.js'
import type { Attempt, Delivery, DeliveryStatus, Message } from '../types.js'

/** Map of event names to their payload types, for a type-checked `emit`. */
export type EventMap = Record<string, unknown>

/** Options of `emit`. */
export interface EmitOptions {
  /** Extra data added to the envelope's `metadata`. */
  metadata?: Record<string, unknown>
  /** A repeated emit with the same key returns the first message and sends nothing new. */
  idempotencyKey?: string
  /** Tenant the event belongs to: only that owner's endpoints receive it. @default null (endpoints without owner) */
  owner?: string | null
  /**
   * A database client inside the host's open transaction (Postgres store): the message and its
   * deliveries are written in that transaction (outbox), so a rollback sends nothing.
   */
  client?: unknown
}

/** One event of `emitMany`: what `emit` takes, as one object (`client` goes in `emitMany`'s options). */
export type EmitManyItem<E extends EventMap = EventMap> = {
  [K in keyof E & string]: Omit<EmitOptions, 'client'> & {
    /** Event name. */
    event: K
    /** Its payload. */
    data: E[K]
  }
}[keyof E & string]

/** Options of `emitMany`. */
export interface EmitManyOptions {
  /** As `EmitOptions.client`: the whole batch is written in the host's open transaction. */
  client?: unknown
}

/** Result of `emit`. */
export interface EmitResult {
  /** The message id (the earlier one for a repeated idempotency key). */
  messageId: string
  /** One delivery per matching endpoint. */
  deliveryIds: string[]
  /** True when the idempotency key had been seen and nothing new was stored. */
  duplicate: boolean
}

/** Scopes a call to one tenant: records of other owners read as not found. */
export interface OwnerScope {
  /** Tenant the caller acts for; omit for unscoped (operator) access. */
  owner?: string | null
}

/** Options of `listEndpoints`. */
export interface ListEndpointsOptions extends EndpointQuery {
  /** Include each endpoint's current signing secret and unredacted credentials. @default false */
  includeSecrets?: boolean
  /**
   * Only endpoints subscribed to this event (by an exact name or a wildcard pattern), active or
   * not; `limit` and `offset` count the matching ones.
   * @example { event: 'agent.created' } // endpoints with 'agent.created', 'agent.*' or '*'
   */
  event?: string
}

/** Options of `listDeliveries`. */
export interface ListDeliveriesOptions {
  /** Only deliveries in these states. */
  status?: DeliveryStatus | DeliveryStatus[]
  /** Created at or after. */
  since?: Date
  /** Created before. */
  until?: Date
  /** Page size. @default 50 */
  limit?: number
  /** Rows to skip. @default 0 */
  offset?: number
}

/** A delivery with its attempts (oldest first) and message. */
export interface DeliveryDetail extends Delivery {
  /** Every attempt made. */
  attemptLog: Attempt[]
  /** The message delivered (`null` if retention removed it). */
  message: Message | null
}

/** Options of `testEndpoint`. */
export interface TestEndpointOptions {
  /** Event name of the test message. @default 'webhook.test' */
  event?: string
  /** Payload. @default the event type's example, else `{ test: true }` */
  data?: unknown
}

/** Options of `cleanup`. */
export interface CleanupOptions {
  /** Delete what finished before this time (a Date) or longer ago than this many ms. @default 30 days */
  olderThan?: Date | number
}

/** Options of `findDeliveries`: the filters of `listDeliveries`, across endpoints. */
export interface FindDeliveriesOptions extends ListDeliveriesOptions, OwnerScope {
  /** Only deliveries to this endpoint. */
  endpointId?: string
}

/** Options of `replayDeliveries`. */
export interface ReplayOptions extends OwnerScope {
  /** Only deliveries to this endpoint. */
  endpointId?: string
  /** Only deliveries created at or after this time. */
  since?: Date
  /** Only deliveries created before this time. */
  until?: Date
  /** States to replay. @default ['dead', 'failed'] */
  statuses?: DeliveryStatus[]
}
