import { assertSecretsReadable } from '../crypto/secret-fields.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import type { WebhookStore } from '../store/types.js'
import type { Clock, IncomingHook, IncomingLog, IncomingStats } from '../types.js'
import { createIncomingHandler, type IncomingRequestHandler } from './handle-incoming.js'
import { applyIncomingUpdate, buildIncomingHook, rotateIncomingToken } from './incoming-records.js'
import type { CreateIncomingHookInput, UpdateIncomingHookInput } from './incoming-schema.js'
import type { IncomingHandlerOptions, IncomingRouteHandler } from './incoming-types.js'
import { toIncomingHookView, type IncomingHookView } from './incoming-view.js'
import { SlidingWindowRateLimiter } from './rate-limit.js'
import { Transformer } from './transform.js'

/** Scopes a call to one tenant: hooks of other owners read as not found. */
export interface IncomingScope {
  /** Tenant the caller acts for; omit for unscoped (operator) access. */
  owner?: string | null
}

/** Options of `getIncomingHook`. */
export interface GetIncomingHookOptions extends IncomingScope {
  /** Include the verification secret. @default false */
  includeSecrets?: boolean
}

/** Options of `listIncomingHooks`; oldest first. */
export interface ListIncomingHooksOptions {
  /** Only hooks of this tenant. */
  owner?: string
  /** Page size (1–1000). @default 100 */
  limit?: number
  /** Rows to skip. @default 0 */
  offset?: number
  /** Include verification secrets. @default false */
  includeSecrets?: boolean
}

/** Options of `listIncomingLogs`; newest first. */
export interface ListIncomingLogsOptions extends IncomingScope {
  /** Page size (1–1000). @default 50 */
  limit?: number
  /** Rows to skip. @default 0 */
  offset?: number
}

/** What the incoming service needs from its manager. */
export interface IncomingServiceDeps {
  /** Where hooks and logs live. */
  store: WebhookStore
  /** Time source. */
  clock: Clock
  /** Mount path of the token URLs, for the `path` shown on creation and rotation. @default '/webhook' */
  basePath?: string
  /** Ids of the configured encryption keys, named in the error of a hook whose secret no key opens. */
  encryptionKeyIds?: readonly string[]
}

/**
 * Incoming hooks of one manager: definitions (CRUD with validation), route handlers, the request
 * handler factory, logs, and the state handlers share (rate-limit windows, in-flight delivery ids,
 * render workers).
 */
export class IncomingService {
  readonly #store: WebhookStore
  readonly #clock: Clock
  readonly #routes = new Map<string, IncomingRouteHandler>()
  readonly #limiter: SlidingWindowRateLimiter
  readonly #inFlight = new Set<string>()
  readonly #basePath: string
  readonly #keyIds: readonly string[]
  /** One render pool per distinct pool setting, shared by the handlers that use it. */
  readonly #transformers = new Map<string, Transformer>()

  constructor(deps: IncomingServiceDeps) {
    this.#store = deps.store
    this.#clock = deps.clock
    this.#limiter = new SlidingWindowRateLimiter(deps.clock)
    this.#basePath = deps.basePath ?? '/webhook'
    this.#keyIds = deps.encryptionKeyIds ?? []
  }

  /** Creates a hook. The result holds the plain token and its path: the only time they are shown. */
  async create(input: CreateIncomingHookInput): Promise<IncomingHookView> {
    const { hook, token } = buildIncomingHook(input, this.#now())
    await this.#store.createIncomingHook(hook)
    return toIncomingHookView(hook, { token, includeSecrets: true, basePath: this.#basePath })
  }

  /** One hook. Throws NotFoundError when missing or owned by another tenant. */
  async get(id: string, options: GetIncomingHookOptions = {}): Promise<IncomingHookView> {
    const hook = await this.#hook(id, options)
    if (options.includeSecrets === true) assertSecretsReadable(hook, this.#keyIds)
    return toIncomingHookView(hook, { includeSecrets: options.includeSecrets === true })
  }

  /** Hooks, oldest first, secrets redacted unless asked for. */
  async list(options: ListIncomingHooksOptions = {}): Promise<IncomingHookView[]> {
    const rows = await this.#store.listIncomingHooks({
      owner: options.owner,
      limit: pageSize(options.limit, 100),
      offset: pageOffset(options.offset),
    })
    if (options.includeSecrets === true) for (const hook of rows) assertSecretsReadable(hook, this.#keyIds)
    return rows.map((hook) => toIncomingHookView(hook, { includeSecrets: options.includeSecrets === true }))
  }

  /** Changes a hook (partial update). Its version goes up, so its templates are recompiled. */
  async update(id: string, input: UpdateIncomingHookInput, scope: IncomingScope = {}): Promise<IncomingHookView> {
    const next = applyIncomingUpdate(await this.#hook(id, scope), input, this.#now())
    await this.#save(next)
    return toIncomingHookView(next)
  }

  /** Deletes a hook and its logs. */
  async delete(id: string, scope: IncomingScope = {}): Promise<void> {
    await this.#hook(id, scope)
    await this.#store.deleteIncomingHook(id)
    this.#limiter.forget(id)
  }

  /** Issues a new token; the old one answers 404 from now on. The result holds the new token once. */
  async rotateToken(id: string, scope: IncomingScope = {}): Promise<IncomingHookView> {
    const { hook, token } = rotateIncomingToken(await this.#hook(id, scope), this.#now())
    await this.#save(hook)
    return toIncomingHookView(hook, { token, basePath: this.#basePath })
  }

  /** Logs of a hook, newest first. */
  async listLogs(hookId: string, options: ListIncomingLogsOptions = {}): Promise<IncomingLog[]> {
    await this.#hook(hookId, options)
    return this.#store.listIncomingLogs(hookId, { limit: pageSize(options.limit, 50), offset: pageOffset(options.offset) })
  }

  /** Statistics of a hook's requests (from its log), of those received at or after `since` when given. */
  async stats(hookId: string, options: IncomingScope & { since?: Date } = {}): Promise<IncomingStats> {
    await this.#hook(hookId, options)
    return this.#store.getIncomingStats(hookId, options.since)
  }

  /**
   * Registers the host handler of a route. Returns a function that removes it.
   * @throws ConflictError when the route already has a handler
   */
  on<T = unknown>(route: string, handler: IncomingRouteHandler<T>): () => void {
    if (typeof route !== 'string' || route.trim() === '') {
      throw new ValidationError('incoming route', [{ field: 'route', message: 'must be a non-empty string' }])
    }
    if (typeof handler !== 'function') throw new ValidationError('incoming route', [{ field: 'handler', message: 'must be a function' }])
    const name = route.trim()
    if (this.#routes.has(name)) throw new ConflictError(`a handler for incoming route ${JSON.stringify(name)} is already registered`)
    const registered = handler as IncomingRouteHandler
    this.#routes.set(name, registered)
    return () => {
      if (this.#routes.get(name) === registered) this.#routes.delete(name)
    }
  }

  /** Creates a Web-standard request handler (see `createIncomingHandler`). */
  handler(options: IncomingHandlerOptions = {}): IncomingRequestHandler {
    const pool = options.transform ?? {}
    const key = [pool.processes, pool.memoryLimitMb, pool.idleTimeoutMs, pool.maxQueued, pool.maxQueueWaitMs].join('|')
    let transformer = this.#transformers.get(key)
    if (transformer === undefined) {
      transformer = new Transformer(pool)
      this.#transformers.set(key, transformer)
    }
    return createIncomingHandler(
      {
        store: this.#store,
        clock: this.#clock,
        route: (name) => this.#routes.get(name),
        limiter: this.#limiter,
        transformer,
        inFlight: this.#inFlight,
        encryptionKeyIds: this.#keyIds,
      },
      { ...options, path: options.path ?? this.#basePath },
    )
  }

  /** Stops the render processes of every handler created (they also stop by themselves when idle). */
  async close(): Promise<void> {
    await Promise.all([...this.#transformers.values()].map((t) => t.close()))
    this.#transformers.clear()
  }

  #now(): Date {
    return new Date(this.#clock.now())
  }

  async #hook(id: string, scope: IncomingScope): Promise<IncomingHook> {
    const hook = typeof id === 'string' ? await this.#store.getIncomingHook(id) : null
    if (hook === null || (scope.owner !== undefined && hook.owner !== scope.owner)) throw new NotFoundError('incoming hook', String(id))
    return hook
  }

  async #save(hook: IncomingHook): Promise<void> {
    if (!(await this.#store.updateIncomingHook(hook))) throw new NotFoundError('incoming hook', hook.id)
  }
}

function pageSize(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new ValidationError('page', [{ field: 'limit', message: `expected a whole number from 1 to 1000, got ${String(value)}` }])
  }
  return value
}

function pageOffset(value: number | undefined): number {
  if (value === undefined) return 0
  if (!Number.isInteger(value) || value < 0) {
    throw new ValidationError('page', [{ field: 'offset', message: `expected a whole number >= 0, got ${String(value)}` }])
  }
  return value
}
