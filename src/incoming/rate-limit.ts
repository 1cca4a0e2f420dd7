import type { Clock } from '../types.js'

/** Outcome of {@link SlidingWindowRateLimiter.take}. */
export interface RateLimitDecision {
  /** True when the request may proceed (it was counted). */
  allowed: boolean
  /** Requests still allowed in the current window. */
  remaining: number
  /** When refused: ms until the oldest counted request leaves the window; 0 when allowed. */
  retryAfterMs: number
}

interface Window {
  /** Arrival times in ms, oldest first, from index `start`. */
  stamps: number[]
  start: number
}

/** How often (in `take` calls) idle keys are swept. */
const SWEEP_EVERY = 1024

/**
 * An exact sliding-window limiter kept in memory: at most `limit` requests per key within any
 * `windowMs`. Each key keeps the arrival times still inside the window (never more than `limit`),
 * so memory is bounded by the limits in use; keys idle for a whole window are swept.
 *
 * Counts are per process: with several processes, each allows `limit`.
 *
 * @example
 * const limiter = new SlidingWindowRateLimiter(clock)
 * limiter.take('ih_1', 100) // { allowed: true, remaining: 99, retryAfterMs: 0 }
 */
export class SlidingWindowRateLimiter {
  readonly #clock: Clock
  readonly #windowMs: number
  readonly #windows = new Map<string, Window>()
  #calls = 0

  /**
   * @param clock - time source (inject a fake one in tests)
   * @param windowMs - window length, in ms
   */
  constructor(clock: Clock, windowMs = 60_000) {
    this.#clock = clock
    this.#windowMs = windowMs
  }

  /** Counts one request for `key` if fewer than `limit` arrived within the window. */
  take(key: string, limit: number): RateLimitDecision {
    const now = this.#clock.now()
    if (++this.#calls % SWEEP_EVERY === 0) this.#sweep(now)
    let window = this.#windows.get(key)
    if (window === undefined) {
      window = { stamps: [], start: 0 }
      this.#windows.set(key, window)
    }
    const cutoff = now - this.#windowMs
    const { stamps } = window
    while (window.start < stamps.length && (stamps[window.start] as number) <= cutoff) window.start++
    // A lowered limit leaves extra stamps: keep only the newest `limit`.
    if (stamps.length - window.start > limit) window.start = stamps.length - limit
    if (window.start > 64 && window.start * 2 > stamps.length) {
      window.stamps = stamps.slice(window.start)
      window.start = 0
    }
    const count = window.stamps.length - window.start
    if (count >= limit) {
      const oldest = window.stamps[window.start] as number
      return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, oldest + this.#windowMs - now) }
    }
    window.stamps.push(now)
    return { allowed: true, remaining: limit - count - 1, retryAfterMs: 0 }
  }

  /** Drops the state of a key (e.g. a deleted hook). */
  forget(key: string): void {
    this.#windows.delete(key)
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#windows.size
  }

  #sweep(now: number): void {
    const cutoff = now - this.#windowMs
    for (const [key, window] of this.#windows) {
      const newest = window.stamps[window.stamps.length - 1]
      if (newest === undefined || newest <= cutoff) this.#windows.delete(key)
    }
  }
}
