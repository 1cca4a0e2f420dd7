import type { WebhookStore } from '../store/types.js'
import type { Clock, RateLimit } from '../types.js'

interface SharedSlotDeps {
  store: WebhookStore
  clock: Clock
  workerId: string
  onError: (error: unknown) => void
}

/** Gives a shared slot back: it comes free `intervalMs` after now when a request was sent (`hold`), else at once. */
export type ReleaseSharedSlot = (hold: boolean) => void

/** Longest single wait before looking at the store's slots again, in ms (another worker may free one early). */
const MAX_WAIT_MS = 1000
/** Wait when every free slot was being taken by someone else at that instant, in ms. */
const CONTENDED_WAIT_MS = 5

/**
 * Rate limits shared by every worker of a store: before a request to a rate-limited endpoint, a
 * worker takes one of the endpoint's `max` slots from the store (`takeRateSlot`), and gives it back
 * `intervalMs` after the request ended. Like the in-process limiter, two requests through one slot
 * reach the receiver at least `intervalMs` apart, now across every process, so no window there
 * holds more than `max`. A slot is held at most until `holdUntil`: a worker that dies holding one
 * frees it by then.
 *
 * Only rate-limited endpoints pay (one store round trip to take a slot, one to give it back); the
 * in-process limiter still runs first, so a worker never asks for more slots than `max`.
 */
export class SharedRateSlots {
  readonly #deps: SharedSlotDeps

  constructor(deps: SharedSlotDeps) {
    this.#deps = deps
  }

  /** True when the store keeps shared slots. */
  static supported(store: WebhookStore): boolean {
    return typeof store.takeRateSlot === 'function' && typeof store.releaseRateSlot === 'function'
  }

  /**
   * Waits for a slot of `endpointId`'s limit. Resolves with its release, or with `null` when
   * `stillWanted()` turned false (the delivery was handed back) or `giveUpAt` (ms) passed first.
   */
  async acquire(endpointId: string, limit: RateLimit, holdUntil: number, giveUpAt: number, stillWanted: () => boolean): Promise<ReleaseSharedSlot | null> {
    const { store, clock, workerId } = this.#deps
    // Bounded: each round waits at least CONTENDED_WAIT_MS until giveUpAt.
    for (let round = 0; round < 1_000_000; round++) {
      if (!stillWanted()) return null
      const now = clock.now()
      if (now >= giveUpAt) return null
      const grant = await store.takeRateSlot!({ endpointId, max: limit.max, workerId, now: new Date(now), holdUntil: new Date(Math.max(holdUntil, now + limit.intervalMs)) })
      if (grant.slot !== undefined) return this.#release(endpointId, grant.slot, limit)
      const wait = Math.min(MAX_WAIT_MS, Math.max(CONTENDED_WAIT_MS, grant.retryAt.getTime() - clock.now()), Math.max(0, giveUpAt - clock.now()))
      await new Promise((resolve) => setTimeout(resolve, wait).unref())
    }
    return null
  }

  #release(endpointId: string, slot: number, limit: RateLimit): ReleaseSharedSlot {
    let released = false
    return (hold) => {
      if (released) return
      released = true
      // +1 ms as in the in-process limiter: clocks and timers round.
      const freeAt = new Date(this.#deps.clock.now() + (hold ? limit.intervalMs + 1 : 0))
      // Not awaited: until it is written the slot stays held until holdUntil, which only errs on the safe side.
      this.#deps.store.releaseRateSlot!(endpointId, slot, this.#deps.workerId, freeAt).catch(this.#deps.onError)
    }
  }
}
