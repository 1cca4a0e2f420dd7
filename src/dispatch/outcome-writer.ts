import type { DeliveryOutcome, WebhookStore } from '../store/types.js'
import { WriteBatcher } from '../util/write-batcher.js'

/**
 * Collects delivery outcomes and writes them with one `store.complete` call per batch: everything
 * that finished in the same turn of the event loop shares a round trip, and while two batches are
 * being written the outcomes that finish meanwhile wait and go out together in the next one.
 */
export class OutcomeWriter {
  #batcher: WriteBatcher<DeliveryOutcome, undefined>
  #backlog = false

  constructor(store: WebhookStore, maxBatch = 200) {
    this.#batcher = new WriteBatcher({
      // With a backlog (more outcomes are certain to follow), a durable store's write waits up to
      // BACKLOG_WAIT_MS for BACKLOG_BATCH outcomes: fewer statements, each amortised over more rows.
      // The wait holds no send slot (outcomes are recorded after the request's slots are freed).
      linger: store.durable ? () => (this.#backlog ? { minBatch: BACKLOG_BATCH, maxWaitMs: BACKLOG_WAIT_MS } : null) : undefined,
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

  /** Says whether the worker has a backlog (its claims come back full): outcome writes then gather larger batches. */
  set backlog(on: boolean) {
    this.#backlog = on
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

/** Outcomes a durable store's write waits for while the worker has a backlog. */
const BACKLOG_BATCH = 100
/** Longest an outcome waits for that batch, ms. */
const BACKLOG_WAIT_MS = 100
