import type {
  Attempt,
  Delivery,
  DeliveryStats,
  DeliveryStatus,
  Endpoint,
  EndpointStatus,
  IncomingHook,
  IncomingLog,
  IncomingStats,
  Message,
} from '../types.js'

/** Filters of `listEndpoints`. */
export interface EndpointQuery {
  /** Only endpoints of this tenant; `null` = only endpoints without an owner. */
  owner?: string | null
  /** Only endpoints in this state. */
  status?: EndpointStatus
  /** Page size. @default 100 */
  limit?: number
  /** Rows to skip. @default 0 */
  offset?: number
}

/** Filters of `listDeliveries`; newest first. */
export interface DeliveryQuery {
  /** Only deliveries to this endpoint. */
  endpointId?: string
  /**
   * Only deliveries to the endpoints of this tenant (`null`: endpoints without an owner). Those of
   * deleted endpoints belong to nobody's and are left out.
   */
  owner?: string | null
  /** Only deliveries of this message. */
  messageId?: string
  /** Only deliveries in these states. */
  status?: DeliveryStatus | DeliveryStatus[]
  /** Created at or after. */
  since?: Date
  /** Created before. */
  until?: Date
  /** Page size. @default 100 */
  limit?: number
  /** Rows to skip. @default 0 */
  offset?: number
}

/** Options of `enqueue`. */
export interface EnqueueOptions {
  /**
   * A database client inside the host's open transaction (Postgres outbox). The write joins that
   * transaction: rollback → nothing is ever sent.
   */
  client?: unknown
  /**
   * The deliveries whose status is `delivering` were leased by the caller's own worker, which
   * attempts them as soon as this write resolves (emit's hand-off). A store whose write may not
   * be committed by then (it joined a transaction the host holds open on a shared connection)
   * stores those deliveries `pending` and unleased instead, and answers `handedOff: false`.
   */
  handOff?: boolean
}

/** Result of `enqueue`. */
export interface EnqueueResult {
  /** The stored message (the earlier one when the idempotency key was seen before). */
  message: Message
  /** Its deliveries. */
  deliveries: Delivery[]
  /** True when the idempotency key matched an existing message and nothing new was stored. */
  duplicate: boolean
  /** `false` when a hand-off (see `EnqueueOptions.handOff`) was declined: the leased deliveries were stored pending. */
  handedOff?: boolean
}

/** One message with its deliveries, as `enqueueMany` takes them. */
export interface EnqueueItem {
  /** The message. */
  message: Message
  /** Its deliveries (may be empty). */
  deliveries: Delivery[]
}

/** Options of `enqueueMany`. */
export interface EnqueueManyOptions {
  /** As `EnqueueOptions.client`: the whole batch joins the host's open transaction. */
  client?: unknown
}

/** Arguments of `claim`. */
export interface ClaimRequest {
  /** Current time. */
  now: Date
  /** Most deliveries to claim. */
  limit: number
  /** Lease length in ms. */
  leaseMs: number
  /** Id of the claiming worker. */
  workerId: string
  /** Endpoints whose deliveries must not be claimed now (open breaker, full queue). */
  excludeEndpointIds?: string[]
}

/** A delivery leased to a worker, with the message it carries. */
export interface ClaimedDelivery {
  /** The delivery, now `delivering` and leased. */
  delivery: Delivery
  /** Its message. */
  message: Message
}

/** The recorded result of one claimed delivery. */
export interface DeliveryOutcome {
  /** Delivery concerned. */
  deliveryId: string
  /** Worker that held the lease; the state is only written while it still does. */
  workerId: string
  /** New state (`pending` to give the delivery back untouched, e.g. breaker open). */
  status: Exclude<DeliveryStatus, 'delivering'>
  /** Attempts made so far, this one included. */
  attempts: number
  /** When the next attempt is due. */
  nextAttemptAt: Date | null
  /** HTTP status of this attempt. */
  lastStatusCode: number | null
  /** Error of this attempt. */
  lastError: string | null
  /** Set when the delivery reached `succeeded` or `dead`. */
  completedAt: Date | null
  /** Time of the write. */
  updatedAt: Date
  /** The attempt made; `null` when nothing was sent. Always stored, even if the lease was lost. */
  attempt: Attempt | null
}

/** Result of `requeueDelivery`. */
export type RequeueResult =
  | { status: 'requeued'; delivery: Delivery }
  | { status: 'busy'; delivery: Delivery }
  | { status: 'missing' }

/** Arguments of `replayDeliveries` (bulk manual redelivery). */
export interface ReplayRequest {
  /** Only deliveries to this endpoint. */
  endpointId?: string
  /** Only deliveries to the endpoints of this tenant (`null`: endpoints without an owner). */
  owner?: string | null
  /** States to replay. @default ['dead', 'failed'] */
  statuses?: DeliveryStatus[]
  /** Created at or after. */
  since?: Date
  /** Created before. */
  until?: Date
  /** When the replays become due. */
  at: Date
}

/** Arguments of `cleanup`. */
export interface CleanupRequest {
  /** Records finished before this time are deleted. */
  before: Date
  /** Rows deleted per statement. @default 1000 */
  batchSize?: number
}

/** What `cleanup` deleted. */
export interface CleanupResult {
  /** Deliveries deleted. */
  deliveries: number
  /** Attempts deleted. */
  attempts: number
  /** Messages deleted (those left without deliveries). */
  messages: number
  /** Incoming logs deleted. */
  incomingLogs: number
}

/** Filters of `listIncomingHooks`. */
export interface IncomingHookQuery {
  /** Only hooks of this tenant; `null` = only hooks without an owner. */
  owner?: string | null
  /** Page size. @default 100 */
  limit?: number
  /** Rows to skip. @default 0 */
  offset?: number
}

/** Pagination of log lists; newest first. */
export interface PageQuery {
  /** Page size. @default 100 */
  limit?: number
  /** Rows to skip. @default 0 */
  offset?: number
}

/** Arguments of `takeRateSlots` (rate-limit slots shared by every worker of a store). */
export interface RateSlotRequest {
  /** Endpoint whose limit it is. */
  endpointId: string
  /** The limit's `max`: slots `0 … max − 1` exist. */
  max: number
  /** Most slots to take (1 or more): a worker takes the slots of several requests in one call. */
  count: number
  /** Worker taking them. */
  workerId: string
  /** Current time. */
  now: Date
  /** The slots are held until then unless given back earlier (so a worker that dies frees them by then). */
  holdUntil: Date
}

/**
 * Result of `takeRateSlots`: the slots taken (up to `count`, none when none was free) and, when
 * fewer than `count` were, the earliest time one of the others comes free: the `freeAt` of a
 * slot given back (by `releaseRateSlots`) whose time has not come yet. `retryAt` is `null` when
 * every slot was taken or every other one is held (it comes free when its holder gives it back, or
 * at the end of its hold).
 */
export interface RateSlotGrant {
  /** Slot numbers taken, each held by the worker until given back or `holdUntil`. */
  slots: number[]
  /** When fewer than `count` were taken: the earliest `freeAt` of a slot no worker holds, if any. */
  retryAt: Date | null
}

/** One slot given back by `releaseRateSlots`. */
export interface RateSlotRelease {
  /** Endpoint whose slot it is. */
  endpointId: string
  /** Slot number. */
  slot: number
  /** The slot comes free then (`intervalMs` after a request through it ended, or at once when nothing was sent). */
  freeAt: Date
}

/**
 * An endpoint's circuit breaker as every worker of a store sees it. A row exists while the
 * endpoint has failures in a row or is open; a success (or a successful probe) removes it.
 */
export interface SharedBreaker {
  /** Endpoint whose breaker it is. */
  endpointId: string
  /** Failed attempts in a row, over every worker, since the last success. */
  failures: number
  /** Set while open: from then on one probe may go out (half-open). `null` while closed. */
  retryAt: Date | null
  /** Worker sending the half-open probe, or `null`. */
  probeBy: string | null
  /** The probe's lease ends then (a worker that dies probing frees it by then), or `null`. */
  probeUntil: Date | null
}

/** Arguments of `recordBreakerFailure`. */
export interface BreakerFailure {
  /** Endpoint that failed. */
  endpointId: string
  /** Worker that sent the failed attempt. */
  workerId: string
  /** Failures in a row that open the breaker. */
  failureThreshold: number
  /** When the breaker lets a probe through if this failure opens it (now + cooldown). */
  retryAt: Date
}

/** Result of `recordBreakerFailure`: the breaker after the failure, and whether this failure opened it. */
export interface BreakerFailureVerdict {
  /** The breaker after this failure was counted. */
  breaker: SharedBreaker
  /** This failure opened the breaker (the threshold was reached, or it was this worker's probe). */
  opened: boolean
}

/** Arguments of `takeBreakerProbe`. */
export interface BreakerProbeRequest {
  /** Endpoint whose breaker it is. */
  endpointId: string
  /** Worker asking to send the probe. */
  workerId: string
  /** Current time: the probe may be taken once the breaker's `retryAt` has passed. */
  now: Date
  /** The probe is this worker's until then unless its outcome is recorded first. */
  holdUntil: Date
}

/** Result of `takeBreakerProbe`: whether this worker sends the probe, and the breaker as it is then (`null`: closed, no failures). */
export interface BreakerProbeGrant {
  /** This worker holds the probe: its next attempt is the one that closes or re-opens the breaker. */
  granted: boolean
  /** The breaker as it is now; `null` when closed without failures. */
  breaker: SharedBreaker | null
}

/** One worker process's heartbeat, as it writes it (see `WebhookStore.recordWorker`). */
export interface WorkerHeartbeat {
  /** Worker id (the manager's `workerId`; the `locked_by` of its leases). */
  id: string
  /** Host name of the machine it runs on. */
  host: string
  /** Its process id. */
  pid: number
  /** When it started. */
  startedAt: Date
  /** Time of this heartbeat. */
  lastSeenAt: Date
  /** Deliveries it held (claimed, queued or sending) at this heartbeat. */
  inFlight: number
  /** Set when it stopped cleanly; `null` while it runs. */
  stoppedAt: Date | null
}

/** A stored worker record, with what the store knows beyond the heartbeat. */
export interface WorkerRecord extends WorkerHeartbeat {
  /** When another worker reported it lost (no heartbeat in time), or `null`. */
  lostAt: Date | null
  /** Deliveries still leased to it (`delivering`, `locked_by` = its id). Counted for lost workers only; `null` otherwise. */
  leases: number | null
}

/** Options of `updateEndpoint` / `updateIncomingHook`. */
export interface UpdateOptions<T> {
  /**
   * Compare-and-set: write only while the stored record still equals `expected` field for field
   * (as it was read from this store), atomically; otherwise write nothing and return false.
   * `reencryptSecrets` uses it, so a record changed between its read and its write is read again
   * instead of overwritten. A store of your own that ignores it reintroduces that race.
   */
  expected?: T
}

/**
 * The one persistence interface of hookline. `memoryStore()`, `sqliteStore()` and `postgresStore()`
 * implement it and pass one conformance suite. Stores keep every record; the manager applies policy.
 *
 * Transient database errors (a serialization failure, a dropped connection, a busy SQLite file) are
 * retried INSIDE each operation by the store itself; callers, the delivery worker included, do not
 * add a retry loop of their own (see `src/store/retry.ts`). An error that leaves a store is final.
 */
export interface WebhookStore {
  /** Adapter name, e.g. `memory`. */
  readonly name: string
  /** True when stored data survives a restart (SQLite file, Postgres). */
  readonly durable: boolean
  /** Creates or upgrades the schema. Idempotent; safe when two processes call it at once. */
  migrate(): Promise<void>
  /** Releases connections the store opened itself. */
  close(): Promise<void>
  /**
   * Optional: calls `listener` when another process (or a host transaction) enqueued work, so
   * workers wake without polling (Postgres: LISTEN/NOTIFY). Returns an unsubscribe function.
   */
  onWake?(listener: () => void): () => void

  /** Stores a new endpoint. */
  createEndpoint(endpoint: Endpoint): Promise<void>
  /** One endpoint, or `null`. */
  getEndpoint(id: string): Promise<Endpoint | null>
  /** Endpoints, oldest first. */
  listEndpoints(query?: EndpointQuery): Promise<Endpoint[]>
  /**
   * Replaces a stored endpoint (matched by id). Returns false when it does not exist, or when
   * `options.expected` is given and the stored endpoint no longer equals it.
   */
  updateEndpoint(endpoint: Endpoint, options?: UpdateOptions<Endpoint>): Promise<boolean>
  /** Deletes an endpoint and its pending deliveries. Returns false when it did not exist. */
  deleteEndpoint(id: string): Promise<boolean>

  /**
   * Stores a message and its deliveries atomically. When the message has an idempotency key that is
   * already stored, stores nothing and returns the earlier message with `duplicate: true`.
   */
  enqueue(message: Message, deliveries: Delivery[], options?: EnqueueOptions): Promise<EnqueueResult>
  /**
   * Stores many messages with their deliveries in one transaction (one statement on Postgres): all
   * of them or, when it fails, none. Results come back in order, one per item. Idempotency keys
   * behave as in `enqueue`, against stored messages and within the batch: an item whose key (per
   * owner) was stored before, or appeared in an earlier item, stores nothing and returns that
   * earlier message with `duplicate: true`. Deliveries are stored as given (no hand-off).
   */
  enqueueMany(items: EnqueueItem[], options?: EnqueueManyOptions): Promise<EnqueueResult[]>
  /** One message, or `null`. */
  getMessage(id: string): Promise<Message | null>
  /**
   * Leases due deliveries (`pending` or `failed` with `nextAttemptAt <= now`, or `delivering` with an
   * expired lease), oldest due first, and marks them `delivering`.
   */
  claim(request: ClaimRequest): Promise<ClaimedDelivery[]>
  /** Records outcomes of claimed deliveries, in one batch. */
  complete(outcomes: DeliveryOutcome[]): Promise<void>
  /** Gives leased deliveries back, due now, without recording an attempt. */
  release(deliveryIds: string[], workerId: string, now: Date): Promise<void>
  /** Earliest `nextAttemptAt` of a claimable delivery, or `null`. */
  nextDueAt(): Promise<Date | null>
  /** One delivery, or `null`. */
  getDelivery(id: string): Promise<Delivery | null>
  /** Deliveries, newest first. */
  listDeliveries(query?: DeliveryQuery): Promise<Delivery[]>
  /** Makes a delivery due at `at` (manual retry); refuses while a live lease holds it. */
  requeueDelivery(id: string, at: Date, now: Date): Promise<RequeueResult>
  /** Makes every matching, unleased delivery due at `request.at`. Returns how many. */
  replayDeliveries(request: ReplayRequest): Promise<number>
  /** Attempts of a delivery, oldest first. */
  listAttempts(deliveryId: string): Promise<Attempt[]>
  /** Delivery statistics of an endpoint, optionally since a time. */
  getStats(endpointId: string, since?: Date): Promise<DeliveryStats>
  /** Deletes finished deliveries, their attempts, orphaned messages and incoming logs older than `before`. */
  cleanup(request: CleanupRequest): Promise<CleanupResult>

  /** Stores a new incoming hook. */
  createIncomingHook(hook: IncomingHook): Promise<void>
  /** One incoming hook, or `null`. */
  getIncomingHook(id: string): Promise<IncomingHook | null>
  /** The hook whose token hashes to `tokenHash`, or `null`. */
  findIncomingHookByTokenHash(tokenHash: string): Promise<IncomingHook | null>
  /** Incoming hooks, oldest first. */
  listIncomingHooks(query?: IncomingHookQuery): Promise<IncomingHook[]>
  /**
   * Replaces a stored hook. Returns false when it does not exist, or when `options.expected` is
   * given and the stored hook no longer equals it.
   */
  updateIncomingHook(hook: IncomingHook, options?: UpdateOptions<IncomingHook>): Promise<boolean>
  /** Deletes a hook and its logs. Returns false when it did not exist. */
  deleteIncomingHook(id: string): Promise<boolean>
  /** Appends a request log. */
  insertIncomingLog(log: IncomingLog): Promise<void>
  /** Logs of a hook, newest first. */
  listIncomingLogs(hookId: string, query?: PageQuery): Promise<IncomingLog[]>
  /** Statistics of a hook's logged requests, of those received at or after `since` when given. */
  getIncomingStats(hookId: string, since?: Date): Promise<IncomingStats>
  /**
   * Records a sender's delivery id for dedupe. Returns true when it is new (or its earlier record
   * expired), false when it was seen within its window.
   */
  rememberIncomingKey(hookId: string, key: string, now: Date, expiresAt: Date): Promise<boolean>

  /**
   * Optional (worker registry): inserts or replaces the worker's record. A heartbeat of a worker
   * that was reported lost clears `lostAt` (it came back).
   */
  recordWorker?(heartbeat: WorkerHeartbeat): Promise<void>
  /** Optional (worker registry): every known worker, most recently seen first. */
  listWorkers?(): Promise<WorkerRecord[]>
  /**
   * Optional (worker registry): marks running workers last seen before `staleBefore` as lost at
   * `now` and returns them, each with the deliveries still leased to it. A worker is returned by
   * one call only, so among many workers exactly one reports each loss.
   */
  reportLostWorkers?(staleBefore: Date, now: Date): Promise<WorkerRecord[]>
  /**
   * Optional (shared rate limits): takes up to `request.count` free slots of the endpoint's rate
   * limit — ones whose `free_at` has passed — for `request.workerId` until `request.holdUntil`,
   * in one atomic step, and says when to look again if fewer were free. Slots live in the store,
   * so every worker sharing it counts against one limit.
   */
  takeRateSlots?(request: RateSlotRequest): Promise<RateSlotGrant>
  /** Optional (shared rate limits): each slot comes free at its `freeAt` (only while `workerId` still holds it); one write for all. */
  releaseRateSlots?(workerId: string, releases: readonly RateSlotRelease[]): Promise<void>
  /** Optional (worker registry): deletes records of workers stopped or lost before `before`. Returns how many. */
  pruneWorkers?(before: Date): Promise<number>
  /**
   * Optional (shared breakers): counts a failed attempt against the endpoint's breaker. It opens
   * (with `failure.retryAt`) when the failures in a row reach `failure.failureThreshold` while it
   * is closed, or when the failure is of the probe `failure.workerId` holds; otherwise an open
   * breaker keeps its `retryAt`. One atomic write, so among concurrent workers exactly one opens it.
   */
  recordBreakerFailure?(failure: BreakerFailure): Promise<BreakerFailureVerdict>
  /**
   * Optional (shared breakers): a successful attempt. Clears the failures of a closed breaker, and
   * closes an open one when it was the probe `workerId` holds. Returns true when it closed one.
   */
  recordBreakerSuccess?(endpointId: string, workerId: string): Promise<boolean>
  /**
   * Optional (shared breakers): takes the half-open probe of an open breaker whose `retryAt` has
   * passed, unless another worker holds it; exactly one of concurrent takers gets it.
   */
  takeBreakerProbe?(request: BreakerProbeRequest): Promise<BreakerProbeGrant>
  /** Optional (shared breakers): the endpoint's breaker, or `null` (closed, no failures). */
  getBreaker?(endpointId: string): Promise<SharedBreaker | null>
  /** Optional (shared breakers): every open breaker (`retryAt` set), half-open ones included. */
  listOpenBreakers?(): Promise<SharedBreaker[]>
  /** Optional (shared breakers): forgets the endpoint's breaker (endpoint deleted or reconfigured). */
  clearBreaker?(endpointId: string): Promise<void>
}
