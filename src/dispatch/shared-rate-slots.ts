import type { RateSlotRelease, WebhookStore } from '../store/types.js'
import type { Clock, RateLimit } from '../types.js'

interface SharedSlotDeps {
  store: WebhookStore
  clock: Clock
  workerId: string
  onError: (error: unknown) => void
}

/**
 * Gives a shared slot back: it comes free `intervalMs` after now when a request was sent through
 * it (`hold`); when nothing was sent, it is kept for the worker's next request to the endpoint.
 */
export type ReleaseSharedSlot = (hold: boolean) => void

/** What one request asks of {@link SharedRateSlots.acquire}. */
export interface SharedSlotWant {
  /** The latest the request can end, in ms (its attempt's deadline): the slot must stay held in the store until `intervalMs` after it, in case the worker dies sending it. */
  endsBy: number
  /** The slot may stay held until `intervalMs` after this at most, in ms (its delivery's lease end, at least `endsBy`): a worker that dies holding it frees it by then. */
  holdAtMost: number
  /** Stops waiting then, in ms. */
  giveUpAt: number
  /** False once the request is not wanted any more (its delivery was handed back). */
  stillWanted: () => boolean
  /** Requests to the endpoint this worker will send soon, this one included: while free slots abound, a take gets theirs too. */
  demand: () => number
}

/** Longest single wait before looking at the store's slots again, in ms (another worker may free one early, or die holding it). */
const MAX_WAIT_MS = 1000
/** Shortest wait between two looks, in ms. */
const MIN_WAIT_MS = 2
/** Longest wait for a slot to be given back when every one is held: other workers' releases are seen this late at most, in ms. */
const MAX_POLL_MS = 250
/** A slot taken ahead of its request goes back unused when no request took it within this time, in ms. */
const STOCK_MS = 200
/** Releases are gathered this long (at most a quarter of the shortest interval among them) and written together, in ms. */
const RELEASE_DELAY_MS = 10
/** Most slots one statement takes or gives back. */
const BATCH_MAX = 500

interface Waiter {
  /** The hold the slot must have: `endsBy + intervalMs + 1`. */
  holdUntil: number
  /** The longest hold it may have: `holdAtMost + intervalMs + 1`. */
  holdCap: number
  giveUpAt: number
  stillWanted: () => boolean
  resolve: (release: ReleaseSharedSlot | null) => void
}

/** A slot taken and not in use: held in the store until `holdUntil`. */
interface Stocked {
  slot: number
  holdUntil: number
  takenAt: number
}

/** One endpoint's slots as this worker sees them. */
interface EndpointSlots {
  limit: RateLimit
  waiters: Waiter[]
  stock: Stocked[]
  /** Slots handed to requests and not given back yet. */
  granted: number
  demand: () => number
  /** The last take got fewer than it asked for: the limit binds, so no slot is taken ahead of a request. */
  short: boolean
  /** A loop is taking slots for the waiters. */
  pumping: boolean
  /** Ends the loop's wait when it waits for a slot to be given back (every one was held). */
  wakePoll: (() => void) | null
  stockTimer: NodeJS.Timeout | null
}

/**
 * Rate limits shared by every worker of a store: before a request to a rate-limited endpoint, a
 * worker takes one of the endpoint's `max` slots from the store, and gives it back `intervalMs`
 * after the request ended. Like the in-process limiter, two requests through one slot reach the
 * receiver at least `intervalMs` apart, now across every process, so no window there holds more
 * than `max`. A slot is held at most until its request's lease end + `intervalMs`: a worker that
 * dies holding one frees it by then.
 *
 * Only rate-limited endpoints pay, and not one round trip per request: the requests of an endpoint
 * waiting at once share one `takeRateSlots` (and while the limit does not bind, the take gets
 * slots for the worker's next requests too, kept for {@link STOCK_MS}); releases are gathered for
 * a few ms and written in one `releaseRateSlots`. A worker that finds no slot free waits until
 * the earliest time one given back comes free, or, when every slot is held, looks again within a
 * quarter of the interval (and at once when one of its own releases is written). The in-process
 * limiter still runs first, so a worker never asks for more slots than `max`.
 */
export class SharedRateSlots {
  readonly #deps: SharedSlotDeps
  readonly #endpoints = new Map<string, EndpointSlots>()
  #releases: RateSlotRelease[] = []
  #releaseTimer: NodeJS.Timeout | null = null
  #releaseDelay = RELEASE_DELAY_MS
  #flushing: Promise<void> | null = null

  constructor(deps: SharedSlotDeps) {
    this.#deps = deps
  }

  /** True when the store keeps shared slots. */
  static supported(store: WebhookStore): boolean {
    return typeof store.takeRateSlots === 'function' && typeof store.releaseRateSlots === 'function'
  }

  /**
   * Waits for a slot of `endpointId`'s limit. Resolves with its release, or with `null` when
   * `want.stillWanted()` turned false (the delivery was handed back) or `want.giveUpAt` passed first.
   */
  acquire(endpointId: string, limit: RateLimit, want: SharedSlotWant): Promise<ReleaseSharedSlot | null> {
    const e = this.#endpoint(endpointId, limit)
    e.demand = want.demand
    return new Promise((resolve) => {
      e.waiters.push({ holdUntil: want.endsBy + limit.intervalMs + 1, holdCap: Math.max(want.endsBy, want.holdAtMost) + limit.intervalMs + 1, giveUpAt: want.giveUpAt, stillWanted: want.stillWanted, resolve })
      this.#serve(endpointId, e)
      if (e.waiters.length > 0 && !e.pumping) void this.#pump(endpointId, e)
    })
  }

  /** Gives back every slot kept unused and writes the releases still gathered (the worker stops). */
  async drain(): Promise<void> {
    for (const [endpointId, e] of this.#endpoints) this.#returnStock(endpointId, e, 0)
    for (let i = 0; i < 100 && (this.#releases.length > 0 || this.#flushing); i++) {
      if (this.#flushing) await this.#flushing
      else await this.#flush()
    }
  }

  #endpoint(endpointId: string, limit: RateLimit): EndpointSlots {
    let e = this.#endpoints.get(endpointId)
    if (e && (e.limit.max !== limit.max || e.limit.intervalMs !== limit.intervalMs)) {
      // The limit changed: slots kept under the old one go back.
      this.#returnStock(endpointId, e, 0)
      e.limit = limit
      e.short = false
    }
    if (!e) {
      e = { limit, waiters: [], stock: [], granted: 0, demand: () => 1, short: false, pumping: false, wakePoll: null, stockTimer: null }
      this.#endpoints.set(endpointId, e)
    }
    return e
  }

  /** Hands kept slots to waiters (each a slot held long enough for its request), first come first served. */
  #serve(endpointId: string, e: EndpointSlots): void {
    const now = this.#deps.clock.now()
    const left: Waiter[] = []
    for (const w of e.waiters) {
      if (!w.stillWanted() || now >= w.giveUpAt) {
        w.resolve(null)
        continue
      }
      const i = e.stock.findIndex((s) => s.holdUntil >= w.holdUntil)
      if (i < 0) {
        left.push(w)
        continue
      }
      const [s] = e.stock.splice(i, 1)
      e.granted++
      w.resolve(this.#release(endpointId, e, s!))
    }
    e.waiters = left
    // Kept slots whose hold is too short for every request still waiting (those of later claims
    // need longer ones) go back now rather than when they expire.
    if (left.length > 0 && e.stock.length > 0) {
      const shortest = Math.min(...left.map((w) => w.holdUntil))
      const usable = e.stock.filter((s) => s.holdUntil >= shortest)
      if (usable.length < e.stock.length) {
        for (const s of e.stock) if (s.holdUntil < shortest) this.#queueRelease({ endpointId, slot: s.slot, freeAt: new Date(now) }, e.limit)
        e.stock = usable
      }
    }
  }

  /** Takes slots for the endpoint's waiters until none is left, waiting between takes as the store says. */
  async #pump(endpointId: string, e: EndpointSlots): Promise<void> {
    const { store, clock, workerId, onError } = this.#deps
    e.pumping = true
    try {
      // Bounded: each round either serves waiters or waits at least MIN_WAIT_MS, and waiters give up by their giveUpAt.
      for (let round = 0; round < 1_000_000 && e.waiters.length > 0; round++) {
        const limit = e.limit
        // Long enough for the waiting requests and for those of the next STOCK_MS (which end a
        // little later), never past what the shortest lease allows: its request is served.
        const holdUntil = Math.min(Math.max(...e.waiters.map((w) => w.holdUntil)) + STOCK_MS, ...e.waiters.map((w) => w.holdCap))
        const ahead = e.short ? 0 : Math.max(0, e.demand() - e.granted - e.stock.length - e.waiters.length)
        const count = Math.min(limit.max, BATCH_MAX, e.waiters.length + ahead)
        const now = clock.now()
        let retryAt: number | null = null
        try {
          const grant = await store.takeRateSlots!({ endpointId, max: limit.max, count, workerId, now: new Date(now), holdUntil: new Date(holdUntil) })
          if (e.limit !== limit) {
            // The limit changed while the take ran: these slots are the old limit's.
            for (const slot of grant.slots) this.#queueRelease({ endpointId, slot, freeAt: new Date(clock.now()) }, limit)
            continue
          }
          for (const slot of grant.slots) e.stock.push({ slot, holdUntil, takenAt: now })
          this.#armStock(endpointId, e)
          e.short = grant.slots.length < count
          retryAt = grant.retryAt?.getTime() ?? null
        } catch (error) {
          // Reported once per wait of MAX_WAIT_MS, not once per poll.
          onError(error)
          retryAt = clock.now() + MAX_WAIT_MS
        }
        this.#serve(endpointId, e)
        if (e.waiters.length === 0) break
        const at = clock.now()
        const giveUp = Math.min(...e.waiters.map((w) => w.giveUpAt)) - at
        const until = retryAt !== null ? retryAt - at : Math.min(MAX_POLL_MS, limit.intervalMs / 4)
        const wait = Math.max(MIN_WAIT_MS, Math.min(MAX_WAIT_MS, until, giveUp))
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            e.wakePoll = null
            resolve()
          }, wait)
          timer.unref()
          // Every slot is held: one of this worker's own releases being written ends the wait.
          if (retryAt === null)
            e.wakePoll = () => {
              clearTimeout(timer)
              e.wakePoll = null
              resolve()
            }
        })
        this.#serve(endpointId, e)
      }
    } finally {
      e.pumping = false
      this.#armStock(endpointId, e)
    }
  }

  #release(endpointId: string, e: EndpointSlots, s: Stocked): ReleaseSharedSlot {
    let released = false
    const limit = e.limit
    return (hold) => {
      if (released) return
      released = true
      e.granted--
      const now = this.#deps.clock.now()
      if (!hold && e.limit === limit) {
        // Nothing was sent through it: still held, so kept for the next request (or given back unused).
        e.stock.push(s)
        this.#serve(endpointId, e)
        this.#armStock(endpointId, e)
        return
      }
      // +1 ms as in the in-process limiter: clocks and timers round.
      this.#queueRelease({ endpointId, slot: s.slot, freeAt: new Date(now + (hold ? limit.intervalMs + 1 : 0)) }, limit)
    }
  }

  /** Gives back the kept slots taken `age` ms ago or earlier (0: all), unused: free at once. */
  #returnStock(endpointId: string, e: EndpointSlots, age: number): void {
    const now = this.#deps.clock.now()
    const keep: Stocked[] = []
    for (const s of e.stock) {
      if (now - s.takenAt >= age) this.#queueRelease({ endpointId, slot: s.slot, freeAt: new Date(now) }, e.limit)
      else keep.push(s)
    }
    e.stock = keep
  }

  /** Kept slots that no request takes within STOCK_MS go back (so an idle worker does not sit on them until their hold ends). */
  #armStock(endpointId: string, e: EndpointSlots): void {
    if (e.stockTimer !== null || e.stock.length === 0) return
    e.stockTimer = setTimeout(() => {
      e.stockTimer = null
      this.#returnStock(endpointId, e, STOCK_MS)
      this.#armStock(endpointId, e)
    }, STOCK_MS)
    e.stockTimer.unref()
  }

  /** Gathers a release; written within RELEASE_DELAY_MS (a quarter of the interval at most), or at once when many are waiting. */
  #queueRelease(release: RateSlotRelease, limit: RateLimit): void {
    this.#releases.push(release)
    const delay = Math.max(0, Math.min(RELEASE_DELAY_MS, limit.intervalMs / 4))
    if (this.#releases.length >= BATCH_MAX) return void this.#flush()
    if (this.#flushing) {
      // Written by the next flush, which the current one starts when it ends.
      this.#releaseDelay = Math.min(this.#releaseDelay, delay)
      return
    }
    if (this.#releaseTimer !== null && delay >= this.#releaseDelay) return
    if (this.#releaseTimer !== null) clearTimeout(this.#releaseTimer)
    this.#releaseDelay = delay
    this.#releaseTimer = setTimeout(() => void this.#flush(), delay)
    this.#releaseTimer.unref()
  }

  #flush(): Promise<void> {
    if (this.#flushing) return this.#flushing
    if (this.#releaseTimer !== null) clearTimeout(this.#releaseTimer)
    this.#releaseTimer = null
    const batch = this.#releases.splice(0, BATCH_MAX)
    if (batch.length === 0) return Promise.resolve()
    this.#releaseDelay = RELEASE_DELAY_MS
    // Until it is written a slot stays held until its hold ends, which only errs on the safe side.
    this.#flushing = this.#deps.store
      .releaseRateSlots!(this.#deps.workerId, batch)
      .catch(this.#deps.onError)
      .finally(() => {
        this.#flushing = null
        for (const endpointId of new Set(batch.map((r) => r.endpointId))) this.#endpoints.get(endpointId)?.wakePoll?.()
        if (this.#releases.length > 0) {
          this.#releaseTimer = setTimeout(() => void this.#flush(), this.#releaseDelay)
          this.#releaseTimer.unref()
        }
      })
    return this.#flushing
  }
}
