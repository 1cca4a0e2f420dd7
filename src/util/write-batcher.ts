/** Options of {@link WriteBatcher}. */
export interface WriteBatcherOptions<T, R> {
  /**
   * Writes one batch. Resolves with one result per item, in order; a result that is a rejected
   * promise fails that item alone, a rejection of `run` fails every item of the batch.
   */
  run: (items: T[]) => Promise<(R | PromiseLike<R>)[]>
  /** Batches written at once; items added meanwhile wait and go out together in the next one. @default 1 */
  maxInFlight?: number
  /** Most items in one batch. @default 200 */
  maxBatch?: number
  /**
   * `'immediate'`: a batch waits for the end of the current turn of the event loop (`setImmediate`),
   * so everything finished in the same turn shares it. `'none'`: a free slot starts a batch at once
   * (no added latency when idle; under load the items queued behind a busy slot form the batch).
   * @default 'none'
   */
  delay?: 'immediate' | 'none'
  /**
   * While it returns a linger, a batch smaller than `minBatch` waits until that many items are
   * queued or its oldest item has waited `maxWaitMs`: fewer, larger writes when the caller knows
   * more items are coming (a backlog). `drain()` never waits.
   */
  linger?: () => { minBatch: number; maxWaitMs: number } | null
}

interface Queued<T, R> {
  item: T
  /** When it was queued (`Date.now()`), for the linger. */
  at: number
  resolve: (result: R | PromiseLike<R>) => void
  reject: (error: unknown) => void
  /** Someone waits on it (see `add`): its batch does not linger. */
  urgent: boolean
}

/**
 * Group commit for store writes: concurrent callers' items are written in shared batches, with at
 * most `maxInFlight` batches in flight. Under load every round trip (and every commit, with its
 * fsync) carries many items instead of one; when idle an item goes out at once.
 */
export class WriteBatcher<T, R> {
  readonly #run: (items: T[]) => Promise<(R | PromiseLike<R>)[]>
  readonly #maxInFlight: number
  readonly #maxBatch: number
  readonly #delay: 'immediate' | 'none'
  readonly #linger: (() => { minBatch: number; maxWaitMs: number } | null) | undefined
  #queue: Queued<T, R>[] = []
  #inFlight = new Set<Promise<void>>()
  #scheduled = false
  #lingerTimer: NodeJS.Timeout | null = null
  /** Some queued item is urgent. */
  #urgent = false

  constructor(options: WriteBatcherOptions<T, R>) {
    this.#run = options.run
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 1)
    this.#maxBatch = Math.max(1, options.maxBatch ?? 200)
    this.#delay = options.delay ?? 'none'
    this.#linger = options.linger
  }

  /**
   * Queues `item`; resolves with its result once its batch is written. An `urgent` item (more
   * work waits on it) goes out without the linger, with whatever is queued beside it.
   */
  add(item: T, urgent = false): Promise<R> {
    if (urgent) this.#urgent = true
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, at: this.#linger ? Date.now() : 0, resolve, reject, urgent })
      this.#schedule()
    })
  }

  /** Resolves when every queued item has been written (or has failed). */
  async drain(): Promise<void> {
    for (let i = 0; i < 1000 && (this.#queue.length > 0 || this.#inFlight.size > 0); i++) {
      this.#start(true)
      await Promise.allSettled([...this.#inFlight])
    }
  }

  #schedule(): void {
    if (this.#inFlight.size >= this.#maxInFlight) return // a finishing batch starts the next one
    if (this.#delay === 'none' || this.#queue.length >= this.#maxBatch) {
      this.#start()
      return
    }
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#start()
    })
  }

  /** Whether the queued items should wait for more (see `linger`); arms the timer that ends the wait. */
  #lingering(): boolean {
    const linger = this.#urgent ? null : this.#linger?.()
    if (!linger || this.#queue.length >= Math.min(linger.minBatch, this.#maxBatch)) return false
    const waitMs = this.#queue[0]!.at + linger.maxWaitMs - Date.now()
    if (waitMs <= 0) return false
    this.#lingerTimer ??= setTimeout(() => {
      this.#lingerTimer = null
      this.#start()
    }, waitMs)
    return true
  }

  #start(force = false): void {
    while (this.#queue.length > 0 && this.#inFlight.size < this.#maxInFlight) {
      if (!force && this.#lingering()) return
      if (this.#lingerTimer !== null) {
        clearTimeout(this.#lingerTimer)
        this.#lingerTimer = null
      }
      const batch = this.#queue.splice(0, this.#maxBatch)
      if (this.#urgent) this.#urgent = this.#queue.some((q) => q.urgent)
      const written = Promise.resolve()
        .then(() => this.#run(batch.map((q) => q.item)))
        .then((results) => {
          if (!Array.isArray(results) || results.length !== batch.length) {
            throw new TypeError(`a batch of ${batch.length} was written with ${Array.isArray(results) ? results.length : 'no'} results`)
          }
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!)
        })
        .catch((error: unknown) => {
          // Items already resolved ignore this; the others fail with the batch's error.
          for (const q of batch) q.reject(error)
        })
        .finally(() => {
          this.#inFlight.delete(written)
          // Whatever queued up meanwhile has waited a whole round trip already: write it now.
          this.#start()
        })
      this.#inFlight.add(written)
    }
  }
}
