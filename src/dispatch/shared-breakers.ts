import type { BreakerFailureVerdict, BreakerProbeGrant, SharedBreaker, WebhookStore } from '../store/types.js'
import type { Clock } from '../types.js'
import type { BreakerState } from './endpoint-breakers.js'

interface SharedBreakerDeps {
  store: WebhookStore
  clock: Clock
  workerId: string
  /** How old the cached list of open breakers may get before a claim reads it again, in ms. */
  refreshMs: number
  onError: (error: unknown) => void
}

/**
 * Circuit breakers shared by every worker of a store (SQLite, Postgres): the store counts failures
 * over all workers, opens the breaker once, and hands the half-open probe to one worker at a time.
 * This class is a worker's view of it: the store calls, and a cache of the open breakers read at
 * most every `refreshMs` so that claims leave an open endpoint's deliveries in the store (one small
 * read per interval, not per claim), updated at once by the store's answers to this worker.
 *
 * Only failing endpoints pay: a success costs a store write only after a failure, and a healthy
 * endpoint's attempts cost nothing.
 */
export class SharedBreakers {
  readonly #deps: SharedBreakerDeps
  /** Open breakers (half-open included) as last seen, by endpoint id. */
  #open = new Map<string, SharedBreaker>()
  /** When the list was last read (ms), and a count of local updates to tell a stale read from a fresh answer. */
  #readAt = -Infinity
  #changes = 0
  #changedAt = new Map<string, number>()

  constructor(deps: SharedBreakerDeps) {
    this.#deps = deps
  }

  /** True when the store shares breaker state between its workers. */
  static supported(store: WebhookStore): boolean {
    return (
      typeof store.recordBreakerFailure === 'function' &&
      typeof store.recordBreakerSuccess === 'function' &&
      typeof store.takeBreakerProbe === 'function' &&
      typeof store.listOpenBreakers === 'function'
    )
  }

  /** The breaker of `endpointId` as this worker last saw it open, or `undefined`. */
  known(endpointId: string): SharedBreaker | undefined {
    return this.#open.get(endpointId)
  }

  /**
   * Endpoints whose deliveries no worker should claim now: open and not yet due for a probe, or
   * with a probe in flight. Reads the store's open breakers when the cache is older than `refreshMs`.
   */
  async blockedIds(): Promise<string[]> {
    const { store, clock, refreshMs, onError } = this.#deps
    if (clock.now() - this.#readAt >= refreshMs) {
      const mark = this.#changes
      this.#readAt = clock.now()
      try {
        const rows = await store.listOpenBreakers!()
        const fresh = new Map(rows.map((b) => [b.endpointId, b]))
        // Keep what this worker learnt while the read was under way: it is newer than the read.
        for (const [id, seq] of this.#changedAt) {
          if (seq <= mark) continue
          const mine = this.#open.get(id)
          if (mine) fresh.set(id, mine)
          else fresh.delete(id)
        }
        this.#open = fresh
        this.#changedAt.clear()
      } catch (error) {
        onError(error)
      }
    }
    const now = clock.now()
    const ids: string[] = []
    for (const b of this.#open.values()) if (b.retryAt!.getTime() > now || (b.probeUntil?.getTime() ?? 0) > now) ids.push(b.endpointId)
    return ids
  }

  /** Counts a failed attempt (see `WebhookStore.recordBreakerFailure`). */
  async recordFailure(endpointId: string, failureThreshold: number, retryAt: number): Promise<BreakerFailureVerdict> {
    const { store, workerId } = this.#deps
    const verdict = await store.recordBreakerFailure!({ endpointId, workerId, failureThreshold, retryAt: new Date(retryAt) })
    this.#learn(endpointId, verdict.breaker)
    return verdict
  }

  /** Records a success; true when it was this worker's probe and the breaker closed for every worker. */
  async recordSuccess(endpointId: string): Promise<boolean> {
    const closed = await this.#deps.store.recordBreakerSuccess!(endpointId, this.#deps.workerId)
    if (closed) this.#learn(endpointId, null)
    return closed
  }

  /** Tries to take the half-open probe, holding it until `holdUntil` (ms). */
  async takeProbe(endpointId: string, holdUntil: number): Promise<BreakerProbeGrant> {
    const { store, clock, workerId } = this.#deps
    const grant = await store.takeBreakerProbe!({ endpointId, workerId, now: new Date(clock.now()), holdUntil: new Date(holdUntil) })
    this.#learn(endpointId, grant.breaker)
    return grant
  }

  /** Forgets the endpoint's breaker everywhere (it was deleted). */
  clear(endpointId: string): void {
    this.#learn(endpointId, null)
    this.#deps.store.clearBreaker?.(endpointId).catch(this.#deps.onError)
  }

  #learn(endpointId: string, breaker: SharedBreaker | null): void {
    if (breaker && breaker.retryAt !== null) this.#open.set(endpointId, breaker)
    else this.#open.delete(endpointId)
    this.#changedAt.set(endpointId, ++this.#changes)
  }
}

/** A shared breaker as a {@link BreakerState}: no row is closed; an open one is half-open once its `retryAt` has passed. */
export function sharedBreakerState(breaker: SharedBreaker | null, now: number): BreakerState {
  if (!breaker) return { state: 'closed', consecutiveFailures: 0, retryAt: null }
  const retryAt = breaker.retryAt?.getTime() ?? null
  if (retryAt === null) return { state: 'closed', consecutiveFailures: breaker.failures, retryAt: null }
  return retryAt > now ? { state: 'open', consecutiveFailures: breaker.failures, retryAt } : { state: 'half-open', consecutiveFailures: breaker.failures, retryAt: null }
}
