import { EventEmitter } from 'node:events'
import CircuitBreaker from 'opossum'
import type { Clock } from '../types.js'

/** Circuit breaker settings (one breaker per endpoint). */
export interface BreakerOptions {
  /** Consecutive failed attempts that open the breaker. @default 5 */
  failureThreshold: number
  /** How long the breaker stays open before one probe is let through (half-open), in ms. @default 300_000 (5 min) */
  cooldownMs: number
  /** Set to false to turn breakers off. @default true */
  enabled: boolean
}

/** Defaults of {@link BreakerOptions} (seed 002: 5 consecutive failures, 5 minutes). */
export const DEFAULT_BREAKER_OPTIONS: Readonly<BreakerOptions> = Object.freeze({
  failureThreshold: 5,
  cooldownMs: 300_000,
  enabled: true,
})

/** Thrown by {@link EndpointBreakers.run} when the breaker refuses the call; nothing was sent. */
export class BreakerOpenError extends Error {
  constructor(readonly retryAt: number) {
    super('circuit breaker open')
  }
}

/** Thrown inside the breaker to count a failed attempt; carries the attempt's result. */
export class AttemptFailure<T> extends Error {
  constructor(readonly result: T) {
    super('attempt failed')
  }
}

interface Entry {
  breaker: CircuitBreaker<[() => Promise<unknown>], unknown>
  consecutiveFailures: number
  openedAt: number
  probing: boolean
}

/** Listener callbacks for breaker transitions. */
export interface BreakerListener {
  /** The breaker of `endpointId` opened; calls are refused until `retryAt` (ms). */
  opened(endpointId: string, retryAt: number): void
  /** The breaker of `endpointId` closed after a successful probe. */
  closed(endpointId: string): void
  /** The cooldown of `endpointId` ended: the next call is a probe. */
  halfOpen?(endpointId: string): void
}

/** State of one endpoint's breaker in this worker process. */
export interface BreakerState {
  /** `closed` lets calls through; `open` refuses them until `retryAt`; `half-open` lets one probe through. */
  state: 'closed' | 'open' | 'half-open'
  /** Failed attempts in a row since the last success. */
  consecutiveFailures: number
  /** When an open breaker lets a probe through (epoch ms); `null` unless open. */
  retryAt: number | null
}

/**
 * One opossum breaker per endpoint. opossum runs the state machine (open → half-open after the
 * cooldown → closed on a successful probe, re-open on a failed one); we feed it the "N consecutive
 * failures" trip rule, which its rolling-percentage rule cannot express, by opening it ourselves.
 */
export class EndpointBreakers {
  #entries = new Map<string, Entry>()
  #options: BreakerOptions
  #clock: Clock
  #listener: BreakerListener
  // A controller that never rotates: we use neither opossum's rolling stats nor their per-breaker
  // timers. Every breaker listens on it (one per endpoint), so it has no listener limit: the
  // default of 10 printed a MaxListenersExceededWarning from the eleventh endpoint on.
  #buckets = new EventEmitter().setMaxListeners(0)

  constructor(options: BreakerOptions, clock: Clock, listener: BreakerListener) {
    this.#options = options
    this.#clock = clock
    this.#listener = listener
  }

  /** When the breaker of `endpointId` will let a call through again, or `null` when it would now. */
  blockedUntil(endpointId: string): number | null {
    const e = this.#entries.get(endpointId)
    if (!e) return null
    // opossum flips to half-open on its own timer; never answer a time in the past, or callers would spin.
    if (e.breaker.opened) return Math.max(e.openedAt + this.#options.cooldownMs, this.#clock.now() + 50)
    if (e.breaker.halfOpen && e.probing) return this.#clock.now() + Math.min(1000, this.#options.cooldownMs)
    return null
  }

  /** The state of `endpointId`'s breaker; `closed` for an endpoint never called in this process. */
  state(endpointId: string): BreakerState {
    const e = this.#entries.get(endpointId)
    if (!e || !this.#options.enabled) return { state: 'closed', consecutiveFailures: e?.consecutiveFailures ?? 0, retryAt: null }
    if (e.breaker.opened) return { state: 'open', consecutiveFailures: e.consecutiveFailures, retryAt: e.openedAt + this.#options.cooldownMs }
    return { state: e.breaker.halfOpen ? 'half-open' : 'closed', consecutiveFailures: e.consecutiveFailures, retryAt: null }
  }

  /** Counts of breakers by state, over the endpoints this process has called. */
  counts(): Record<BreakerState['state'], number> {
    const counts = { closed: 0, open: 0, 'half-open': 0 }
    for (const id of this.#entries.keys()) counts[this.state(id).state]++
    return counts
  }

  /** Runs `action` under the endpoint's breaker. Rejects with BreakerOpenError (nothing sent) or AttemptFailure. */
  async run<T>(endpointId: string, action: () => Promise<T>): Promise<T> {
    if (!this.#options.enabled) return action()
    const e = this.#entry(endpointId)
    const blocked = this.blockedUntil(endpointId)
    if (blocked !== null) throw new BreakerOpenError(blocked)
    const probe = e.breaker.halfOpen
    if (probe) e.probing = true
    try {
      return (await e.breaker.fire(action)) as T
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') throw new BreakerOpenError(this.blockedUntil(endpointId) ?? this.#clock.now() + 50)
      throw error
    } finally {
      if (probe) e.probing = false
    }
  }

  /** Removes an endpoint's breaker (endpoint deleted or reconfigured). */
  forget(endpointId: string): void {
    const e = this.#entries.get(endpointId)
    if (!e) return
    e.breaker.shutdown()
    this.#entries.delete(endpointId)
  }

  /** Shuts every breaker down (clears opossum's timers). */
  shutdown(): void {
    for (const id of [...this.#entries.keys()]) this.forget(id)
  }

  #entry(endpointId: string): Entry {
    let e = this.#entries.get(endpointId)
    if (e) return e
    const breaker = new CircuitBreaker<[() => Promise<unknown>], unknown>((fn) => fn(), {
      timeout: false,
      resetTimeout: this.#options.cooldownMs,
      // The percentage rule is disabled; the consecutive-failure rule below opens the breaker.
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      errorThresholdPercentage: 100,
      enableSnapshots: false,
      rollingPercentilesEnabled: false,
      rotateBucketController: this.#buckets,
    })
    const entry: Entry = { breaker, consecutiveFailures: 0, openedAt: 0, probing: false }
    breaker.on('success', () => {
      entry.consecutiveFailures = 0
    })
    breaker.on('failure', () => {
      entry.consecutiveFailures++
      if (breaker.closed && entry.consecutiveFailures >= this.#options.failureThreshold) breaker.open()
    })
    breaker.on('open', () => {
      entry.openedAt = this.#clock.now()
      this.#listener.opened(endpointId, entry.openedAt + this.#options.cooldownMs)
    })
    breaker.on('halfOpen', () => this.#listener.halfOpen?.(endpointId))
    breaker.on('close', () => {
      entry.consecutiveFailures = 0
      this.#listener.closed(endpointId)
    })
    this.#entries.set(endpointId, entry)
    return entry
  }
}
