import { hostname } from 'node:os'
import type { WebhookStore, WorkerRecord } from '../store/types.js'
import type { Clock } from '../types.js'

/** Heartbeats of the worker registry. */
export interface WorkerHeartbeatOptions {
  /** How often a running worker writes its heartbeat, in ms. @default 10_000 */
  intervalMs?: number
  /**
   * A worker not heard from for this long is reported lost (`worker.lost`, with the deliveries
   * still leased to it), in ms. Keep it well above `intervalMs`.
   * @default 3 × intervalMs
   */
  lostAfterMs?: number
  /** Records of workers stopped or lost longer ago than this are deleted, in ms. @default 86_400_000 (24 h) */
  keepStoppedMs?: number
}

/** A worker as `manager.listWorkers()` shows it: its stored record and the state derived from it. */
export interface WorkerInfo extends WorkerRecord {
  /** `active` (heard from in time), `stopped` (stopped cleanly) or `lost` (no heartbeat for `lostAfterMs`). */
  state: 'active' | 'stopped' | 'lost'
}

interface RegistryDeps {
  store: WebhookStore
  clock: Clock
  workerId: string
  inFlight: () => number
  onLost: (worker: WorkerInfo) => void
  onError: (error: unknown) => void
}

/**
 * Writes this worker's heartbeat while it runs, and reports other workers that stopped
 * heartbeating. Each loss is reported by exactly one worker: the store marks and returns a lost
 * worker in one statement. Does nothing on a store without the registry methods.
 */
export class WorkerRegistry {
  readonly #deps: RegistryDeps
  readonly #intervalMs: number
  readonly #lostAfterMs: number
  readonly #keepStoppedMs: number
  #startedAt: Date | null = null
  #timer: NodeJS.Timeout | null = null
  #beat: Promise<void> | null = null

  constructor(deps: RegistryDeps, options: WorkerHeartbeatOptions = {}) {
    this.#deps = deps
    this.#intervalMs = options.intervalMs ?? 10_000
    this.#lostAfterMs = options.lostAfterMs ?? 3 * this.#intervalMs
    this.#keepStoppedMs = options.keepStoppedMs ?? 86_400_000
  }

  /** True when the store keeps a worker registry. */
  get supported(): boolean {
    const s = this.#deps.store
    return typeof s.recordWorker === 'function' && typeof s.listWorkers === 'function' && typeof s.reportLostWorkers === 'function'
  }

  /** Writes the first heartbeat, then one every `intervalMs`. */
  async start(): Promise<void> {
    if (!this.supported || this.#timer) return
    this.#startedAt = new Date(this.#deps.clock.now())
    await this.#heartbeat()
    this.#timer = setInterval(() => {
      if (!this.#beat) this.#beat = this.#heartbeat().finally(() => (this.#beat = null))
    }, this.#intervalMs)
    this.#timer.unref()
  }

  /** Stops heartbeating and records the worker as stopped. */
  async stop(): Promise<void> {
    if (!this.#timer) return
    clearInterval(this.#timer)
    this.#timer = null
    await this.#beat
    await this.#write(new Date(this.#deps.clock.now())).catch(this.#deps.onError)
  }

  /** Every worker the store knows, most recently seen first. */
  async list(): Promise<WorkerInfo[]> {
    if (!this.supported) return []
    const now = this.#deps.clock.now()
    return (await this.#deps.store.listWorkers!()).map((w) => this.#info(w, now))
  }

  async #heartbeat(): Promise<void> {
    const { store, clock } = this.#deps
    try {
      await this.#write(null)
      const now = clock.now()
      const lost = await store.reportLostWorkers!(new Date(now - this.#lostAfterMs), new Date(now))
      for (const w of lost) this.#deps.onLost(this.#info(w, now))
      await store.pruneWorkers?.(new Date(now - this.#keepStoppedMs))
    } catch (error) {
      this.#deps.onError(error)
    }
  }

  #write(stoppedAt: Date | null): Promise<void> {
    return this.#deps.store.recordWorker!({
      id: this.#deps.workerId,
      host: hostname(),
      pid: process.pid,
      startedAt: this.#startedAt ?? new Date(this.#deps.clock.now()),
      lastSeenAt: new Date(this.#deps.clock.now()),
      inFlight: this.#deps.inFlight(),
      stoppedAt,
    })
  }

  #info(w: WorkerRecord, now: number): WorkerInfo {
    const state = w.stoppedAt !== null ? 'stopped' : w.lostAt !== null || w.lastSeenAt.getTime() < now - this.#lostAfterMs ? 'lost' : 'active'
    return { ...w, state }
  }
}
