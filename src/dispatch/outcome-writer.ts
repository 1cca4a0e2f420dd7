import type { DeliveryOutcome, WebhookStore } from '../store/types.js'

interface Pending {
  outcome: DeliveryOutcome
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Collects delivery outcomes and writes them with one `store.complete` call per batch: everything
 * that finished in the same turn of the event loop (or up to `maxBatch`) shares a round trip.
 */
export class OutcomeWriter {
  #store: WebhookStore
  #maxBatch: number
  #pending: Pending[] = []
  #scheduled = false
  #inFlight = new Set<Promise<void>>()

  constructor(store: WebhookStore, maxBatch = 200) {
    this.#store = store
    this.#maxBatch = maxBatch
  }

  /** Queues an outcome; resolves once it is stored. */
  write(outcome: DeliveryOutcome): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ outcome, resolve, reject })
      if (this.#pending.length >= this.#maxBatch) this.#flush()
      else if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  /** Resolves when every queued outcome has been written (or has failed). */
  async drain(): Promise<void> {
    for (let i = 0; i < 100 && (this.#pending.length > 0 || this.#inFlight.size > 0); i++) {
      if (this.#pending.length > 0) this.#flush()
      await Promise.allSettled([...this.#inFlight])
    }
  }

  #flush(): void {
    this.#scheduled = false
    if (this.#pending.length === 0) return
    const batch = this.#pending.splice(0, this.#pending.length)
    const outcomes = batch.map((p) => p.outcome)
    // Not wrapped in a retry: the store retries transient errors inside `complete` (one retry layer,
    // see src/store/retry.ts). A batch that still fails stays leased and is claimed again after
    // the lease: at-least-once, a repeat but never a loss.
    const run = Promise.resolve()
      .then(() => this.#store.complete(outcomes))
      .then(
        () => {
          for (const p of batch) p.resolve()
        },
        (error: unknown) => {
          for (const p of batch) p.reject(error)
        },
      )
    this.#inFlight.add(run)
    void run.finally(() => this.#inFlight.delete(run))
  }
}
