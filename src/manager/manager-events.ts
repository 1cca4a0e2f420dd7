import { EventEmitter } from 'node:events'
import type { AttemptTrigger, DeliveryStatus } from '../types.js'
import type { WorkerInfo } from './worker-registry.js'

/** Payload of the `delivery.*` lifecycle events. */
export interface DeliveryEvent {
  /** Delivery concerned. */
  deliveryId: string
  /** Its message. */
  messageId: string
  /** Its endpoint. */
  endpointId: string
  /** Event name. */
  event: string
  /** Attempt number that produced this outcome. */
  attempt: number
  /** New delivery state. */
  status: DeliveryStatus
  /** HTTP status of the attempt, if any. */
  statusCode: number | null
  /** Error of the attempt, if any. */
  error: string | null
  /** Attempt duration in ms. */
  durationMs: number
  /** Next automatic attempt (`delivery.failed` only). */
  nextAttemptAt: Date | null
}

/** Payload of `egress.refused`. */
export interface EgressRefusedEvent {
  /** Delivery concerned. */
  deliveryId: string
  /** Its endpoint. */
  endpointId: string
  /** URL the attempt was for. */
  url: string
  /** `destination refused: <address> is <range>`. */
  error: string
  /** What started the attempt. */
  trigger: AttemptTrigger
}

/** Every event a manager emits, with its payload, for the host's logging and metrics. */
export interface WebhookManagerEvents {
  /** An attempt got a 2xx answer. */
  'delivery.succeeded': DeliveryEvent
  /** An attempt failed and a retry is scheduled. */
  'delivery.failed': DeliveryEvent
  /** An attempt failed and no retry is left (or the endpoint answered 410). */
  'delivery.dead': DeliveryEvent
  /**
   * The egress guard refused an attempt's connection (a non-public address that no allow rule
   * admits). The attempt is logged with the reason and the delivery goes `dead` (a test send just
   * fails); `delivery.dead` is emitted too, just before.
   */
  'egress.refused': EgressRefusedEvent
  /** An endpoint was disabled automatically (410 Gone, or failing for too long). */
  'endpoint.disabled': { endpointId: string; reason: string }
  /** An endpoint's circuit breaker opened; its deliveries wait until `retryAt`. */
  'breaker.opened': { endpointId: string; retryAt: Date }
  /** An endpoint's breaker cooldown ended: the next attempt is a probe that closes or re-opens it. */
  'breaker.halfOpen': { endpointId: string }
  /** An endpoint's circuit breaker closed again after a successful probe. */
  'breaker.closed': { endpointId: string }
  /**
   * A worker sharing the store stopped heartbeating (crashed, killed, cut off) and was reported
   * lost, with the deliveries still leased to it; another worker takes those over when their
   * lease runs out. Reported once, by one of the running workers.
   */
  'worker.lost': WorkerInfo
  /** The worker hit an unexpected error (e.g. the database was unreachable); it keeps running. */
  'worker.error': { error: unknown }
}

/** Name of a manager event. */
export type WebhookManagerEventName = keyof WebhookManagerEvents

/** A typed, listener-isolated event emitter: a throwing listener never breaks delivery. */
export class TypedEmitter<Events extends object> {
  #emitter = new EventEmitter()

  constructor() {
    this.#emitter.setMaxListeners(0)
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events & string>(name: K, listener: (payload: Events[K]) => void): () => void {
    this.#emitter.on(name, listener)
    return () => this.off(name, listener)
  }

  /** Adds a listener called once. */
  once<K extends keyof Events & string>(name: K, listener: (payload: Events[K]) => void): () => void {
    this.#emitter.once(name, listener)
    return () => this.off(name, listener)
  }

  /** Removes a listener. */
  off<K extends keyof Events & string>(name: K, listener: (payload: Events[K]) => void): void {
    this.#emitter.off(name, listener)
  }

  /** Emits, swallowing listener errors. */
  emit<K extends keyof Events & string>(name: K, payload: Events[K]): void {
    for (const listener of this.#emitter.listeners(name)) {
      try {
        ;(listener as (p: Events[K]) => void)(payload)
      } catch {
        // A host listener must not break the delivery path.
      }
    }
  }

  /** True when someone listens to `name`. */
  hasListeners(name: keyof Events & string): boolean {
    return this.#emitter.listenerCount(name) > 0
  }
}
