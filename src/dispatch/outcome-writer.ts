import type { DeliveryOutcome, WebhookStore } from '../store/types.js'
import { WriteBatcher } from '../util/write-batcher.js'

/**
 * Collects delivery outcomes and writes them with one `store.complete` call per batch: everything
 * that finished in the same turn of the event loop shares a round trip, and while two batches are
 * being written the outcomes that finish meanwhile wait and go out together in the next one.
 */
export class OutcomeWriter {
  #batcher: WriteBatcher<DeliveryOutcome, undefined>

  constructor(store: WebhookStore, maxBatch = 200) {
    this.#batcher = new WriteBatcher({
      // A durable store's write has a fixed cost per statement (and per commit) that dwarfs its
      // per-row cost: one batch in flight lets the next gather everything that finished meanwhile
      // (about twice the rows per write under load). The memory store's write is a function call.
      maxInFlight: store.durable ? 1 : 2,
      maxBatch,
      delay: 'immediate',
      // Not wrapped in a retry: the store retries transient errors inside `complete` (one retry
      // layer, see src/store/retry.ts). A batch that still fails stays leased and is claimed again
      // after the lease: at-least-once, a repeat but never a loss.
      run: async (outcomes) => {
        await store.complete(outcomes)
        return outcomes.map(() => undefined)
      },
    })
  }

  /** Queues an outcome; resolves once it is stored. */
  async write(outcome: DeliveryOutcome): Promise<void> {
    await this.#batcher.add(outcome)
  }

  /** Resolves when every queued outcome has been written (or has failed). */
  drain(): Promise<void> {
    return this.#batcher.drain()
  }
}
