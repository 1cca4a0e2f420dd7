/**
 * How many deliveries a worker holds at most (claimed or handed off, not yet settled) and how many
 * it claims per store round trip, adapted to the backlog. A durable store's claim has a fixed cost
 * per statement that dwarfs its cost per row, so with a backlog the worker claims in hundreds:
 * every claim that comes back full (more is due) doubles the window, up to `10 × concurrency`
 * (at least the base) and never beyond what the worker finishes in a quarter of the lease at its
 * measured rate, so a held delivery does not wait in a queue until its lease runs out. A claim that
 * comes back short (the backlog is gone) returns it to the base: `max(batchSize, 2 × concurrency)`.
 * With `adaptiveBatch: false` (the host chose `batchSize`) the window stays at its base.
 */
export class ClaimWindow {
  readonly #base: number
  readonly #max: number
  readonly #batchSize: number
  readonly #leaseMs: number
  #size: number
  /** Settled deliveries per ms, measured over spans of at least {@link RATE_SPAN_MS}; 0 until known. */
  #rate = 0
  #spanStart: number | null = null
  #spanCount = 0

  constructor(options: { batchSize: number; concurrency: number; leaseMs: number; adaptiveBatch?: boolean }) {
    this.#batchSize = options.batchSize
    this.#leaseMs = options.leaseMs
    this.#base = Math.max(options.batchSize, options.concurrency * 2)
    this.#max = options.adaptiveBatch === false ? this.#base : Math.max(this.#base, options.concurrency * 10)
    this.#size = this.#base
  }

  /** Most deliveries held at once now. */
  get size(): number {
    return this.#size
  }

  /** True while a backlog has grown the window beyond its base. */
  get grown(): boolean {
    return this.#size > this.#base
  }

  /**
   * Smallest claim made while deliveries are active: refill in chunks rather than one claim per
   * finished delivery. A quarter of the base window (with the defaults, 100 held and concurrency
   * 50, the next claim starts while 50 are in flight and 25 still queued); half of a grown one.
   */
  get chunk(): number {
    const chunk = this.grown ? Math.floor(this.#size / 2) : Math.min(this.#batchSize, Math.floor(this.#size / 4))
    return Math.max(1, chunk)
  }

  /** Rows to ask a claim for, given `free` room: at most `batchSize`, or half a grown window. */
  limit(free: number): number {
    return Math.min(free, this.grown ? Math.max(this.#batchSize, this.chunk) : this.#batchSize)
  }

  /** A claim asked for `asked` rows and got `got` (at `now`, ms). */
  claimed(asked: number, got: number): void {
    if (got < asked) {
      this.#size = this.#base
      return
    }
    // Deliveries finished in a quarter of the lease at the measured rate: held ones start well
    // within their lease. Unknown rate (just started, or a clock that does not move): no growth.
    const byLease = Math.floor(this.#rate * (this.#leaseMs / 4))
    this.#size = Math.max(this.#base, Math.min(this.#size * 2, this.#max, byLease))
  }

  /** One held delivery settled (its outcome is being written) at `now`, ms. */
  settled(now: number): void {
    if (this.#spanStart === null) {
      this.#spanStart = now
      return
    }
    this.#spanCount++
    const elapsed = now - this.#spanStart
    if (elapsed < RATE_SPAN_MS) return
    const rate = this.#spanCount / elapsed
    this.#rate = this.#rate === 0 ? rate : (this.#rate + rate) / 2
    this.#spanStart = now
    this.#spanCount = 0
  }
}

/** Shortest span the settle rate is measured over, ms. */
const RATE_SPAN_MS = 250
