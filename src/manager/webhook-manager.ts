import { randomBytes } from 'node:crypto'
import { createSecretCodec, type SecretCodec } from '../crypto/secret-codec.js'
import { assertSecretsReadable } from '../crypto/secret-fields.js'
import { ConflictError, HooklineError, ManagerClosedError, NotFoundError, ValidationError } from '../errors.js'
import { DEFAULT_ENVELOPE_NAMES, DEFAULT_HEADER_NAMES, type RequestSettings } from '../dispatch/build-request.js'
import { Dispatcher } from '../dispatch/dispatcher.js'
import { EgressPolicy } from '../dispatch/egress-guard.js'
import { DEFAULT_BREAKER_OPTIONS, EndpointBreakers, type BreakerState } from '../dispatch/endpoint-breakers.js'
import { SharedBreakers, sharedBreakerState } from '../dispatch/shared-breakers.js'
import { OutcomeWriter } from '../dispatch/outcome-writer.js'
import { LazySender } from '../dispatch/lazy-sender.js'
import { answerHandlerOf, fetchHandlerOf } from '../http/plain-answer.js'
import { EndpointDirectory } from '../endpoints/endpoint-directory.js'
import { applyEndpointUpdate, buildEndpoint, rotateSecret, setActive } from '../endpoints/endpoint-records.js'
import type { CreateEndpointInput, UpdateEndpointInput } from '../endpoints/endpoint-schema.js'
import { toEndpointView, type EndpointView } from '../endpoints/endpoint-view.js'
import { EventCatalog, type EventType, type EventTypeOptions } from '../events/event-catalog.js'
import { matchPattern } from '../events/match-pattern.js'
import type { IncomingRequestHandler } from '../incoming/handle-incoming.js'
import type { CreateIncomingHookInput, UpdateIncomingHookInput } from '../incoming/incoming-schema.js'
import {
  IncomingService,
  type GetIncomingHookOptions,
  type ListIncomingHooksOptions,
  type ListIncomingLogsOptions,
} from '../incoming/incoming-service.js'
import type { IncomingHandlerOptions, IncomingRouteHandler } from '../incoming/incoming-types.js'
import type { IncomingHookView } from '../incoming/incoming-view.js'
import type { IncomingLog, IncomingStats } from '../types.js'
import { HMAC_SHA256_PREFIX } from '../signature/hmac-sha256.js'
import { generateSecret } from '../signature/index.js'
import { encryptedStore, type EncryptedStore, type ReencryptOptions, type ReencryptResult } from '../store/encrypted-store.js'
import { memoryStore } from '../store/memory/index.js'
import type { CleanupResult, EnqueueOptions, EnqueueResult, WebhookStore } from '../store/types.js'
import type { Attempt, Clock, Delivery, DeliveryStats, Endpoint, Message } from '../types.js'
import { systemClock } from '../util/clock.js'
import { createId } from '../util/ids.js'
import { VERSION } from '../version.js'
import { MetricsCounters, type MetricsSnapshot } from '../observability/metrics-snapshot.js'
import { Telemetry } from '../observability/telemetry.js'
import { createPortalLink, type PortalLink, type PortalLinkOptions } from '../portal/portal-link.js'
import { verifyPortalToken, type PortalGrant } from '../portal/portal-token.js'
import { TypedEmitter, type WebhookManagerEvents } from './manager-events.js'
import type { WebhookManagerOptions } from './options.js'
import { validateManagerOptions } from './options-schema.js'
import { WorkerRegistry, type WorkerInfo } from './worker-registry.js'
import { EmitPreparer, newDelivery } from './emit-preparer.js'
import { EndpointHealth } from './endpoint-health.js'
import { EndpointRules } from './endpoint-rules.js'
import { outcomeReporter } from './outcome-reporter.js'
import type {
  CleanupOptions,
  DeliveryDetail,
  EmitManyItem,
  EmitManyOptions,
  EmitOptions,
  EmitResult,
  EventMap,
  FindDeliveriesOptions,
  ListDeliveriesOptions,
  ListEndpointsOptions,
  OwnerScope,
  ReplayOptions,
  TestEndpointOptions,
} from './manager-types.js'

/** Endpoints read per store page while filtering by event. */
const EVENT_FILTER_PAGE = 500

const THIRTY_DAYS = 30 * 86_400_000
/** The enqueue options of an emit that leased deliveries to this worker (one object for every emit). */
const HAND_OFF: EnqueueOptions = Object.freeze({ handOff: true })
const FIVE_DAYS = 5 * 86_400_000

/**
 * The webhook system of a host application: endpoints, the event catalog, `emit`, the delivery
 * worker and the delivery log, over one store.
 *
 * @example
 * const hooks = createWebhookManager<{ 'agent.created': { agentId: string } }>({ store: memoryStore() })
 * await hooks.start()
 * await hooks.createEndpoint({ url: 'https://example.com/hooks', events: ['agent.*'] })
 * await hooks.emit('agent.created', { agentId: 'a_1' })
 */
export class WebhookManager<E extends EventMap = EventMap> {
  /** The store every record lives in (with `encryptionKeys`, wrapped so that secrets are encrypted in it). */
  readonly store: WebhookStore
  /** The store as encrypting wrapper, when `encryptionKeys` are configured. */
  readonly #encrypted: EncryptedStore | null
  /** Ids of the configured encryption keys (the encrypting one first); empty without keys. */
  readonly #keyIds: readonly string[]
  #warnedPlainSecrets = false
  readonly #clock: Clock
  readonly #options: WebhookManagerOptions
  readonly #events = new TypedEmitter<WebhookManagerEvents>()
  readonly #catalog = new EventCatalog()
  readonly #directory: EndpointDirectory
  readonly #breakers: EndpointBreakers
  readonly #dispatcher: Dispatcher
  readonly #workers: WorkerRegistry
  readonly #preparer: EmitPreparer
  readonly #rules: EndpointRules
  readonly #health: EndpointHealth
  #migrated: Promise<void> | null = null
  /** The running `stop()`s, until they are done (`start()` waits for them). */
  #stopping: Promise<void> | null = null
  /** Set by the first `close()`: the manager is closed from then on. */
  #closing: Promise<void> | null = null
  readonly #heartbeats: boolean
  #retentionTimer: NodeJS.Timeout | null = null
  /** The HTTP sender and its transport, made on the first send or `start()`. */
  readonly #sender: LazySender
  readonly #metrics = new MetricsCounters()
  /** OpenTelemetry spans and metrics; `null` with `telemetry: false`; inactive without `@opentelemetry/api`. */
  readonly #telemetry: Telemetry | null
  /** True once `#telemetry` is loaded (or off): until then the first emit, test send or incoming request loads it. */
  #telemetryLoaded: boolean
  /** Key of portal links: the `portalSecret` option, else random per manager (links end with the process). */
  readonly #portalSecret: string
  /** Where deliveries may connect (the SSRF guard). */
  readonly #egress: EgressPolicy
  #warnedUnguarded = false

  /** @throws ValidationError naming every bad or unknown option */
  constructor(options: WebhookManagerOptions = {}) {
    validateManagerOptions(options)
    this.#options = options
    const store = options.store ?? memoryStore()
    const codec: SecretCodec | null = options.encryptionKeys === undefined ? null : createSecretCodec(options.encryptionKeys)
    this.#encrypted = codec === null ? null : encryptedStore(store, codec)
    this.#keyIds = codec?.keyIds ?? []
    this.store = this.#encrypted ?? store
    this.#clock = options.clock ?? systemClock
    this.#directory = new EndpointDirectory(this.store, this.#clock, options.endpointCacheTtlMs ?? 5000)
    const workerId = options.workerId ?? createId('wrk')
    const onWorkerError = (error: unknown) => this.#events.emit('worker.error', { error })
    // Breakers shared by every worker of a store that keeps them; the open ones are read again at most every poll interval (1 s at most).
    const sharedBreakers = SharedBreakers.supported(this.store)
      ? new SharedBreakers({ store: this.store, clock: this.#clock, workerId, refreshMs: Math.min(options.pollIntervalMs ?? 1000, 1000), onError: onWorkerError })
      : null
    this.#breakers = new EndpointBreakers(
      { ...DEFAULT_BREAKER_OPTIONS, ...options.breaker },
      this.#clock,
      {
        opened: (endpointId, retryAt) => this.#events.emit('breaker.opened', { endpointId, retryAt: new Date(retryAt) }),
        closed: (endpointId) => this.#events.emit('breaker.closed', { endpointId }),
        halfOpen: (endpointId) => this.#events.emit('breaker.halfOpen', { endpointId }),
      },
      sharedBreakers && { breakers: sharedBreakers, onError: onWorkerError },
    )
    // Validated by the options schema (32+ characters).
    this.#portalSecret = options.portalSecret ?? randomBytes(32).toString('base64url')
    this.#egress = new EgressPolicy(options.egress)
    this.#sender = new LazySender(options.fetch, this.#egress)
    const telemetry = options.telemetry === false ? null : new Telemetry(options.telemetry ?? {}, { queue: () => this.#dispatcher.load, breakers: () => this.#breakers.counts() })
    this.#telemetry = telemetry
    this.#telemetryLoaded = telemetry === null
    const settings: RequestSettings = {
      envelope: { ...DEFAULT_ENVELOPE_NAMES, ...options.envelope },
      headers: { ...DEFAULT_HEADER_NAMES, ...options.headerNames },
      userAgent: options.userAgent ?? `hookline/${VERSION}`,
      signaturePrefix: options.signaturePrefix ?? HMAC_SHA256_PREFIX,
      ...(telemetry !== null && options.telemetry && options.telemetry.traceparent ? { traceHeaders: (message: Message) => telemetry.traceHeaders(message) } : {}),
    }
    const strictEventTypes = options.strictEventTypes === true
    this.#preparer = new EmitPreparer({ catalog: this.#catalog, directory: this.#directory, clock: this.#clock, strictEventTypes })
    this.#rules = new EndpointRules({
      egress: this.#egress,
      catalog: this.#catalog,
      headerNames: settings.headers,
      // Header names hookline sets on every request (lower-cased): custom endpoint headers may not use them.
      ownHeaders: new Set(['user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature', ...Object.values(settings.headers).map((h) => h.toLowerCase())]),
      strictEventTypes,
    })
    this.#health = new EndpointHealth({
      store: this.store,
      directory: this.#directory,
      clock: this.#clock,
      disableAfterFailingMs: options.disableAfterFailingMs === undefined ? FIVE_DAYS : options.disableAfterFailingMs,
      disabled: (endpointId, reason) => this.#events.emit('endpoint.disabled', { endpointId, reason }),
      onError: (error) => this.#events.emit('worker.error', { error }),
    })
    this.#dispatcher = new Dispatcher(
      {
        store: this.store,
        clock: this.#clock,
        directory: this.#directory,
        breakers: this.#breakers,
        writer: new OutcomeWriter(this.store),
        send: this.#sender.send,
        settings,
        workerId,
        onOutcome: outcomeReporter({ events: this.#events, metrics: this.#metrics, telemetry, health: this.#health }),
        onError: (error) => this.#events.emit('worker.error', { error }),
        encryptionKeyIds: this.#keyIds,
      },
      {
        concurrency: options.concurrency ?? 50,
        endpointConcurrency: options.endpointConcurrency ?? 10,
        batchSize: options.batchSize ?? 100,
        adaptiveBatch: options.batchSize === undefined,
        leaseMs: options.leaseMs ?? 120_000,
        pollIntervalMs: options.pollIntervalMs ?? 1000,
        timeoutMs: options.timeoutMs ?? 10_000,
        maxResponseBytes: options.maxResponseBytes ?? 65_536,
        retryPolicy: options.retryPolicy ?? {},
        inactiveRecheckMs: 60_000,
        proxy: options.proxy ?? null,
      },
    )
    this.#workers = new WorkerRegistry(
      {
        store: this.store,
        clock: this.#clock,
        workerId,
        inFlight: () => this.#dispatcher.inFlight,
        onLost: (worker) => this.#events.emit('worker.lost', worker),
        onError: (error) => this.#events.emit('worker.error', { error }),
      },
      options.workerHeartbeat || {},
    )
    this.#heartbeats = options.workerHeartbeat !== false
  }

  // ── lifecycle events ─────────────────────────────────────────────────────

  /** Listens to a lifecycle event (`delivery.succeeded`, `breaker.opened`, …). Returns an unsubscribe function. */
  on<K extends keyof WebhookManagerEvents>(name: K, listener: (payload: WebhookManagerEvents[K]) => void): () => void {
    return this.#events.on(name, listener)
  }

  /** Listens to the next occurrence of a lifecycle event. */
  once<K extends keyof WebhookManagerEvents>(name: K, listener: (payload: WebhookManagerEvents[K]) => void): () => void {
    return this.#events.once(name, listener)
  }

  /** Removes a listener. */
  off<K extends keyof WebhookManagerEvents>(name: K, listener: (payload: WebhookManagerEvents[K]) => void): void {
    this.#events.off(name, listener)
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  /** Creates or upgrades the store's schema (idempotent). */
  migrate(): Promise<void> {
    this.#migrated ??= this.store.migrate().catch((error: unknown) => {
      this.#migrated = null
      throw error
    })
    return this.#migrated
  }

  /**
   * Migrates (unless `autoMigrate: false`) and starts the delivery worker. Calling it while the
   * worker runs does nothing; after `stop()` it starts the worker again (once that stop has
   * finished).
   * @throws ManagerClosedError after `close()`: a closed manager cannot be restarted
   */
  async start(): Promise<void> {
    this.#warnPlainSecrets()
    this.#assertOpen('start')
    // `@opentelemetry/api` (if installed) and the HTTP sender are loaded here, or by the first emit
    // or send, not when the manager is made: the first delivery neither waits for them nor goes untraced.
    await Promise.all([this.#loadTelemetry(), this.#sender.load()])
    // A stop still finishing its deliveries ends first: the worker restarts from a clean state.
    if (this.#stopping) await this.#stopping
    if (this.#options.autoMigrate !== false) await this.migrate()
    // close() may have begun meanwhile.
    this.#assertOpen('start')
    if (this.#options.fetch && !this.#warnedUnguarded) {
      this.#warnedUnguarded = true
      process.emitWarning('a custom `fetch` opens its own connections: the egress guard cannot check where deliveries connect (endpoint URLs are still checked when saved). See docs/security.md.', {
        code: 'HOOKLINE_EGRESS_UNGUARDED',
      })
    }
    this.#dispatcher.start()
    if (this.#heartbeats) await this.#workers.start()
    const retention = this.#options.retention
    if (retention && !this.#retentionTimer) {
      this.#retentionTimer = setInterval(() => {
        this.cleanup({ olderThan: retention.olderThanMs ?? THIRTY_DAYS }).catch((error: unknown) => this.#events.emit('worker.error', { error }))
      }, retention.intervalMs ?? 3_600_000)
      this.#retentionTimer.unref()
    }
  }

  /**
   * Stops the worker. Resolves once no attempt is half-done: with `drain` (default) every claimed
   * delivery is attempted; without, the deliveries not yet started go back to the store at once
   * (due now, claimable by any worker) and the requests in flight finish. Stopping a stopped
   * manager does nothing; `start()` starts it again.
   */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    if (this.#retentionTimer) clearInterval(this.#retentionTimer)
    this.#retentionTimer = null
    const stopping = this.#dispatcher.stop(options).then(() => this.#workers.stop())
    const tracked: Promise<void> = Promise.allSettled([this.#stopping, stopping]).then(() => {
      if (this.#stopping === tracked) this.#stopping = null
    })
    this.#stopping = tracked
    await stopping
  }

  /**
   * Stops the worker (see `stop()` for `drain`), shuts the breakers down, closes the outgoing
   * connections and the store. Final: afterwards `start()`, `emit()` and `testEndpoint()` throw a
   * {@link ManagerClosedError}. Calling it again does nothing (it resolves when the first call is
   * done, and never throws).
   */
  close(options: { drain?: boolean } = {}): Promise<void> {
    if (this.#closing) return this.#closing.then(
      () => undefined,
      () => undefined,
    )
    this.#closing = this.#shutdown(options)
    return this.#closing
  }

  async #shutdown(options: { drain?: boolean }): Promise<void> {
    await this.stop(options)
    await this.#incomingService?.close()
    this.#breakers.shutdown()
    await this.#sender.close()
    await this.store.close()
  }

  /** Loads `@opentelemetry/api`, once (see `Telemetry#ready`); resolves at once with `telemetry: false`. */
  async #loadTelemetry(): Promise<void> {
    if (this.#telemetry === null) return
    await this.#telemetry.ready
    this.#telemetryLoaded = true
  }

  #assertOpen(operation: string): void {
    if (this.#closing) throw new ManagerClosedError(operation)
  }

  /** True while the delivery worker runs. */
  get running(): boolean {
    return this.#dispatcher.running
  }

  /**
   * The worker processes sharing this manager's store (the worker registry), most recently seen
   * first: each running manager writes a heartbeat (see the `workerHeartbeat` option). Empty on a
   * store without a registry.
   */
  listWorkers(): Promise<WorkerInfo[]> {
    return this.#workers.list()
  }

  // ── event types ──────────────────────────────────────────────────────────

  /** Adds an event type to the catalog; with a valibot `schema`, `emit` validates data against it. */
  registerEventType(name: keyof E & string, options: EventTypeOptions = {}): EventType {
    return this.#catalog.register(name, options)
  }

  /** Every registered event type. */
  listEventTypes(): EventType[] {
    return this.#catalog.list()
  }

  // ── endpoints ────────────────────────────────────────────────────────────

  /** Registers an endpoint. The result includes its signing secret (generated when not given). */
  async createEndpoint(input: CreateEndpointInput): Promise<EndpointView> {
    const endpoint = buildEndpoint(input, { signatureScheme: this.#options.signatureScheme ?? 'hmac-sha256' }, this.#now())
    this.#rules.checkDestination(endpoint.url)
    this.#rules.checkHeaders(endpoint)
    this.#rules.checkStrictEvents(endpoint.events)
    await this.store.createEndpoint(endpoint)
    this.#directory.invalidate()
    return toEndpointView(endpoint, true, this.#clock.now())
  }

  /** One endpoint. Throws NotFoundError when missing or owned by another tenant. */
  async getEndpoint(id: string, options: OwnerScope & { includeSecret?: boolean } = {}): Promise<EndpointView> {
    const endpoint = await this.#endpoint(id, options)
    if (options.includeSecret === true) assertSecretsReadable(endpoint, this.#keyIds)
    return toEndpointView(endpoint, options.includeSecret === true, this.#clock.now())
  }

  /** Endpoints, oldest first; secrets only when `includeSecrets` is set. */
  async listEndpoints(options: ListEndpointsOptions = {}): Promise<EndpointView[]> {
    const { includeSecrets = false, event, ...query } = options
    const now = this.#clock.now()
    if (event === undefined) return this.#views(await this.store.listEndpoints(query), includeSecrets, now)
    // Subscriptions are patterns, so the filter runs here, over the store's pages in order.
    const limit = query.limit ?? 100
    const skip = query.offset ?? 0
    const matched: Endpoint[] = []
    let seen = 0
    for (let offset = 0; matched.length < limit; offset += EVENT_FILTER_PAGE) {
      const page = await this.store.listEndpoints({ ...query, limit: EVENT_FILTER_PAGE, offset })
      for (const e of page) {
        if (!e.events.some((pattern) => matchPattern(pattern, event))) continue
        if (seen++ >= skip && matched.length < limit) matched.push(e)
      }
      if (page.length < EVENT_FILTER_PAGE) break
    }
    return this.#views(matched, includeSecrets, now)
  }

  /** Changes an endpoint (partial update). A new `secret` starts a rotation with overlap. */
  async updateEndpoint(id: string, input: UpdateEndpointInput, options: OwnerScope = {}): Promise<EndpointView> {
    const endpoint = await this.#endpoint(id, options)
    const next = applyEndpointUpdate(endpoint, input, this.#now(), this.#overlapMs())
    if (input.url !== undefined) this.#rules.checkDestination(next.url)
    if (input.headers !== undefined || input.auth !== undefined) this.#rules.checkHeaders(next)
    this.#rules.checkStrictEvents(next.events)
    const view = await this.#save(next, input.secret !== undefined || input.signatureScheme !== undefined)
    if (next.status === 'active' && endpoint.status !== 'active') this.#dispatcher.wake()
    return view
  }

  /** Deletes an endpoint and its unfinished deliveries. */
  async deleteEndpoint(id: string, options: OwnerScope = {}): Promise<void> {
    await this.#endpoint(id, options)
    await this.store.deleteEndpoint(id)
    this.#breakers.forget(id)
    this.#directory.invalidate()
  }

  /** Stops deliveries to an endpoint; they wait and resume with it. */
  async pauseEndpoint(id: string, options: OwnerScope = {}): Promise<EndpointView> {
    return this.#save(setActive(await this.#endpoint(id, options), false, this.#now()), false)
  }

  /** Resumes a paused or automatically disabled endpoint. */
  async resumeEndpoint(id: string, options: OwnerScope = {}): Promise<EndpointView> {
    const view = await this.#save(setActive(await this.#endpoint(id, options), true, this.#now()), false)
    this.#dispatcher.wake()
    return view
  }

  /**
   * Rotates the signing secret. The previous secret keeps signing alongside the new one for
   * `overlapMs` (default: the manager's `secretRotationOverlapMs`), so receivers can switch without
   * dropping a delivery. Returns the endpoint with its new secret.
   */
  async rotateSecret(id: string, options: OwnerScope & { secret?: string; overlapMs?: number } = {}): Promise<EndpointView> {
    const endpoint = await this.#endpoint(id, options)
    if (options.secret !== undefined) return this.updateEndpoint(id, { secret: options.secret }, options)
    const next = rotateSecret(endpoint, generateSecret(endpoint.signatureScheme), this.#now(), options.overlapMs ?? this.#overlapMs())
    return this.#save(next, true)
  }

  // ── emit ─────────────────────────────────────────────────────────────────

  /**
   * Emits an event: stores the message and one delivery per active endpoint subscribed to it (and
   * whose filters accept the data), then wakes the worker. Resolves once everything is stored.
   * @throws ManagerClosedError after `close()`
   */
  async emit<K extends keyof E & string>(event: K, data: E[K], options: EmitOptions = {}): Promise<EmitResult> {
    this.#assertOpen('emit')
    if (!this.#telemetryLoaded) await this.#loadTelemetry()
    const startedAt = this.#telemetry?.active ? Date.now() : 0
    const { message, endpoints, now } = await this.#preparer.prepare(event, data, options)
    const deliveries = endpoints.map((e) => newDelivery(message, e, now))
    // Hand-off: deliveries this process's idle worker has room for are stored already leased to
    // it and start as soon as the write is done, without a claim round trip. Never inside the
    // host's transaction (`client`): those are stored pending, and its commit's NOTIFY wakes the workers.
    const leased: string[] = []
    if (options.client === undefined && this.#options.leaseOnEmit !== false) {
      for (let i = 0; i < deliveries.length; i++) {
        const d = deliveries[i]!
        if (this.#dispatcher.lease(message, d, endpoints[i]!)) leased.push(d.id)
      }
    }
    const enqueueOptions = options.client !== undefined ? { client: options.client } : leased.length > 0 ? HAND_OFF : undefined
    let result: EnqueueResult
    try {
      result = await this.store.enqueue(message, deliveries, enqueueOptions)
    } catch (error) {
      this.#dispatcher.unlease(leased)
      throw error
    }
    // Exactly one of `adopt` or `unlease` for every lease, whatever the store did; after the emit
    // span is recorded, since an adopted delivery's send may start at once and carries that
    // span's context (`traceparent`).
    try {
      if (!result.duplicate) this.#metrics.emitted(deliveries.length)
      if (startedAt !== 0) this.#telemetry!.emitted(message, deliveries.length, startedAt, result.duplicate)
    } finally {
      if (!result.duplicate && result.handedOff !== false) this.#dispatcher.adopt(leased)
      else this.#dispatcher.unlease(leased)
    }
    if (!result.duplicate && (leased.length < deliveries.length || result.handedOff === false)) this.#dispatcher.wake()
    return { messageId: result.message.id, deliveryIds: result.deliveries.map((d) => d.id), duplicate: result.duplicate }
  }

  /**
   * Emits many events at once: each item is what `emit` takes (`event`, `data` and its options but
   * `client`). Every item is checked first, and any bad item refuses the whole batch with one
   * `ValidationError` naming each bad field by its index (`items.3.data.x`); then every message
   * and delivery is written in one store transaction (one statement on Postgres): all or none.
   * Idempotency keys behave as in `emit`, against stored messages and within the batch (a later
   * item with an earlier item's key is a duplicate of it). With `client` the batch joins the
   * host's open transaction (Postgres outbox), as `emit` does. Deliveries are claimed by the
   * worker (no hand-off). Resolves with one result per item, in order.
   * @throws ManagerClosedError after `close()`
   * @example
   * await hooks.emitMany([
   *   { event: 'order.created', data: { id: 1 } },
   *   { event: 'order.created', data: { id: 2 }, idempotencyKey: 'order-2' },
   * ])
   */
  async emitMany(items: readonly EmitManyItem<E>[], options: EmitManyOptions = {}): Promise<EmitResult[]> {
    this.#assertOpen('emitMany')
    if (!Array.isArray(items)) throw new ValidationError('emitMany', [{ field: 'items', message: 'expected an array' }])
    if (typeof options !== 'object' || options === null) throw new ValidationError('emitMany', [{ field: 'options', message: 'expected an object' }])
    const prepared = await this.#preparer.prepareBatch(items)
    if (prepared.length === 0) return []
    const results = await this.store.enqueueMany(prepared, options.client !== undefined ? { client: options.client } : undefined)
    for (const r of results) if (!r.duplicate) this.#metrics.emitted(r.deliveries.length)
    if (results.some((r) => !r.duplicate && r.deliveries.length > 0)) this.#dispatcher.wake()
    return results.map((r) => ({ messageId: r.message.id, deliveryIds: r.deliveries.map((d) => d.id), duplicate: r.duplicate }))
  }

  // ── deliveries ───────────────────────────────────────────────────────────

  /** Deliveries of an endpoint, newest first. */
  async listDeliveries(endpointId: string, options: ListDeliveriesOptions & OwnerScope = {}): Promise<Delivery[]> {
    await this.#endpoint(endpointId, options)
    const { owner: _owner, ...query } = options
    return this.store.listDeliveries({ ...query, endpointId, limit: query.limit ?? 50 })
  }

  /** One delivery with its attempts and message. */
  async getDelivery(id: string, options: OwnerScope = {}): Promise<DeliveryDetail> {
    const delivery = await this.store.getDelivery(id)
    if (!delivery) throw new NotFoundError('delivery', id)
    if (options.owner !== undefined) await this.#endpoint(delivery.endpointId, options).catch(() => {
      throw new NotFoundError('delivery', id)
    })
    const [attemptLog, message] = await Promise.all([this.store.listAttempts(id), this.store.getMessage(delivery.messageId)])
    return { ...delivery, attemptLog, message }
  }

  /**
   * Redelivers now. A pending automatic retry is replaced, not doubled. Throws ConflictError while an
   * attempt of it is in flight.
   */
  async retryDelivery(id: string, options: OwnerScope = {}): Promise<Delivery> {
    await this.getDelivery(id, options)
    const now = this.#now()
    const result = await this.store.requeueDelivery(id, now, now)
    if (result.status === 'missing') throw new NotFoundError('delivery', id)
    if (result.status === 'busy') throw new ConflictError(`delivery ${id} is being attempted right now; retry after it finishes`)
    this.#dispatcher.requeued(id)
    return result.delivery
  }

  /**
   * Deliveries across endpoints, newest first: those of one tenant's endpoints with `owner`, of
   * every endpoint without; `endpointId` narrows to one (of that tenant).
   */
  async findDeliveries(options: FindDeliveriesOptions = {}): Promise<Delivery[]> {
    if (options.endpointId !== undefined) await this.#endpoint(options.endpointId, options)
    const { owner, ...query } = options
    return this.store.listDeliveries({ ...query, ...(owner === undefined ? {} : { owner }), limit: query.limit ?? 50 })
  }

  /**
   * Redelivers every failed or dead delivery matching the filter (of one tenant's endpoints with
   * `owner`). Returns how many were requeued.
   */
  async replayDeliveries(options: ReplayOptions = {}): Promise<number> {
    if (options.endpointId !== undefined) await this.#endpoint(options.endpointId, options)
    const count = await this.store.replayDeliveries({
      ...(options.owner === undefined ? {} : { owner: options.owner }),
      endpointId: options.endpointId,
      statuses: options.statuses,
      since: options.since,
      until: options.until,
      at: this.#now(),
    })
    if (count > 0) this.#dispatcher.wake()
    return count
  }

  /**
   * Sends a test event to the endpoint now (bypassing queue and breaker) and returns the logged attempt.
   * @throws ManagerClosedError after `close()`
   */
  async testEndpoint(id: string, options: TestEndpointOptions & OwnerScope = {}): Promise<Attempt> {
    this.#assertOpen('testEndpoint')
    if (!this.#telemetryLoaded) await this.#loadTelemetry()
    const endpoint = await this.#endpoint(id, options)
    assertSecretsReadable(endpoint, this.#keyIds)
    const event = options.event ?? 'webhook.test'
    const data = options.data ?? this.#catalog.get(event)?.example ?? { test: true, message: 'hookline test event' }
    const now = this.#now()
    const message: Message = { id: createId('msg'), event, data, metadata: { test: true }, idempotencyKey: null, owner: endpoint.owner, createdAt: now }
    const workerId = createId('test')
    const delivery: Delivery = {
      // A test send stands outside the endpoint's line (if it is fifo): it neither waits nor holds anyone up.
      ...newDelivery(message, { id: endpoint.id, ordering: 'unordered', orderingKey: null }, now),
      status: 'delivering',
      lockedBy: workerId,
      lockedUntil: new Date(now.getTime() + (endpoint.timeoutMs ?? this.#options.timeoutMs ?? 10_000) + 60_000),
    }
    await this.store.enqueue(message, [delivery])
    const { attempt } = await this.#dispatcher.sendNow({ delivery, message }, endpoint, 'test')
    return attempt
  }

  /** Delivery statistics of an endpoint (optionally since a time). */
  async getStats(endpointId: string, options: OwnerScope & { since?: Date } = {}): Promise<DeliveryStats> {
    await this.#endpoint(endpointId, options)
    return this.store.getStats(endpointId, options.since)
  }

  /** Deletes finished deliveries, attempts, orphaned messages and incoming logs older than the cutoff. */
  async cleanup(options: CleanupOptions = {}): Promise<CleanupResult> {
    const olderThan = options.olderThan ?? THIRTY_DAYS
    const before = olderThan instanceof Date ? olderThan : new Date(this.#clock.now() - olderThan)
    return this.store.cleanup({ before })
  }

  // ── incoming ─────────────────────────────────────────────────────────────
  // Thin delegation to src/incoming/ (IncomingService); created on first use.

  #incomingService: IncomingService | null = null

  get #incoming(): IncomingService {
    return (this.#incomingService ??= new IncomingService({
      store: this.store,
      clock: this.#clock,
      basePath: this.#options.incomingPath,
      encryptionKeyIds: this.#keyIds,
    }))
  }

  /**
   * Creates an incoming hook: a secret token URL that accepts webhooks from outside, checks source
   * address, rate limit, size and signature, transforms the payload and hands it to the handler
   * registered for `route`. The result holds the plain `token` and its `path` (`/webhook/<token>`):
   * the only time they are shown (only a SHA-256 of the token is stored).
   * @throws ValidationError naming each bad field, templates included
   */
  createIncomingHook(input: CreateIncomingHookInput): Promise<IncomingHookView> {
    return this.#incoming.create(input)
  }

  /** One incoming hook, verification secret redacted unless `includeSecrets`. Throws NotFoundError when missing or another owner's. */
  getIncomingHook(id: string, options: GetIncomingHookOptions = {}): Promise<IncomingHookView> {
    return this.#incoming.get(id, options)
  }

  /** Incoming hooks, oldest first, paginated (`limit` default 100, `offset`). */
  listIncomingHooks(options: ListIncomingHooksOptions = {}): Promise<IncomingHookView[]> {
    return this.#incoming.list(options)
  }

  /** Changes an incoming hook (partial update); its templates are recompiled on next use. */
  updateIncomingHook(id: string, input: UpdateIncomingHookInput, options: OwnerScope = {}): Promise<IncomingHookView> {
    return this.#incoming.update(id, input, options)
  }

  /** Deletes an incoming hook and its logs. */
  deleteIncomingHook(id: string, options: OwnerScope = {}): Promise<void> {
    return this.#incoming.delete(id, options)
  }

  /** Issues a new token for an incoming hook; the old URL answers 404 at once. The result holds the new token and path, once. */
  rotateIncomingToken(id: string, options: OwnerScope = {}): Promise<IncomingHookView> {
    return this.#incoming.rotateToken(id, options)
  }

  /**
   * Registers the host handler of an incoming route (a hook's `route`). It receives the transformed
   * payload, the original body, headers and hook; its result or error decides the answer (see
   * {@link IncomingRouteHandler}). Returns a function that unregisters it.
   * @throws ConflictError when the route already has a handler
   */
  onIncoming<T = unknown>(route: string, handler: IncomingRouteHandler<T>): () => void {
    return this.#incoming.on(route, handler)
  }

  /** Request logs of an incoming hook, newest first (`limit` default 50, `offset`). */
  listIncomingLogs(hookId: string, options: ListIncomingLogsOptions = {}): Promise<IncomingLog[]> {
    return this.#incoming.listLogs(hookId, options)
  }

  /**
   * Statistics of an incoming hook's requests, from its log: total, 2xx vs the rest, success rate,
   * mean and p95 handling time, counts per status; only those received at or after `since` when given.
   */
  getIncomingStats(hookId: string, options: OwnerScope & { since?: Date } = {}): Promise<IncomingStats> {
    return this.#incoming.stats(hookId, options)
  }

  /**
   * The incoming request handler: Web-standard `(request: Request) => Promise<Response>` serving
   * `POST <path>/<token>`. Mount it with `toNodeHandler` (Express, `node:http`), `toKoaMiddleware`
   * or `toHonoHandler`, or call it directly from any fetch-style server.
   * @example app.post('/webhook/:token', toNodeHandler(hooks.incomingHandler()))
   */
  incomingHandler(options: IncomingHandlerOptions = {}): IncomingRequestHandler {
    const handle = answerHandlerOf(this.#incoming.handler(options))
    void this.#loadTelemetry()
    return fetchHandlerOf<IncomingRequestHandler>(async (request, connection) => {
      if (!this.#telemetryLoaded) await this.#loadTelemetry()
      const startedAt = this.#telemetry?.active ? Date.now() : 0
      const response = await handle(request, connection)
      this.#metrics.incoming(response.status)
      if (startedAt !== 0) this.#telemetry!.incoming(response.status, startedAt)
      return response
    })
  }

  // ── observability and the portal ─────────────────────────────────────────

  /**
   * The state of an endpoint's circuit breaker: as every worker shares it when the store keeps
   * breakers (SQLite, Postgres), else in this process (`closed` when it has not been called here).
   * Throws NotFoundError when missing or another owner's.
   */
  async getBreakerState(endpointId: string, options: OwnerScope = {}): Promise<BreakerState> {
    await this.#endpoint(endpointId, options)
    if (this.#breakers.shared) return sharedBreakerState(await this.store.getBreaker!(endpointId), this.#clock.now())
    return this.#breakers.state(endpointId)
  }

  /**
   * A snapshot of this process's counters (emits, attempt outcomes, attempt latency, incoming
   * requests) and gauges (worker queue, breakers). `GET /metrics` of the management API renders it
   * for Prometheus.
   */
  getMetrics(): MetricsSnapshot {
    const breakers = this.#breakers.counts()
    return {
      emitted: { messages: this.#metrics.emittedMessages, deliveries: this.#metrics.emittedDeliveries },
      deliveries: { succeeded: this.#metrics.succeeded, failed: this.#metrics.failed, dead: this.#metrics.dead },
      attemptDuration: this.#metrics.histogram(),
      queue: this.#dispatcher.load,
      breakers: { closed: breakers.closed, open: breakers.open, halfOpen: breakers['half-open'] },
      incoming: { requests: this.#metrics.incomingByStatus() },
      takenAt: this.#now(),
    }
  }

  /**
   * A signed, expiring link to the console in tenant-portal mode: whoever opens it sees and manages
   * the webhooks of `owner` only, until `expiresIn` ms from now. Signed with the `portalSecret`
   * option (set it when several processes serve the console, or links die with this process).
   * @example
   * const { url } = hooks.portalLink({ owner: 'acme', expiresIn: 3_600_000, url: 'https://app.example.com/webhooks-console/' })
   */
  portalLink(options: PortalLinkOptions): PortalLink {
    return createPortalLink(this.#portalSecret, options, this.#clock.now())
  }

  /** The grant of a portal token (from {@link portalLink}), or `null` when it is invalid or expired. */
  verifyPortalToken(token: string): PortalGrant | null {
    return verifyPortalToken(this.#portalSecret, token, this.#clock.now())
  }

  // ── secrets at rest ──────────────────────────────────────────────────────

  /**
   * Re-encrypts every stored secret under the newest encryption key (the first of
   * `encryptionKeys`): plain-text values of rows written before encryption was turned on, and
   * values under older keys. Reads page by page (`batchSize`) and writes back only records that
   * need it, so it is safe to run while the service runs and to run again after an interruption: a
   * second run finds nothing left to do. Records with a secret no configured key opens are left
   * as they are and counted as `unreadable` (see `firstError`); once every count of a run is
   * `unreadable: 0`, keys other than the first can be removed.
   * @throws HooklineError `CONFIGURATION_ERROR` when no `encryptionKeys` are configured
   * @example
   * const { endpoints, incomingHooks } = await hooks.reencryptSecrets()
   */
  async reencryptSecrets(options: ReencryptOptions = {}): Promise<ReencryptResult> {
    if (this.#encrypted === null) {
      throw new HooklineError('CONFIGURATION_ERROR', 'reencryptSecrets needs the manager option `encryptionKeys` (the first key is the one secrets are re-encrypted under)')
    }
    try {
      return await this.#encrypted.reencryptSecrets(options)
    } finally {
      this.#directory.invalidate()
    }
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** Once per manager: secrets of a durable store are kept as plain text without `encryptionKeys`. */
  #warnPlainSecrets(): void {
    if (this.#warnedPlainSecrets || this.#encrypted !== null || !this.store.durable) return
    this.#warnedPlainSecrets = true
    process.emitWarning(
      `the ${this.store.name} store keeps endpoint secrets, auth credentials and incoming verification secrets as plain text: ` +
        'set the manager option `encryptionKeys` (CLI: HOOKLINE_ENCRYPTION_KEYS) to encrypt them at rest',
      { type: 'HooklineWarning', code: 'HOOKLINE_PLAINTEXT_SECRETS' },
    )
  }

  /** Views of endpoints; with secrets, only when every secret can be decrypted. */
  #views(endpoints: Endpoint[], includeSecrets: boolean, now: number): EndpointView[] {
    if (includeSecrets) for (const e of endpoints) assertSecretsReadable(e, this.#keyIds)
    return endpoints.map((e) => toEndpointView(e, includeSecrets, now))
  }

  #now(): Date {
    return new Date(this.#clock.now())
  }

  #overlapMs(): number {
    return this.#options.secretRotationOverlapMs ?? 86_400_000
  }

  async #endpoint(id: string, scope: OwnerScope): Promise<Endpoint> {
    const endpoint = typeof id === 'string' ? await this.store.getEndpoint(id) : null
    if (!endpoint || (scope.owner !== undefined && endpoint.owner !== scope.owner)) throw new NotFoundError('endpoint', String(id))
    return endpoint
  }

  async #save(endpoint: Endpoint, includeSecret: boolean): Promise<EndpointView> {
    if (!(await this.store.updateEndpoint(endpoint))) throw new NotFoundError('endpoint', endpoint.id)
    this.#directory.invalidate()
    return toEndpointView(endpoint, includeSecret, this.#clock.now())
  }
}

/** Creates a webhook manager. See {@link WebhookManagerOptions}. */
export function createWebhookManager<E extends EventMap = EventMap>(options: WebhookManagerOptions = {}): WebhookManager<E> {
  return new WebhookManager<E>(options)
}

