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
  /** Outcomes per ms over the last span of at least {@link RATE_SPAN_MS} (an idle gap counts in it). */
  #rate = 0
  #spanStart = 0
  #spanCount = 0
  readonly #now: () => number

  constructor(store: WebhookStore, maxBatch = 200, now: () => number = Date.now) {
    this.#now = now
    this.#batcher = new WriteBatcher({
      // Under load (a backlog, or outcomes arriving at LOADED_RATE or more, as while producers emit
      // and the worker keeps up), a durable store's write waits up to BACKLOG_WAIT_MS for
      // BACKLOG_BATCH outcomes: fewer statements and commits, each amortised over more rows. The
      // wait holds no send slot (outcomes are recorded after the request's slots are freed). An
      // outcome after a quiet spell sees a low rate and is written at once.
      linger: store.durable ? () => (this.#backlog || this.#rate >= LOADED_RATE ? { minBatch: BACKLOG_BATCH, maxWaitMs: BACKLOG_WAIT_MS } : null) : undefined,
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

  /**
   * Queues an outcome; resolves once it is stored (the batcher's own promise: no wrapper per
   * outcome). An `urgent` one (the head of a fifo line, whose next message waits for it) is
   * written without the linger.
   */
  write(outcome: DeliveryOutcome, urgent = false): Promise<undefined> {
    const now = this.#now()
    const elapsed = now - this.#spanStart
    if (elapsed >= RATE_SPAN_MS) {
      this.#rate = this.#spanCount / elapsed
      this.#spanStart = now
      this.#spanCount = 0
    }
    this.#spanCount++
    return this.#batcher.add(outcome, urgent)
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
/** Shortest span the outcome rate is measured over, ms. */
const RATE_SPAN_MS = 100
/** Outcomes per ms from which writes wait for a batch without a backlog (200/s: 20 or more in the wait). */
const LOADED_RATE = 0.2
