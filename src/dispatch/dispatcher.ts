import PQueue from 'p-queue'
import { unreadableSecret } from '../crypto/secret-fields.js'
import type { EndpointDirectory } from '../endpoints/endpoint-directory.js'
import type { ClaimedDelivery, DeliveryOutcome, WebhookStore } from '../store/types.js'
import type { Attempt, AttemptTrigger, Clock, Delivery, Endpoint, Message, RetryPolicy } from '../types.js'
import { createId } from '../util/ids.js'
import { buildBody, buildHeaders, type RequestSettings } from './build-request.js'
import { ClaimWindow } from './claim-window.js'
import type { ConnectionSettings } from './connection-agents.js'
import { AttemptFailure, BreakerOpenError, type EndpointBreakers } from './endpoint-breakers.js'
import type { OutcomeWriter } from './outcome-writer.js'
import { nextAttemptAt, resolveRetryPolicy, retryPolicyProblem } from './retry-policy.js'
import { SharedRateSlots } from './shared-rate-slots.js'
import type { OutgoingRequest, SendResult } from './send-request.js'

/** Tuning of the delivery worker. */
export interface DispatcherOptions {
  /** Requests in flight at once, over all endpoints. @default 50 */
  concurrency: number
  /** Requests in flight at once to one endpoint, unless the endpoint sets its own. @default 10 */
  endpointConcurrency: number
  /** Deliveries claimed per store round trip. @default 100 */
  batchSize: number
  /** Claims grow beyond `batchSize` with a backlog (see `ClaimWindow`); off when the host set `batchSize`. */
  adaptiveBatch?: boolean
  /** How long a claimed delivery stays leased to this worker, in ms. @default 120_000 */
  leaseMs: number
  /** Longest wait between two looks at the store when nothing woke the worker, in ms. @default 1000 */
  pollIntervalMs: number
  /** Request timeout, unless the endpoint sets its own, in ms. @default 10_000 */
  timeoutMs: number
  /** Response body bytes kept in the attempt log. @default 65_536 */
  maxResponseBytes: number
  /** Retry policy, unless the endpoint overrides fields of it. */
  retryPolicy: Partial<RetryPolicy>
  /** Recheck interval for deliveries of paused or disabled endpoints, in ms. @default 60_000 */
  inactiveRecheckMs: number
  /** CONNECT proxy of endpoints that have none of their own. @default null */
  proxy: string | null
}

/** What the dispatcher tells its owner after each outcome is stored. */
export interface OutcomeReport {
  outcome: DeliveryOutcome
  endpoint: Endpoint | undefined
  claimed: ClaimedDelivery
  result: SendResult | null
}

/** Collaborators of the dispatcher. */
export interface DispatcherDeps {
  store: WebhookStore
  clock: Clock
  directory: EndpointDirectory
  breakers: EndpointBreakers
  writer: OutcomeWriter
  send: (request: OutgoingRequest) => Promise<SendResult>
  settings: RequestSettings
  workerId: string
  onOutcome: (report: OutcomeReport) => void
  onError: (error: unknown) => void
  /** Ids of the configured encryption keys, named in the error of an endpoint whose secrets no key opens. */
  encryptionKeyIds?: readonly string[]
}

/**
 * Most deliveries one endpoint may hold in this worker (queued or being sent; not counting those
 * whose outcome is being written): enough to keep its concurrency busy and its rate-limit window
 * full, so a slow or rate-limited endpoint never takes every claim slot. An endpoint that only the
 * global concurrency limits (no rate limit, a concurrency at least the global one) may fill the
 * whole window: its deliveries wait in the global queue like everyone's, within the window's bound.
 */
function endpointCap(endpoint: Endpoint, options: DispatcherOptions, window: number): number {
  const concurrency = endpoint.concurrency ?? options.endpointConcurrency
  const cap = 2 * Math.max(concurrency, endpoint.rateLimit?.max ?? concurrency)
  return !endpoint.rateLimit && concurrency >= options.concurrency ? Math.max(cap, window) : cap
}

const noop = (): void => {}

/** Time kept between the end of an attempt's timeout and the end of its lease, for recording the outcome. */
const LEASE_MARGIN_MS = 500
/** Longest delay `setTimeout` takes (2^31 − 1 ms, about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** An attempt is not started with less lease left than this. */
const MIN_ATTEMPT_MS = 1500

interface EndpointQueue {
  key: string
  /** The endpoint's concurrency. */
  queue: PQueue
  /** No rate limit, and a concurrency at least the global one: `queue` is skipped (see `#process`). */
  direct: boolean
  /** With a rate limit: `max` slots, each held until `intervalMs` after its request ended (see `#queueFor`). */
  rate: { slots: PQueue; holdMs: number } | null
}

/** Per-endpoint count of active deliveries and the most it may have. */
interface EndpointHold {
  count: number
  cap: number
}

/** A delivery held by this worker, from its claim until its outcome is stored. */
interface Held {
  claimed: ClaimedDelivery
  perEndpoint: EndpointHold
  /** Queued or being sent; false once its outcome (or release) is being written. */
  active: boolean
  /** Claimed again while its outcome was being written: release it once that write is done. */
  reclaimed?: boolean
  /** Its task (see `#hold`), from when it starts. */
  task?: Promise<void>
}

/**
 * The delivery worker: claims due deliveries from the store in batches, runs each through its
 * endpoint's p-queue (concurrency and rate limit), the global p-queue and the endpoint's breaker,
 * sends it, and records the outcome.
 */
export class Dispatcher {
  #deps: DispatcherDeps
  #options: DispatcherOptions
  #global: PQueue
  #queues = new Map<string, EndpointQueue>()
  #tasks = new Set<Promise<void>>()
  /** Endpoint records (as loaded) whose undecryptable secrets were already reported through `onError`. */
  #reportedUnreadable = new WeakSet<Endpoint>()
  /**
   * Deliveries claimed by this worker whose outcome is not stored yet, by id. An id stays here until
   * its outcome is written, so a re-claim of it (after its lease ran out) never starts a second task.
   */
  #holding = new Map<string, Held>()
  /**
   * Held deliveries still queued or being sent. Claims are sized by this count, not by `#holding`:
   * a delivery whose outcome is being written no longer needs a send slot, so the next batch is
   * claimed while those writes are in flight instead of after they commit.
   */
  #active = 0
  /** Active deliveries per endpoint, and the most one endpoint may have (so one slow endpoint cannot starve the rest). */
  #heldByEndpoint = new Map<string, EndpointHold>()
  /** Rate-limit slots shared with the other workers of the store, when it keeps them (SQLite, Postgres). */
  #sharedSlots: SharedRateSlots | null
  /** Deliveries waiting in an endpoint queue (not started), with the function that ends their task. */
  #waiting = new Map<string, (nothing: null) => void>()
  /** Most deliveries held at once and the claim sizes, adapted to the backlog. */
  #window: ClaimWindow
  #blockedOnCapacity = false
  /** The last claim left out endpoints at their hold cap: one of them getting room wakes the loop. */
  #waitingOnSaturated = false
  /**
   * The last claim found every due delivery (it returned less than it asked for and left out no
   * endpoint): only then does `lease` hand new deliveries straight to this worker, so they never
   * overtake a backlog waiting in the store. Work stored since is claimed by the next turn of the
   * loop (a wake-up runs it), and once the worker is short of room (`#blockedOnCapacity`) `lease`
   * refuses, so new deliveries queue behind stored ones in the store until a claim catches up.
   */
  #caughtUp = false
  /** Leases refused for want of room so far: a claim that started before one cannot vouch for it. */
  #refusals = 0
  /** Deliveries leased by `lease` whose enqueue has not finished yet, by id. */
  #leased = new Map<string, Held>()
  /** Called once `#leased` is empty (stop waits for in-flight enqueues to be adopted or dropped). */
  #leasedIdle: (() => void)[] = []
  #running = false
  #abandon = false
  #loop: Promise<void> | null = null
  #wakeRequested = false
  #wake: (() => void) | null = null
  /** The loop's poll timer and when it fires (see `#armPoll`). */
  #pollTimer: NodeJS.Timeout | null = null
  #pollAt = Infinity
  #timer: NodeJS.Timeout | null = null
  #timerAt = Infinity
  #unsubscribe: (() => void) | null = null
  /** Deliveries requeued by hand in this process: their next attempt is logged as `manual`. */
  #manual = new Set<string>()

  constructor(deps: DispatcherDeps, options: DispatcherOptions) {
    this.#deps = deps
    this.#options = options
    this.#sharedSlots = SharedRateSlots.supported(deps.store) ? new SharedRateSlots(deps) : null
    this.#global = new PQueue({ concurrency: options.concurrency })
    this.#window = new ClaimWindow(options)
  }

  /** Deliveries this worker holds now: claimed or handed off, queued, being sent or being recorded. */
  get inFlight(): number {
    return this.#holding.size
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running
  }

  /** Deliveries held by this worker (claimed, outcome not stored yet) and, of those, queued or being sent. */
  get load(): { held: number; active: number } {
    return { held: this.#holding.size, active: this.#active }
  }

  /** Starts the worker loop. */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#abandon = false
    this.#caughtUp = false
    this.#unsubscribe = this.#deps.store.onWake?.(() => this.wake()) ?? null
    this.#loop = this.#run()
  }

  /** Asks the worker to look at the store now (new work was enqueued). */
  wake(): void {
    this.#wakeRequested = true
    // Short of room, the loop would only find itself blocked again: `#settle` wakes it once a
    // chunk is free (and the flag set here makes it claim then).
    if (this.#blockedOnCapacity && this.#running) return
    this.#wake?.()
  }

  /** Marks a delivery's next attempt as a manual one (for the attempt log) and wakes the worker. */
  requeued(deliveryId: string): void {
    if (this.#manual.size > 10_000) this.#manual.clear()
    this.#manual.add(deliveryId)
    this.wake()
  }

  /** Makes the worker look at the store at time `at` (ms) at the latest. */
  wakeAt(at: number): void {
    if (!this.#running || at >= this.#timerAt) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timerAt = at
    this.#arm(at)
  }

  /** Sets the `wakeAt` timer; a timer may fire a millisecond before the clock says `at`, so it re-arms until it does. */
  #arm(at: number): void {
    this.#timer = setTimeout(() => {
      if (this.#deps.clock.now() < at && this.#running) return this.#arm(at)
      this.#timer = null
      this.#timerAt = Infinity
      this.wake()
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - this.#deps.clock.now())))
    this.#timer.unref?.()
  }

  /**
   * Stops claiming. With `drain`, every claimed delivery is attempted first; without, requests in
   * flight finish and the deliveries still queued are released to the store, due now.
   */
  async stop({ drain = true }: { drain?: boolean } = {}): Promise<void> {
    if (!this.#running && !this.#loop) return
    this.#running = false
    if (!drain) this.#abandon = true
    this.wake()
    this.#unsubscribe?.()
    this.#unsubscribe = null
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#timerAt = Infinity
    await this.#loop
    this.#loop = null
    this.#clearPoll()
    // Emits that leased deliveries to this worker are still writing them: wait until each is
    // adopted (and so becomes a task below) or dropped.
    if (this.#leased.size > 0) await new Promise<void>((resolve) => this.#leasedIdle.push(resolve))
    if (!drain) await this.#releaseWaiting().catch((error: unknown) => this.#deps.onError(error))
    for (let i = 0; i < 1000 && this.#tasks.size > 0; i++) await Promise.allSettled([...this.#tasks])
    await Promise.all([this.#deps.writer.drain(), this.#sharedSlots?.drain()])
  }

  /**
   * Emit's hand-off. Leases `delivery`, which this process is about to enqueue, to this worker when
   * the worker is running, has caught up with the store and has room for it (its endpoint too):
   * the delivery is marked `delivering` under this worker's lease, so it is stored already claimed
   * and no other worker can take it. Returns whether it did; then exactly one of `adopt` (the
   * enqueue stored it: it is attempted at once, without a claim round trip) or `unlease` (nothing
   * was stored) must follow.
   */
  lease(message: Message, delivery: Delivery, endpoint: Endpoint): boolean {
    // A fifo delivery waits for its turn in its line, which only the store's claim knows.
    if (!this.#running || !this.#caughtUp || delivery.orderingKey !== null) return false
    const cap = endpointCap(endpoint, this.#options, this.#window.grown ? this.#window.size : 0)
    let perEndpoint = this.#heldByEndpoint.get(endpoint.id)
    // A claim in flight was sized before these leases, so the two together may pass the limits
    // by the leases of one round trip; a full claim then ends the hand-offs (not caught up).
    if (this.#blockedOnCapacity || this.#active >= this.#window.size || (perEndpoint && perEndpoint.count >= Math.min(cap, perEndpoint.cap))) {
      // No room: this one is stored pending, and later ones must not overtake it until a claim
      // that started after it has caught up again.
      this.#caughtUp = false
      this.#refusals++
      return false
    }
    if (!perEndpoint) {
      perEndpoint = { count: 0, cap }
      this.#heldByEndpoint.set(endpoint.id, perEndpoint)
    }
    perEndpoint.count++
    this.#active++
    delivery.status = 'delivering'
    delivery.lockedBy = this.#deps.workerId
    delivery.lockedUntil = new Date(this.#deps.clock.now() + this.#options.leaseMs)
    this.#leased.set(delivery.id, { claimed: { delivery, message }, perEndpoint, active: true })
    return true
  }

  /** The enqueue of leased deliveries (see `lease`) is stored: starts them. */
  adopt(deliveryIds: readonly string[]): void {
    for (const id of deliveryIds) {
      const held = this.#leased.get(id)
      if (!held) continue
      this.#leased.delete(id)
      this.#hold(held)
    }
    this.#leasedDone()
  }

  /** The enqueue of leased deliveries (see `lease`) stored nothing (it failed, or was a duplicate): frees their slots. */
  unlease(deliveryIds: readonly string[]): void {
    for (const id of deliveryIds) {
      const held = this.#leased.get(id)
      if (!held) continue
      this.#leased.delete(id)
      this.#settle(held)
    }
    this.#leasedDone()
  }

  #leasedDone(): void {
    if (this.#leased.size > 0 || this.#leasedIdle.length === 0) return
    for (const resolve of this.#leasedIdle.splice(0)) resolve()
  }

  /** Sends one delivery at once, outside the queues and the breaker (test sends). */
  async sendNow(claimed: ClaimedDelivery, endpoint: Endpoint, trigger: AttemptTrigger): Promise<{ attempt: Attempt; outcome: DeliveryOutcome }> {
    const run = (async () => {
      const { settings } = this.#deps
      const startedAt = this.#deps.clock.now()
      const body = buildBody(claimed.message, endpoint.id, settings.envelope)
      const headers = buildHeaders(endpoint, claimed.message, claimed.delivery.id, claimed.delivery.attempts + 1, body, startedAt, settings)
      const result = await this.#deps.send(this.#request(claimed, endpoint, headers.sent, body, startedAt))
      const attempt = this.#attemptOf(claimed, endpoint, trigger, headers.logged, body, result, startedAt)
      const outcome = this.#decide(claimed, endpoint, attempt, result, true)
      await this.#deps.store.complete([outcome])
      this.#deps.onOutcome({ outcome, endpoint, claimed, result })
      return { attempt, outcome }
    })()
    // stop() waits for test sends too, so none is left half-recorded.
    const task = run.then(
      () => undefined,
      () => undefined,
    )
    this.#tasks.add(task)
    void task.finally(() => this.#tasks.delete(task))
    return run
  }

  async #run(): Promise<void> {
    const { store, clock, directory } = this.#deps
    const { leaseMs, pollIntervalMs } = this.#options
    while (this.#running) {
      this.#wakeRequested = false
      const free = this.#window.size - this.#active
      this.#blockedOnCapacity = free <= 0 || (free < this.#window.chunk && this.#active > 0)
      // Short of room: what is stored now waits for a claim, so hand-offs stop until one catches up.
      if (this.#blockedOnCapacity) this.#caughtUp = false
      let waitMs = pollIntervalMs
      if (!this.#blockedOnCapacity) {
        const limit = this.#window.limit(free)
        try {
          const saturated = this.#saturatedEndpoints()
          const refusals = this.#refusals
          const excludeEndpointIds = [...(await directory.inactiveIds()), ...saturated, ...(await this.#deps.breakers.blockedIds())]
          // No retry loop here: the adapters retry transient errors inside each call (see
          // src/store/retry.ts); a claim that still fails is tried again on the next poll.
          const claimedAt = clock.now()
          const batch = await store.claim({ now: new Date(claimedAt), limit, leaseMs, workerId: this.#deps.workerId, excludeEndpointIds })
          this.#window.claimed(limit, batch.length)
          this.#deps.writer.backlog = this.#window.grown
          this.#waitingOnSaturated = saturated.length > 0 && batch.length < limit
          this.#caughtUp = batch.length < limit && saturated.length === 0 && this.#refusals === refusals
          for (const claimed of await this.#withinShares(batch)) this.#dispatch(claimed)
          if (batch.length === limit) continue
          if (batch.length === 0) {
            const next = await store.nextDueAt()
            // Due by the time the claim looked, yet not claimed: an excluded endpoint's, so wait the
            // poll interval. Due only since (the claim ran just before it, e.g. on a timer that
            // fired a millisecond early): claim again as soon as it is.
            if (next && next.getTime() > claimedAt) waitMs = Math.min(pollIntervalMs, Math.max(0, next.getTime() - clock.now()))
          } else waitMs = 0
        } catch (error) {
          this.#caughtUp = false
          this.#deps.onError(error)
        }
      }
      if (!this.#running || this.#wakeRequested || waitMs <= 0) continue
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        this.#armPoll(waitMs)
      })
      this.#wake = null
    }
  }

  /**
   * Makes sure the loop looks at the store within `waitMs`. The poll timer stays armed across
   * waits: a wake-up (every emit the worker could not take directly makes one) ends the wait
   * without clearing it, and the next wait re-arms it only if it would fire too late. A timer
   * left from an earlier wait may fire early, which costs one extra look at the store, not a
   * timer per emit.
   */
  #armPoll(waitMs: number): void {
    const at = Date.now() + Math.min(MAX_TIMER_MS, waitMs)
    if (this.#pollTimer !== null && this.#pollAt <= at) return
    if (this.#pollTimer !== null) clearTimeout(this.#pollTimer)
    this.#pollAt = at
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = null
      this.#pollAt = Infinity
      this.#wake?.()
    }, at - Date.now())
  }

  #clearPoll(): void {
    if (this.#pollTimer !== null) clearTimeout(this.#pollTimer)
    this.#pollTimer = null
    this.#pollAt = Infinity
  }

  /** Lease time kept back after an attempt's timeout, for recording its outcome. */
  #leaseMargin(): number {
    return Math.min(LEASE_MARGIN_MS, this.#options.leaseMs / 10)
  }

  /**
   * The claimed deliveries this worker keeps: a rate-limited endpoint's up to its share (its hold
   * cap, see `endpointCap`). The claim could not leave out an endpoint whose share was not reached
   * yet, so it may return more of its backlog than that: the rest goes back to the store at once,
   * due now, and the next claim leaves the endpoint out while it holds its share. Without this,
   * the backlog of one slow endpoint (a rate limit of 1 an hour) could fill the whole window and
   * hold up every other endpoint. Endpoints without a rate limit keep what was claimed: their
   * deliveries move at their concurrency, and handing them back would only add store writes.
   */
  async #withinShares(batch: ClaimedDelivery[]): Promise<ClaimedDelivery[]> {
    const counts = new Map<string, { count: number; cap: number }>()
    const keep: ClaimedDelivery[] = []
    const excess: string[] = []
    for (const claimed of batch) {
      const id = claimed.delivery.id
      if (this.#leased.has(id) || this.#holding.has(id)) {
        keep.push(claimed)
        continue
      }
      const endpointId = claimed.delivery.endpointId
      let share = counts.get(endpointId)
      if (share === undefined) {
        const endpoint = this.#deps.directory.cached(endpointId) ?? (await this.#deps.directory.get(endpointId))
        // Missing or inactive endpoints' deliveries are settled by #process.
        const limited = endpoint !== undefined && endpoint.status === 'active' && endpoint.rateLimit !== null
        const cap = limited ? endpointCap(endpoint, this.#options, this.#window.grown ? this.#window.size : 0) : Infinity
        share = { count: this.#heldByEndpoint.get(endpointId)?.count ?? 0, cap }
        counts.set(endpointId, share)
      }
      if (share.count < share.cap) {
        share.count++
        keep.push(claimed)
      } else excess.push(id)
    }
    if (excess.length > 0) {
      try {
        await this.#deps.store.release(excess, this.#deps.workerId, new Date(this.#deps.clock.now()))
      } catch (error) {
        // Not lost: their lease runs out and any worker claims them then.
        this.#deps.onError(error)
      }
    }
    return keep
  }

  #saturatedEndpoints(): string[] {
    const out: string[] = []
    for (const [id, h] of this.#heldByEndpoint) if (h.count >= h.cap) out.push(id)
    return out
  }

  #dispatch(claimed: ClaimedDelivery): void {
    const id = claimed.delivery.id
    const leased = this.#leased.get(id)
    if (leased) {
      // Handed to this worker by an emit whose write outlived the lease: our own claim took the
      // stored row back. Start it now, under the new lease (its slot is counted already); the
      // emit's `adopt` then finds nothing left to start.
      this.#leased.delete(id)
      leased.claimed.delivery.lockedUntil = claimed.delivery.lockedUntil
      this.#hold(leased)
      this.#leasedDone()
      return
    }
    const existing = this.#holding.get(id)
    if (existing) {
      // Our own lease ran out while the delivery waited in a queue and we claimed it again: the
      // waiting task carries on under the new lease instead of a second task being started.
      existing.claimed.delivery.lockedUntil = claimed.delivery.lockedUntil
      // Its outcome (or release) is being written, and a claim may have leased the row again
      // after that write committed (a retry due at once, a release): nobody would attempt it until
      // this lease ran out. Once the write is done, the task hands it back (a no-op when the
      // claim came before the write, which already cleared the lock).
      if (!existing.active) existing.reclaimed = true
      return
    }
    const endpointId = claimed.delivery.endpointId
    let perEndpoint = this.#heldByEndpoint.get(endpointId)
    if (!perEndpoint) {
      perEndpoint = { count: 0, cap: Infinity }
      this.#heldByEndpoint.set(endpointId, perEndpoint)
    }
    perEndpoint.count++
    this.#active++
    this.#hold({ claimed, perEndpoint, active: true })
  }

  /** Holds a counted delivery until its outcome is stored, and runs it. */
  #hold(held: Held): void {
    this.#holding.set(held.claimed.delivery.id, held)
    // `#task` awaits before it ends, so `held.task` is set before its last step removes it.
    held.task = this.#task(held)
    this.#tasks.add(held.task)
  }

  /**
   * A held delivery's task, the one async function of its own it runs through: it finds the
   * endpoint, runs the delivery through the queues (`#process`) and records the outcome.
   */
  async #task(held: Held): Promise<void> {
    const claimed = held.claimed
    const id = claimed.delivery.id
    try {
      try {
        // The cached index answers without a promise; a miss (stale index, unknown id) asks the store.
        const endpointId = claimed.delivery.endpointId
        const endpoint = this.#deps.directory.cached(endpointId) ?? (await this.#deps.directory.get(endpointId))
        const report = await this.#process(claimed, endpoint)
        if (report) {
          await this.#write(report)
          this.#written(report)
        }
      } catch (error) {
        this.#deps.onError(error)
      }
      if (held.reclaimed) await this.#releaseReclaimed(id)
    } finally {
      this.#settle(held)
      this.#holding.delete(id)
      if (held.task) this.#tasks.delete(held.task)
    }
  }

  /**
   * A held delivery stops being active: its outcome (or release) is about to be written. It stays
   * in `#holding` until the write is done; its send slot counts as free for the next claim.
   */
  #settle(held: Held): void {
    if (!held.active) return
    held.active = false
    this.#active--
    this.#window.settled(this.#deps.clock.now())
    const perEndpoint = held.perEndpoint
    if (--perEndpoint.count === 0) {
      const endpointId = held.claimed.delivery.endpointId
      if (this.#heldByEndpoint.get(endpointId) === perEndpoint) this.#heldByEndpoint.delete(endpointId)
    }
    // Refill in chunks rather than one claim per finished delivery.
    if (this.#blockedOnCapacity && this.#window.size - this.#active >= this.#window.chunk) {
      this.#blockedOnCapacity = false
      this.wake()
    } else if (this.#waitingOnSaturated && perEndpoint.count <= perEndpoint.cap / 2) {
      // An endpoint left out of the last claim for holding its share has room again: its
      // backlog (if any) is claimed now, not at the next poll.
      this.#waitingOnSaturated = false
      this.wake()
    }
  }

  /** Hands back a delivery claimed again while its outcome was being written (see `#dispatch`). */
  async #releaseReclaimed(id: string): Promise<void> {
    try {
      await this.#deps.store.release([id], this.#deps.workerId, new Date(this.#deps.clock.now()))
      this.wake()
    } catch (error) {
      // Not lost: the lease runs out and any worker claims it then.
      this.#deps.onError(error)
    }
  }

  /** Marks the delivery `id` as settling (see `#settle`). */
  #settleId(id: string): void {
    const held = this.#holding.get(id)
    if (held) this.#settle(held)
  }

  /**
   * Runs a delivery through its endpoint's queues, the global queue and the breaker (see
   * `#attempt`). Returns the outcome for `#task` to record, or null when there is none for it
   * (handed back unattempted, or recorded already: see the queued path). Not an async function:
   * the direct path returns the global queue's own promise.
   */
  #process(claimed: ClaimedDelivery, endpoint: Endpoint | undefined): OutcomeReport | Promise<OutcomeReport | null> | null {
    const { clock } = this.#deps
    if (!endpoint || endpoint.status !== 'active') {
      const now = clock.now()
      return {
        outcome: {
          ...this.#baseOutcome(claimed, now),
          status: endpoint ? 'pending' : 'dead',
          nextAttemptAt: endpoint ? new Date(now + this.#options.inactiveRecheckMs) : null,
          completedAt: endpoint ? null : new Date(now),
          lastError: endpoint ? claimed.delivery.lastError : 'endpoint deleted',
        },
        endpoint,
        claimed,
        result: null,
      }
    }
    const unreadable = unreadableSecret(endpoint, this.#deps.encryptionKeyIds)
    if (unreadable !== null) {
      // Its secrets cannot be decrypted (an encryption key missing or wrong): nothing is sent and
      // no attempt is consumed. The delivery waits, with the reason as its last error, and is
      // looked at again like one of a paused endpoint, so it goes out once the key is configured.
      if (!this.#reportedUnreadable.has(endpoint)) {
        this.#reportedUnreadable.add(endpoint)
        this.#deps.onError(unreadable)
      }
      const now = clock.now()
      return {
        outcome: { ...this.#baseOutcome(claimed, now), status: 'pending', nextAttemptAt: new Date(now + this.#options.inactiveRecheckMs), lastError: unreadable.message },
        endpoint,
        claimed,
        result: null,
      }
    }
    const { queue, rate, direct } = this.#queueFor(endpoint)
    const perEndpoint = this.#heldByEndpoint.get(endpoint.id)
    if (perEndpoint) perEndpoint.cap = endpointCap(endpoint, this.#options, this.#window.grown ? this.#window.size : 0)
    const id = claimed.delivery.id
    // No rate limit and an endpoint concurrency the global one never exceeds: the endpoint's
    // queue would add nothing but a hop, so the delivery goes straight to the global queue.
    // The outcome is recorded (by `#task`) after the queues' slots are given back: its write
    // waits for a batch of outcomes to gather, and a send slot would sit idle through that wait.
    if (direct) {
      // Released by stop({ drain: false }) while it waited: its task ends once the global queue
      // reaches it (it then finds itself gone from #waiting), which stop waits for anyway, as it
      // waits for the requests ahead of it. No promise of its own per delivery.
      this.#waiting.set(id, noop)
      // p-queue awaits the task's promise: the queue's own promise settles with the report itself.
      return this.#global.add<Promise<OutcomeReport | null> | null>(() => (this.#waiting.delete(id) ? this.#attempt(claimed, endpoint) : null)) as Promise<OutcomeReport | null>
    }
    // The report is recorded in the queue's chain, not by `#task`: stop without drain ends the
    // task at once (see #releaseWaiting), and the queue's task may still attempt the delivery
    // (a restarted worker claimed it again meanwhile), whose outcome must be recorded all the same.
    return new Promise<null>((resolve, reject) => {
      this.#waiting.set(id, resolve)
      queue
        .add(async (): Promise<OutcomeReport | null> => {
          // Gone from #waiting: released by stop({ drain: false }) while it waited. Waiting for a
          // rate-limit slot or for a global slot still counts as waiting: stop without drain hands
          // it back at once, not when the requests ahead of it are done.
          const local = rate ? await acquireRateSlot(rate) : null
          if (!this.#waiting.has(id)) {
            local?.(false)
            return null
          }
          // Then one of the slots every worker of the store shares. Given up when the lease is about
          // to run out: #attempt then hands the delivery back without an attempt.
          const leaseEnd = claimed.delivery.lockedUntil?.getTime() ?? this.#deps.clock.now() + this.#options.leaseMs
          const shared =
            rate && this.#sharedSlots
              ? await this.#sharedSlots.acquire(endpoint.id, endpoint.rateLimit!, {
                  // An attempt's timeout ends by its lease end less the margin (see #send).
                  endsBy: leaseEnd - this.#leaseMargin(),
                  holdAtMost: leaseEnd,
                  giveUpAt: leaseEnd - this.#leaseMargin(),
                  stillWanted: () => this.#waiting.has(id),
                  // Its deliveries held here, up to two rounds of its concurrency: a take gets their slots too while the limit does not bind.
                  demand: () => Math.min(this.#heldByEndpoint.get(endpoint.id)?.count ?? 1, 2 * queue.concurrency),
                })
              : null
          const release = (hold: boolean) => {
            local?.(hold)
            shared?.(hold)
          }
          if (!this.#waiting.has(id)) {
            release(false)
            return null
          }
          let attempted = false
          try {
            return await this.#global.add(async () => {
              if (!this.#waiting.delete(id)) return null
              attempted = true
              return this.#attempt(claimed, endpoint)
            })
          } finally {
            release(attempted)
          }
        })
        .then(this.#recordReport)
        .then(() => resolve(null), reject)
    })
  }

  /** Records an attempt's report, if there is one (made once: `#process` passes it to `then` for every queued delivery). */
  #recordReport = (report: OutcomeReport | null): Promise<void> | undefined => (report ? this.#record(report) : undefined)

  async #record(report: OutcomeReport): Promise<void> {
    await this.#write(report)
    this.#written(report)
  }

  /** Stop without drain: hands every delivery still waiting in an endpoint queue back to the store at once. */
  async #releaseWaiting(): Promise<void> {
    if (this.#waiting.size === 0) return
    const ids = [...this.#waiting.keys()]
    const settle = [...this.#waiting.values()]
    this.#waiting.clear()
    // Tasks already waiting for a rate-limit slot get theirs in turn, find themselves released and
    // give it back at once.
    for (const { queue } of this.#queues.values()) queue.clear()
    try {
      await this.#deps.store.release(ids, this.#deps.workerId, new Date(this.#deps.clock.now()))
    } finally {
      for (const done of settle) done(null)
    }
  }

  /** Sends one delivery; returns the outcome to record, or null when it was handed back unattempted. */
  async #attempt(claimed: ClaimedDelivery, endpoint: Endpoint): Promise<OutcomeReport | null> {
    const { store, clock, workerId } = this.#deps
    const now = clock.now()
    const leaseLeft = (claimed.delivery.lockedUntil?.getTime() ?? 0) - now - this.#leaseMargin()
    if (this.#abandon || leaseLeft < Math.min(MIN_ATTEMPT_MS, this.#options.leaseMs / 4)) {
      // Stopping without drain, or the lease (nearly) ran out while queued: hand it back untouched.
      this.#settleId(claimed.delivery.id)
      await store.release([claimed.delivery.id], workerId, new Date(now))
      return null
    }
    const trigger = this.#manual.delete(claimed.delivery.id) ? 'manual' : 'automatic'
    const { settings, breakers } = this.#deps
    const startedAt = clock.now()
    const body = buildBody(claimed.message, endpoint.id, settings.envelope)
    const headers = buildHeaders(endpoint, claimed.message, claimed.delivery.id, claimed.delivery.attempts + 1, body, startedAt, settings)
    const request = this.#request(claimed, endpoint, headers.sent, body, startedAt)
    let result: SendResult
    try {
      result = await breakers.run(endpoint.id, this.#sendCounted, request, claimed.delivery.lockedUntil?.getTime())
    } catch (error) {
      if (error instanceof AttemptFailure) result = error.result as SendResult
      else if (error instanceof BreakerOpenError) {
        // Waiting for the breaker never consumes an attempt.
        const at = this.#deps.clock.now()
        return {
          outcome: { ...this.#baseOutcome(claimed, at), status: 'pending', nextAttemptAt: new Date(error.retryAt) },
          endpoint,
          claimed,
          result: null,
        }
      } else throw error
    }
    const attempt = this.#attemptOf(claimed, endpoint, trigger, headers.logged, body, result, startedAt)
    return { outcome: this.#decide(claimed, endpoint, attempt, result, false), endpoint, claimed, result }
  }

  /** The send the breaker runs: a failed attempt rejects with its result, so that opossum counts it. Made once, not per attempt. */
  #sendCounted = (request: OutgoingRequest): Promise<SendResult> => this.#deps.send(request).then(failedAttempt)

  /** The request of an attempt of `claimed` started at `startedAt` (ms), with its signed headers and body. */
  #request(claimed: ClaimedDelivery, endpoint: Endpoint, headers: Record<string, string>, body: string, startedAt: number): OutgoingRequest {
    return {
      url: endpoint.url,
      method: endpoint.method,
      headers,
      body,
      // An attempt never outlives its lease, or a second worker could start the same delivery.
      timeoutMs: Math.max(1, Math.min(endpoint.timeoutMs ?? this.#options.timeoutMs, (claimed.delivery.lockedUntil?.getTime() ?? Infinity) - startedAt - this.#leaseMargin())),
      maxResponseBytes: this.#options.maxResponseBytes,
      connection: connectionOf(endpoint, this.#options.proxy),
    }
  }

  /** The attempt record of a request sent (see `#request`) and its result. */
  #attemptOf(claimed: ClaimedDelivery, endpoint: Endpoint, trigger: AttemptTrigger, loggedHeaders: Record<string, string>, body: string, result: SendResult, startedAt: number): Attempt {
    return {
      id: createId('att'),
      deliveryId: claimed.delivery.id,
      endpointId: endpoint.id,
      attempt: claimed.delivery.attempts + 1,
      trigger,
      url: endpoint.url,
      method: endpoint.method,
      requestHeaders: loggedHeaders,
      requestBody: body,
      responseStatus: result.status,
      responseBody: result.body,
      responseHeaders: result.headers,
      error: result.error,
      succeeded: result.ok,
      durationMs: result.durationMs,
      startedAt: new Date(startedAt),
    }
  }

  #decide(claimed: ClaimedDelivery, endpoint: Endpoint, attempt: Attempt, result: SendResult, once: boolean): DeliveryOutcome {
    const now = this.#deps.clock.now()
    // One object, filled in place (the hot path: no spread copies of it per attempt).
    const outcome = this.#baseOutcome(claimed, now)
    outcome.attempts = attempt.attempt
    outcome.lastStatusCode = result.status
    outcome.lastError = result.error
    outcome.attempt = attempt
    if (result.ok) return finished(outcome, 'succeeded', now)
    // A destination the egress guard refused stays refused: retrying would only knock again.
    if (once || result.status === 410 || result.errorKind === 'egress') return finished(outcome, 'dead', now)
    const policy = resolveRetryPolicy(this.#options.retryPolicy, endpoint.retryPolicy)
    const problem = retryPolicyProblem(policy)
    const retryAt = problem
      ? null
      : nextAttemptAt(policy, {
          attempts: attempt.attempt,
          createdAt: claimed.delivery.createdAt.getTime(),
          now,
          status: result.status,
          retryAfter: result.headers?.['retry-after'] ?? null,
        })
    if (problem !== null) return deadForGood(finished(outcome, 'dead', now), `invalid retry policy (${problem})`)
    if (retryAt === null) return finished(outcome, 'dead', now)
    outcome.status = 'failed'
    outcome.nextAttemptAt = new Date(retryAt)
    return outcome
  }

  #baseOutcome(claimed: ClaimedDelivery, now: number): DeliveryOutcome {
    const d = claimed.delivery
    return {
      deliveryId: d.id,
      workerId: d.lockedBy ?? this.#deps.workerId,
      status: 'pending',
      attempts: d.attempts,
      nextAttemptAt: d.nextAttemptAt,
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
      completedAt: null,
      updatedAt: new Date(now),
      attempt: null,
    }
  }

  /**
   * Records an outcome, first half: frees the delivery's slot and queues the outcome's write.
   * Once the write is done, `#written` finishes. (Two plain functions around the caller's await,
   * not an async function of their own per delivery.)
   */
  #write(report: OutcomeReport): Promise<undefined> {
    this.#settleId(report.claimed.delivery.id)
    report.outcome = withNextStep(report.outcome, this.#deps.clock.now())
    // A fifo line's next message waits for this outcome: no linger for it.
    return this.#deps.writer.write(report.outcome, report.claimed.delivery.orderingKey !== null)
  }

  /** Records an outcome, second half (see `#write`): wakes the loop for what comes next and reports it. */
  #written(report: OutcomeReport): void {
    const next = report.outcome.nextAttemptAt
    if (next && (report.outcome.status === 'failed' || report.outcome.status === 'pending')) this.wakeAt(next.getTime())
    // A fifo line moves on once its head is finished: the next one is claimable now.
    else if (report.claimed.delivery.orderingKey !== null) this.wake()
    this.#deps.onOutcome(report)
  }

  /**
   * The endpoint's queues. Its concurrency is a p-queue; its rate limit (`max` per `intervalMs`)
   * is a second p-queue of `max` slots, each held from the start of a request until `intervalMs`
   * after it ended. That is what the receiver's own window sees: two requests through one slot
   * arrive at least `intervalMs` apart, so no `intervalMs` window there holds more than `max` of
   * them. (p-queue's `interval` counts starts: requests started in one window but slowed on the
   * way, say by a new connection, could arrive together with the next window's.)
   */
  #queueFor(endpoint: Endpoint): EndpointQueue {
    const concurrency = endpoint.concurrency ?? this.#options.endpointConcurrency
    const limit = endpoint.rateLimit
    const key = `${concurrency}/${limit ? `${limit.max}/${limit.intervalMs}` : '-'}`
    const existing = this.#queues.get(endpoint.id)
    if (existing && existing.key === key) return existing
    const queues: EndpointQueue = {
      key,
      direct: !limit && concurrency >= this.#options.concurrency,
      queue: new PQueue({ concurrency }),
      // +1 ms: a timer may fire a millisecond early.
      rate: limit ? { slots: new PQueue({ concurrency: limit.max }), holdMs: limit.intervalMs + 1 } : null,
    }
    this.#queues.set(endpoint.id, queues)
    return queues
  }
}

/** Rejects with an `AttemptFailure` carrying `result` when the attempt failed (see `#sendCounted`). */
function failedAttempt(result: SendResult): SendResult {
  if (!result.ok) throw new AttemptFailure(result)
  return result
}

/**
 * Every outcome leaves its delivery either finished or with a next attempt: one still `pending` or
 * `failed` without a usable next attempt time would never be claimed again. Such an outcome (a bug,
 * or a retry delay no clock can reach) becomes `dead`, saying why.
 */
export function withNextStep(outcome: DeliveryOutcome, now: number): DeliveryOutcome {
  if (outcome.status !== 'pending' && outcome.status !== 'failed') return outcome
  const at = outcome.nextAttemptAt?.getTime()
  if (at !== undefined && Number.isFinite(at)) return outcome
  return deadForGood({ ...outcome, status: 'dead', nextAttemptAt: null, completedAt: new Date(now) }, 'no next attempt time could be computed')
}

/**
 * Marks `outcome` (not shared yet) as finished with `status` at `now`, in place. Finished when it
 * was updated (the same instant): both fields hold the one `Date`, which nothing writes to.
 */
function finished(outcome: DeliveryOutcome, status: 'succeeded' | 'dead', now: number): DeliveryOutcome {
  outcome.status = status
  outcome.nextAttemptAt = null
  outcome.completedAt = outcome.updatedAt.getTime() === now ? outcome.updatedAt : new Date(now)
  return outcome
}

/** A dead outcome whose error says why it was not retried (after the attempt's own error, if any). */
function deadForGood(outcome: DeliveryOutcome, why: string): DeliveryOutcome {
  return { ...outcome, lastError: `${outcome.lastError ? `${outcome.lastError}; ` : ''}not retried: ${why}` }
}

/** How the endpoint's requests connect: its TLS settings and its proxy (or the manager's); `null` for the default. */
function connectionOf(endpoint: Endpoint, defaultProxy: string | null): ConnectionSettings | null {
  const proxy = endpoint.proxy ?? defaultProxy
  return endpoint.tls || proxy ? { tls: endpoint.tls ?? null, proxy: proxy ?? null } : null
}

/**
 * Waits for one of the rate limit's slots; resolves with the function that gives it back: `holdMs`
 * later once a request has ended, at once when nothing was sent (`hold` false). The hold's timer
 * does not keep the process alive.
 */
function acquireRateSlot(rate: { slots: PQueue; holdMs: number }): Promise<(hold?: boolean) => void> {
  return new Promise((acquired) => {
    void rate.slots.add(
      () =>
        new Promise<void>((end) => {
          let released = false
          acquired((hold = true) => {
            if (released) return
            released = true
            if (hold) setTimeout(end, rate.holdMs).unref()
            else end()
          })
        }),
    )
  })
}
