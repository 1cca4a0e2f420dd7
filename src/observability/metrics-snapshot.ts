/** Upper bounds of the attempt-latency histogram buckets, in seconds (Prometheus `le`). */
export const LATENCY_BUCKETS_S: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])

/** A cumulative histogram: `counts[i]` attempts took at most `buckets[i]` seconds. */
export interface LatencyHistogram {
  /** Bucket upper bounds in seconds. */
  buckets: readonly number[]
  /** Cumulative counts per bucket (same length as `buckets`). */
  counts: number[]
  /** Observations in total (the `+Inf` bucket). */
  count: number
  /** Sum of the observations, in seconds. */
  sum: number
}

/**
 * What `manager.getMetrics()` returns: counters since the manager was created and gauges read now,
 * all of this process (each worker process keeps its own; sum them across processes).
 */
export interface MetricsSnapshot {
  /** Events emitted and the deliveries they created. */
  emitted: { messages: number; deliveries: number }
  /** Recorded outcomes of attempts made by the worker, by the state the delivery moved to. */
  deliveries: { succeeded: number; failed: number; dead: number }
  /** Latency of every attempt the worker made (test sends excluded), in seconds. */
  attemptDuration: LatencyHistogram
  /** Deliveries this worker holds: claimed and not yet recorded (`held`), of which queued or being sent (`active`). */
  queue: { held: number; active: number }
  /** Circuit breakers of the endpoints this process has called, by state. */
  breakers: { closed: number; open: number; halfOpen: number }
  /** Requests answered by the incoming handler, by HTTP status (as a string key). */
  incoming: { requests: Record<string, number> }
  /** When the snapshot was taken. */
  takenAt: Date
}

/** Counters a manager keeps for {@link MetricsSnapshot}; each record is a few integer additions. */
export class MetricsCounters {
  emittedMessages = 0
  emittedDeliveries = 0
  succeeded = 0
  failed = 0
  dead = 0
  readonly #counts: number[] = LATENCY_BUCKETS_S.map(() => 0)
  #count = 0
  #sumMs = 0
  readonly #incoming = new Map<number, number>()

  /** One emit that created `deliveries` deliveries. */
  emitted(deliveries: number): void {
    this.emittedMessages++
    this.emittedDeliveries += deliveries
  }

  /** One recorded attempt outcome. */
  outcome(status: string, durationMs: number): void {
    if (status === 'succeeded') this.succeeded++
    else if (status === 'dead') this.dead++
    else if (status === 'failed') this.failed++
    this.#count++
    this.#sumMs += durationMs
    const seconds = durationMs / 1000
    // Non-cumulative here; the snapshot accumulates.
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
      if (seconds <= LATENCY_BUCKETS_S[i]!) {
        this.#counts[i]!++
        break
      }
    }
  }

  /** One request answered by the incoming handler. */
  incoming(status: number): void {
    this.#incoming.set(status, (this.#incoming.get(status) ?? 0) + 1)
  }

  /** The latency histogram, cumulative. */
  histogram(): LatencyHistogram {
    let running = 0
    const counts = this.#counts.map((n) => (running += n))
    return { buckets: LATENCY_BUCKETS_S, counts, count: this.#count, sum: this.#sumMs / 1000 }
  }

  /** Incoming requests by status. */
  incomingByStatus(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const status of [...this.#incoming.keys()].sort((a, b) => a - b)) out[String(status)] = this.#incoming.get(status)!
    return out
  }
}
