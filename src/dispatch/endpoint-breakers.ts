import { EventEmitter } from 'node:events'
import CircuitBreaker from 'opossum'
import type { BreakerFailureVerdict } from '../store/types.js'
import type { Clock } from '../types.js'
import type { SharedBreakers } from './shared-breakers.js'

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
  /** The shared breaker's answer to this failure (set by the breaker when the store keeps one). */
  verdict?: BreakerFailureVerdict | null
  constructor(readonly result: T) {
    super('attempt failed')
  }
}

interface Entry {
  /** Fired with the action and its argument (see `run`). */
  breaker: CircuitBreaker<[(arg: never) => Promise<unknown>, unknown], unknown>
  consecutiveFailures: number
  /** When the open breaker lets a probe through (ms). */
  retryAt: number
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

/** State of one endpoint's breaker: in this worker process, or shared by every worker when the store keeps breakers. */
export interface BreakerState {
  /** `closed` lets calls through; `open` refuses them until `retryAt`; `half-open` lets one probe through. */
  state: 'closed' | 'open' | 'half-open'
  /** Failed attempts in a row since the last success (over every worker when shared). */
  consecutiveFailures: number
  /** When an open breaker lets a probe through (epoch ms); `null` unless open. */
  retryAt: number | null
}

/**
 * One opossum breaker per endpoint. opossum runs the state machine (open → half-open after the
 * cooldown → closed on a successful probe, re-open on a failed one); we feed it the "N consecutive
 * failures" trip rule, which its rolling-percentage rule cannot express, by opening it ourselves.
 *
 * With `shared` (a store that keeps breakers: SQLite, Postgres) the store decides for every worker:
 * failures are counted there, the failure that reaches the threshold opens it (in the store, then
 * here), a half-open probe goes out only from the worker holding the store's probe lease, and its
 * outcome closes or re-opens it for all. opossum stays this process's breaker, set to the store's
 * verdicts; lifecycle events fire in the worker whose write made the change. Should the store fail,
 * the breaker falls back to this process's own counts until it answers again.
 */
export class EndpointBreakers {
  #entries = new Map<string, Entry>()
  #options: BreakerOptions
  #clock: Clock
  #listener: BreakerListener
  #shared: SharedBreakers | null
  #onError: (error: unknown) => void
  // A controller that never rotates: we use neither opossum's rolling stats nor their per-breaker
  // timers. Every breaker listens on it (one per endpoint), so it has no listener limit: the
  // default of 10 printed a MaxListenersExceededWarning from the eleventh endpoint on.
  #buckets = new EventEmitter().setMaxListeners(0)

  constructor(options: BreakerOptions, clock: Clock, listener: BreakerListener, shared: { breakers: SharedBreakers; onError: (error: unknown) => void } | null = null) {
    this.#options = options
    this.#clock = clock
    this.#listener = listener
    this.#shared = options.enabled ? (shared?.breakers ?? null) : null
    this.#onError = shared?.onError ?? (() => {})
  }

  /** True when the store shares these breakers with other workers. */
  get shared(): boolean {
    return this.#shared !== null
  }

  /**
   * Endpoints whose deliveries should stay in the store for now: those whose shared breaker is
   * open, or half-open with a probe in flight. Empty unless the store shares breakers.
   */
  async blockedIds(): Promise<string[]> {
    return this.#shared ? this.#shared.blockedIds() : []
  }

  /** When the breaker of `endpointId` will let a call through again, or `null` when it would now. */
  blockedUntil(endpointId: string): number | null {
    const e = this.#entries.get(endpointId)
    if (!e) return null
    // opossum flips to half-open on its own timer; never answer a time in the past, or callers would spin.
    if (e.breaker.opened) return Math.max(e.retryAt, this.#clock.now() + 50)
    if (e.probing) return this.#probeWait()
    return null
  }

  /** The state of `endpointId`'s breaker; `closed` for an endpoint never called in this process. */
  state(endpointId: string): BreakerState {
    const e = this.#entries.get(endpointId)
    if (!e || !this.#options.enabled) return { state: 'closed', consecutiveFailures: e?.consecutiveFailures ?? 0, retryAt: null }
    if (e.breaker.opened) return { state: 'open', consecutiveFailures: e.consecutiveFailures, retryAt: e.retryAt }
    return { state: e.breaker.halfOpen ? 'half-open' : 'closed', consecutiveFailures: e.consecutiveFailures, retryAt: null }
  }

  /** Counts of breakers by state, over the endpoints this process has called. */
  counts(): Record<BreakerState['state'], number> {
    const counts = { closed: 0, open: 0, 'half-open': 0 }
    for (const id of this.#entries.keys()) counts[this.state(id).state]++
    return counts
  }

  /**
   * Runs `action(arg)` under the endpoint's breaker. Rejects with BreakerOpenError (nothing sent) or
   * AttemptFailure. `probeHoldUntil` (ms): how long a shared half-open probe taken for this call is
   * held at most (the delivery's lease end). `action` and `arg` are passed apart so that a caller
   * can hand over one function made once instead of a closure per call.
   */
  run<A, T>(endpointId: string, action: (arg: A) => Promise<T>, arg: A, probeHoldUntil?: number): Promise<T> {
    if (!this.#options.enabled) return action(arg)
    const e = this.#entry(endpointId)
    // The common case: this process's own breaker, closed, no probe in flight. opossum counts
    // the call and cannot refuse it (it refuses only when not closed), so there is nothing to
    // add around its promise.
    if (this.#shared === null && e.breaker.closed && !e.probing) return e.breaker.fire(action, arg) as Promise<T>
    return this.#runGuarded(endpointId, e, action, arg, probeHoldUntil)
  }

  /** `run` when the breaker is open, half-open or probing, or shared with the store. */
  async #runGuarded<A, T>(endpointId: string, e: Entry, action: (arg: A) => Promise<T>, arg: A, probeHoldUntil: number | undefined): Promise<T> {
    const blocked = this.blockedUntil(endpointId)
    if (blocked !== null) throw new BreakerOpenError(blocked)
    let probe = e.breaker.halfOpen
    const shared = this.#shared
    const known = shared?.known(endpointId)?.retryAt?.getTime()
    if (known !== undefined && known > this.#clock.now()) {
      // Another worker opened it (this worker's cached read says so): open here too, nothing sent.
      this.#setOpen(e, known)
      throw new BreakerOpenError(known)
    }
    // This call asks for the probe: others wait until its outcome is known.
    const probing = probe || known !== undefined
    if (probing) e.probing = true
    try {
      if (shared && probing) probe = await this.#takeSharedProbe(endpointId, e, probe, probeHoldUntil ?? this.#clock.now() + this.#options.cooldownMs)
      if (shared) return (await e.breaker.fire(() => this.#reportToStore(endpointId, e, probe, action, arg), undefined)) as T
      return (await e.breaker.fire(action, arg)) as T
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') throw new BreakerOpenError(this.blockedUntil(endpointId) ?? this.#clock.now() + 50)
      throw error
    } finally {
      if (probing) e.probing = false
    }
  }

  /**
   * A call to an endpoint whose shared breaker this worker knows open and due, or whose own breaker
   * is half-open: asks the store for the probe. Resolves true when this call is the probe, false
   * when the breaker is closed after all; throws BreakerOpenError when it is open or another worker
   * probes. If the store cannot answer, this process decides alone (`localProbe`).
   */
  async #takeSharedProbe(endpointId: string, e: Entry, localProbe: boolean, holdUntil: number): Promise<boolean> {
    let grant
    try {
      grant = await this.#shared!.takeProbe(endpointId, holdUntil)
    } catch (error) {
      this.#onError(error)
      return localProbe
    }
    if (grant.granted) {
      this.#listener.halfOpen?.(endpointId)
      return true
    }
    const retryAt = grant.breaker?.retryAt?.getTime() ?? null
    if (retryAt === null) {
      // Closed meanwhile (another worker's probe succeeded): a normal call.
      e.breaker.close()
      return false
    }
    const now = this.#clock.now()
    if (retryAt > now) {
      this.#setOpen(e, retryAt)
      throw new BreakerOpenError(retryAt)
    }
    throw new BreakerOpenError(Math.min(grant.breaker!.probeUntil?.getTime() ?? Infinity, this.#probeWait()))
  }

  /** Runs `action` and tells the store its outcome: a failure is counted there (the verdict rides on the error); a success after failures clears them. */
  async #reportToStore<A, T>(endpointId: string, e: Entry, probe: boolean, action: (arg: A) => Promise<T>, arg: A): Promise<T> {
    let result: T
    try {
      result = await action(arg)
    } catch (error) {
      const retryAt = this.#clock.now() + this.#options.cooldownMs
      const verdict = await this.#shared!.recordFailure(endpointId, this.#options.failureThreshold, retryAt).catch((storeError: unknown) => {
        this.#onError(storeError)
        return null
      })
      if (error instanceof AttemptFailure) error.verdict = verdict
      this.#afterSharedFailure(e, endpointId, verdict, probe)
      throw error
    }
    // Only after failures (this worker's) or a probe: a healthy endpoint's successes cost no write.
    if (probe || e.consecutiveFailures > 0) {
      const closed = await this.#shared!.recordSuccess(endpointId).catch((storeError: unknown) => {
        this.#onError(storeError)
        return probe
      })
      if (closed) {
        e.breaker.close()
        this.#listener.closed(endpointId)
      }
    }
    return result
  }

  /** Sets this process's breaker to the store's verdict on a failure (or, without one, to its own count). */
  #afterSharedFailure(e: Entry, endpointId: string, verdict: BreakerFailureVerdict | null, probe: boolean): void {
    const now = this.#clock.now()
    if (verdict === null) {
      // The store did not answer: this process's own rule, as without a shared store.
      if (probe || (e.breaker.closed && e.consecutiveFailures + 1 >= this.#options.failureThreshold)) {
        const retryAt = now + this.#options.cooldownMs
        this.#setOpen(e, retryAt)
        this.#listener.opened(endpointId, retryAt)
      }
      return
    }
    // One less: opossum's failure event, which follows, counts this one.
    e.consecutiveFailures = verdict.breaker.failures - 1
    const retryAt = verdict.breaker.retryAt?.getTime() ?? null
    if (retryAt !== null && retryAt > now) this.#setOpen(e, retryAt)
    if (verdict.opened && retryAt !== null) this.#listener.opened(endpointId, retryAt)
  }

  /**
   * Opens this process's opossum breaker until `retryAt` (ms): opossum half-opens after its
   * `resetTimeout`, read when it opens, so it is set for this opening only.
   */
  #setOpen(e: Entry, retryAt: number): void {
    if (e.breaker.opened && e.retryAt === retryAt) return
    if (e.breaker.opened) e.breaker.close()
    const options = (e.breaker as unknown as { options: { resetTimeout: number } }).options
    options.resetTimeout = Math.max(1, retryAt - this.#clock.now())
    try {
      e.breaker.open()
    } finally {
      options.resetTimeout = this.#options.cooldownMs
    }
    e.retryAt = retryAt
  }

  /** When to look again while a probe is in flight (its outcome decides soon). */
  #probeWait(): number {
    return this.#clock.now() + Math.min(1000, this.#options.cooldownMs)
  }

  /** Removes an endpoint's breaker (endpoint deleted), in the store too when it shares them. */
  forget(endpointId: string): void {
    this.#shared?.clear(endpointId)
    this.#forgetHere(endpointId)
  }

  #forgetHere(endpointId: string): void {
    const e = this.#entries.get(endpointId)
    if (!e) return
    e.breaker.shutdown()
    this.#entries.delete(endpointId)
  }

  /** Shuts every breaker down (clears opossum's timers). */
  shutdown(): void {
    for (const id of [...this.#entries.keys()]) this.#forgetHere(id)
  }

  #entry(endpointId: string): Entry {
    let e = this.#entries.get(endpointId)
    if (e) return e
    const breaker = new CircuitBreaker<[(arg: never) => Promise<unknown>, unknown], unknown>((fn, arg) => fn(arg as never), {
      timeout: false,
      resetTimeout: this.#options.cooldownMs,
      // The percentage rule is disabled; the consecutive-failure rule below opens the breaker.
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      errorThresholdPercentage: 100,
      enableSnapshots: false,
      rollingPercentilesEnabled: false,
      rotateBucketController: this.#buckets,
    })
    const entry: Entry = { breaker, consecutiveFailures: 0, retryAt: 0, probing: false }
    // With a shared store the transitions follow the store's verdicts, and the listener is told by
    // the code that received them (#takeSharedProbe, #reportToStore): opossum's own events stay quiet.
    const local = this.#shared === null
    breaker.on('success', () => {
      entry.consecutiveFailures = 0
    })
    breaker.on('failure', () => {
      entry.consecutiveFailures++
      if (local && breaker.closed && entry.consecutiveFailures >= this.#options.failureThreshold) breaker.open()
    })
    breaker.on('open', () => {
      entry.retryAt = this.#clock.now() + this.#options.cooldownMs
      if (local) this.#listener.opened(endpointId, entry.retryAt)
    })
    breaker.on('halfOpen', () => {
      if (local) this.#listener.halfOpen?.(endpointId)
    })
    breaker.on('close', () => {
      entry.consecutiveFailures = 0
      if (local) this.#listener.closed(endpointId)
    })
    this.#entries.set(endpointId, entry)
    return entry
  }
}
