import type { Attempt, AttemptTrigger, Delivery, DeliveryStatus, Message } from '../../types.js'
import { dataJson, rememberDataJson } from '../../util/data-json.js'
import type { HeapItem } from './due-heap.js'

/*
 * The memory store's own records: one small object per message and per delivery, times as
 * numbers (ms relative to the store's creation, so they stay small integers V8 keeps unboxed
 * for ~24 days either way), the message's deliveries and a delivery's attempts held directly
 * (no Map or Set per message), attempt headers as JSON text (two strings instead of two object
 * graphs the garbage collector walks). The public shapes (`Message`, `Delivery`, `Attempt`) are
 * made from them when read.
 */

/** Converts between `Date`s and the store's relative milliseconds. */
export class Times {
  readonly #base: number
  constructor(base = Date.now()) {
    this.#base = base
  }
  of(date: Date): number {
    return date.getTime() - this.#base
  }
  ofNullable(date: Date | null): number | null {
    return date === null ? null : date.getTime() - this.#base
  }
  date(ms: number): Date {
    return new Date(ms + this.#base)
  }
  dateNullable(ms: number | null): Date | null {
    return ms === null ? null : new Date(ms + this.#base)
  }
}

export class MessageRecord {
  /** The message's deliveries: one record, or several when it fanned out. */
  deliveries: DeliveryRecord | DeliveryRecord[] | null = null
  constructor(
    readonly id: string,
    readonly event: string,
    readonly data: unknown,
    /** The JSON text of `data`, as sent. */
    readonly text: string,
    readonly metadata: Record<string, unknown> | null,
    readonly idempotencyKey: string | null,
    readonly owner: string | null,
    readonly createdAt: number,
  ) {}

  static from(message: Message, times: Times): MessageRecord {
    return new MessageRecord(message.id, message.event, message.data, dataJson(message), message.metadata, message.idempotencyKey, message.owner, times.of(message.createdAt))
  }

  addDelivery(d: DeliveryRecord): void {
    if (this.deliveries === null) this.deliveries = d
    else if (Array.isArray(this.deliveries)) this.deliveries.push(d)
    else this.deliveries = [this.deliveries, d]
  }

  deliveryList(): DeliveryRecord[] {
    return this.deliveries === null ? [] : Array.isArray(this.deliveries) ? this.deliveries : [this.deliveries]
  }

  /** A `Message` (a new object; its JSON text is known, so it is never serialised again). */
  toMessage(times: Times): Message {
    const message: Message = {
      id: this.id,
      event: this.event,
      data: this.data,
      metadata: this.metadata,
      idempotencyKey: this.idempotencyKey,
      owner: this.owner,
      createdAt: times.date(this.createdAt),
    }
    rememberDataJson(message, this.text)
    return message
  }
}

export class AttemptRecord {
  constructor(
    readonly id: string,
    readonly endpointId: string,
    readonly attempt: number,
    readonly trigger: AttemptTrigger,
    readonly url: string,
    readonly method: string,
    /** JSON text of the logged request headers. */
    readonly requestHeaders: string,
    readonly requestBody: string,
    readonly responseStatus: number | null,
    readonly responseBody: string | null,
    /** JSON text of the response headers, or null. */
    readonly responseHeaders: string | null,
    readonly error: string | null,
    readonly succeeded: boolean,
    readonly durationMs: number,
    readonly startedAt: number,
  ) {}

  static from(a: Attempt, times: Times): AttemptRecord {
    return new AttemptRecord(
      a.id,
      a.endpointId,
      a.attempt,
      a.trigger,
      a.url,
      a.method,
      JSON.stringify(a.requestHeaders),
      a.requestBody,
      a.responseStatus,
      a.responseBody,
      a.responseHeaders === null ? null : JSON.stringify(a.responseHeaders),
      a.error,
      a.succeeded,
      a.durationMs,
      times.of(a.startedAt),
    )
  }

  toAttempt(deliveryId: string, times: Times): Attempt {
    return {
      id: this.id,
      deliveryId,
      endpointId: this.endpointId,
      attempt: this.attempt,
      trigger: this.trigger,
      url: this.url,
      method: this.method,
      requestHeaders: JSON.parse(this.requestHeaders) as Record<string, string>,
      requestBody: this.requestBody,
      responseStatus: this.responseStatus,
      responseBody: this.responseBody,
      responseHeaders: this.responseHeaders === null ? null : (JSON.parse(this.responseHeaders) as Record<string, string>),
      error: this.error,
      succeeded: this.succeeded,
      durationMs: this.durationMs,
      startedAt: times.date(this.startedAt),
    }
  }
}

export class DeliveryRecord implements HeapItem {
  heapIndex = -1
  dueAt = 0
  seq = 0
  /** Attempts logged, oldest first: one record, or several. */
  log: AttemptRecord | AttemptRecord[] | null = null
  status: DeliveryStatus
  attempts: number
  nextAttemptAt: number | null
  lockedUntil: number | null
  lockedBy: string | null
  lastStatusCode: number | null
  lastError: string | null
  updatedAt: number
  completedAt: number | null
  readonly id: string
  readonly endpointId: string
  /** The fifo line (see `Delivery.orderingKey`); `null` when unordered. */
  readonly orderingKey: string | null
  /** Place in its fifo line (emit order), set when it joins one. */
  order = 0
  readonly createdAt: number

  constructor(
    readonly message: MessageRecord,
    d: Delivery,
    times: Times,
  ) {
    this.id = d.id
    this.endpointId = d.endpointId
    this.orderingKey = d.orderingKey ?? null
    this.status = d.status
    this.attempts = d.attempts
    this.nextAttemptAt = times.ofNullable(d.nextAttemptAt)
    this.lockedUntil = times.ofNullable(d.lockedUntil)
    this.lockedBy = d.lockedBy
    this.lastStatusCode = d.lastStatusCode
    this.lastError = d.lastError
    this.createdAt = times.of(d.createdAt)
    this.updatedAt = times.of(d.updatedAt)
    this.completedAt = times.ofNullable(d.completedAt)
  }

  /** When this delivery can next be claimed, or null when it cannot be by time. */
  claimableAt(): number | null {
    if (this.status === 'delivering') return this.lockedUntil
    if (this.status === 'pending' || this.status === 'failed') return this.nextAttemptAt
    return null
  }

  addAttempt(a: AttemptRecord): void {
    if (this.log === null) this.log = a
    else if (Array.isArray(this.log)) this.log.push(a)
    else this.log = [this.log, a]
  }

  attemptList(): AttemptRecord[] {
    return this.log === null ? [] : Array.isArray(this.log) ? this.log : [this.log]
  }

  get attemptCount(): number {
    return this.log === null ? 0 : Array.isArray(this.log) ? this.log.length : 1
  }

  toDelivery(times: Times): Delivery {
    return {
      id: this.id,
      messageId: this.message.id,
      endpointId: this.endpointId,
      event: this.message.event,
      orderingKey: this.orderingKey,
      status: this.status,
      attempts: this.attempts,
      nextAttemptAt: times.dateNullable(this.nextAttemptAt),
      lockedUntil: times.dateNullable(this.lockedUntil),
      lockedBy: this.lockedBy,
      lastStatusCode: this.lastStatusCode,
      lastError: this.lastError,
      createdAt: times.date(this.createdAt),
      updatedAt: times.date(this.updatedAt),
      completedAt: times.dateNullable(this.completedAt),
    }
  }
}
