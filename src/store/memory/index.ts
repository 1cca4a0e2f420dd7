import type {
  Attempt,
  Delivery,
  DeliveryStatus,
  Endpoint,
  IncomingHook,
  IncomingLog,
  Message,
} from '../../types.js'
import { isDeepStrictEqual } from 'node:util'
import { ValidationError } from '../../errors.js'
import { emptyCounts, p95Offset, summarizeIncomingStats, summarizeStats } from '../stats.js'
import type {
  ClaimedDelivery,
  CleanupResult,
  EnqueueResult,
  DeliveryQuery,
  RequeueResult,
  UpdateOptions,
  WebhookStore,
} from '../types.js'
import { classifyEnqueueConflict } from '../sql/enqueue-conflict.js'
import { firstOccurrences } from '../first-occurrences.js'
import { DueLanes } from './due-lanes.js'
import { FifoLines } from './fifo-lines.js'
import { AttemptRecord, DeliveryRecord, MessageRecord, Times } from './records.js'
import { inMemoryWorkerRegistry } from '../worker-records.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Adapter name shown in logs. @default 'memory' */
  name?: string
  /**
   * Incoming logs kept per hook (and for requests to unknown tokens, together): past this many,
   * the oldest is dropped. The memory store keeps everything in the process's heap, so without
   * a bound a busy hook would grow it forever. `cleanup` still drops logs older than its cutoff.
   * @default 10_000
   */
  maxIncomingLogsPerHook?: number
}

/** Default of {@link MemoryStoreOptions.maxIncomingLogsPerHook}. */
export const DEFAULT_MAX_INCOMING_LOGS_PER_HOOK = 10_000

const FINISHED: ReadonlySet<DeliveryStatus> = new Set(['succeeded', 'dead'])

/**
 * One page of `list`, oldest `createdAt` first with ties in insertion order (the SQL stores'
 * `ORDER BY created_at, rowid`: `list` comes in Map order and the sort is stable), as copies.
 */
function oldestFirstPage<T extends { createdAt: Date }>(list: T[], query: { limit?: number; offset?: number }): T[] {
  const offset = query.offset ?? 0
  return list
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
    .slice(offset, offset + (query.limit ?? 100))
    .map((record) => ({ ...record }))
}

/** An endpoint's deliveries in insertion order; removed ones are dropped lazily (`dead` counts them). */
interface EndpointDeliveries {
  list: DeliveryRecord[]
  dead: number
}

/**
 * An in-process store: fast, zero set-up, and gone when the process exits. Use it for tests,
 * development and fire-and-forget notifications; use SQLite or Postgres when deliveries must
 * survive a restart.
 *
 * It keeps compact records of its own (see `records.ts`): about 500 bytes per queued delivery
 * beyond the payload (`npm run bench`, section `heap`).
 *
 * @example
 * const manager = createWebhookManager({ store: memoryStore() })
 */
export function memoryStore(options: MemoryStoreOptions = {}): WebhookStore {
  const maxLogs = options.maxIncomingLogsPerHook ?? DEFAULT_MAX_INCOMING_LOGS_PER_HOOK
  if (!Number.isInteger(maxLogs) || maxLogs < 1) {
    throw new ValidationError('memory store options', [{ field: 'maxIncomingLogsPerHook', message: `expected an integer ≥ 1, got ${String(maxLogs)}` }])
  }
  const times = new Times()
  const endpoints = new Map<string, Endpoint>()
  const messages = new Map<string, MessageRecord>()
  const idempotency = new Map<string, string>()
  const deliveries = new Map<string, DeliveryRecord>()
  const byEndpoint = new Map<string, EndpointDeliveries>()
  const due = new DueLanes<DeliveryRecord>()
  const lines = new FifoLines()
  const hooks = new Map<string, IncomingHook>()
  /** Incoming hook id by token hash: the incoming handler's lookup, once per request. */
  const hookByToken = new Map<string, string>()
  /** Points `tokenHash` at the first stored hook that has it (none has: the entry goes). */
  const reindexToken = (tokenHash: string): void => {
    hookByToken.delete(tokenHash)
    for (const h of hooks.values()) {
      if (h.tokenHash === tokenHash) {
        hookByToken.set(tokenHash, h.id)
        return
      }
    }
  }
  const logs = new Map<string, IncomingLog[]>()
  const seenKeys = new Map<string, number>()

  /** Puts `d` in the due heap at the time it can next be claimed, or takes it out (also while it waits behind its fifo line's head). */
  const schedule = (d: DeliveryRecord): void => {
    const at = d.claimableAt()
    if (at === null || lines.parks(d)) due.remove(d)
    else due.set(d, at)
  }

  /** Reschedules `d` and the front of its fifo line after a change of its state. */
  const rescheduleLine = (d: DeliveryRecord): void => {
    schedule(d)
    if (d.orderingKey !== null) for (const x of lines.front(d)) schedule(x)
  }

  /** Before a manual retry or replay makes `d` pending: a finished fifo delivery takes back its place in its line. */
  const rejoinLine = (d: DeliveryRecord): void => {
    if (d.orderingKey === null) return
    if (FINISHED.has(d.status)) lines.reinsert(d)
    lines.unleased(d)
  }

  const live = (d: DeliveryRecord | undefined): d is DeliveryRecord => d !== undefined && deliveries.get(d.id) === d

  const endpointDeliveries = (endpointId: string): DeliveryRecord[] => {
    const entry = byEndpoint.get(endpointId)
    if (!entry) return []
    if (entry.dead > 0) {
      entry.list = entry.list.filter((d) => deliveries.get(d.id) === d)
      entry.dead = 0
    }
    return entry.list
  }

  const removeDelivery = (d: DeliveryRecord): void => {
    if (deliveries.get(d.id) !== d) return
    deliveries.delete(d.id)
    due.remove(d)
    if (d.orderingKey !== null) {
      lines.remove(d)
      rescheduleLine(d)
    }
    const entry = byEndpoint.get(d.endpointId)
    if (entry && ++entry.dead > entry.list.length / 2) endpointDeliveries(d.endpointId)
  }

  const ownedBy = (d: DeliveryRecord, owner: string | null | undefined): boolean => {
    if (owner === undefined) return true
    const endpoint = endpoints.get(d.endpointId)
    return endpoint !== undefined && endpoint.owner === owner
  }

  const matchesQuery = (d: DeliveryRecord, q: DeliveryQuery, statuses: DeliveryStatus[] | undefined): boolean =>
    (q.messageId === undefined || d.message.id === q.messageId) &&
    ownedBy(d, q.owner) &&
    (statuses === undefined || statuses.includes(d.status)) &&
    (q.since === undefined || d.createdAt >= times.of(q.since)) &&
    (q.until === undefined || d.createdAt < times.of(q.until))

  const enqueueOne = (message: Message, list: Delivery[]): EnqueueResult => {
    if (message.idempotencyKey !== null) {
      const existingId = idempotency.get(idempotencyScope(message))
      const existing = existingId === undefined ? undefined : messages.get(existingId)
      if (existing) {
        const found = existing.deliveryList().filter(live)
        return { message: existing.toMessage(times), deliveries: found.map((d) => d.toDelivery(times)), duplicate: true }
      }
      idempotency.set(idempotencyScope(message), message.id)
    }
    const again = messages.get(message.id)
    if (again) {
      // This very message, stored before (a repeated call): nothing new, as the SQL stores' ON CONFLICT.
      return { message, deliveries: again.deliveryList().filter(live).map((d) => d.toDelivery(times)), duplicate: false }
    }
    const record = MessageRecord.from(message, times)
    messages.set(message.id, record)
    for (const d of list) {
      const r = new DeliveryRecord(record, d, times)
      deliveries.set(r.id, r)
      record.addDelivery(r)
      let entry = byEndpoint.get(r.endpointId)
      if (!entry) byEndpoint.set(r.endpointId, (entry = { list: [], dead: 0 }))
      entry.list.push(r)
      lines.add(r)
      schedule(r)
    }
    return { message, deliveries: list, duplicate: false }
  }

  const store: WebhookStore = {
    name: options.name ?? 'memory',
    durable: false,
    async migrate() {},
    async close() {},

    async createEndpoint(endpoint) {
      endpoints.set(endpoint.id, { ...endpoint })
    },
    async getEndpoint(id) {
      const e = endpoints.get(id)
      return e ? { ...e } : null
    },
    async listEndpoints(query = {}) {
      const out: Endpoint[] = []
      for (const e of endpoints.values()) {
        if (query.owner !== undefined && e.owner !== query.owner) continue
        if (query.status !== undefined && e.status !== query.status) continue
        out.push(e)
      }
      return oldestFirstPage(out, query)
    },
    async updateEndpoint(endpoint, options) {
      if (!isUnchanged(endpoints.get(endpoint.id), options)) return false
      endpoints.set(endpoint.id, { ...endpoint })
      return true
    },
    async deleteEndpoint(id) {
      if (!endpoints.delete(id)) return false
      for (const d of endpointDeliveries(id).slice()) if (!FINISHED.has(d.status)) removeDelivery(d)
      return true
    },

    async enqueue(message, list) {
      return enqueueOne(message, list)
    },
    async enqueueMany(items) {
      // Every check before the first write, then one synchronous step: all or nothing.
      firstOccurrences(items)
      for (const { message } of items) {
        const stored = messages.get(message.id)
        if (stored !== undefined) classifyEnqueueConflict('memory', message, stored.toMessage(times))
      }
      return items.map(({ message, deliveries: list }) => enqueueOne(message, list))
    },
    async getMessage(id) {
      return messages.get(id)?.toMessage(times) ?? null
    },
    async claim({ now, limit, leaseMs, workerId, excludeEndpointIds }) {
      const nowMs = times.of(now)
      const excluded = excludeEndpointIds && excludeEndpointIds.length > 0 ? new Set(excludeEndpointIds) : undefined
      const out: ClaimedDelivery[] = []
      // One Message object per message in this batch (its envelope is built once for all its deliveries).
      let shared: Map<MessageRecord, Message> | undefined
      due.takeDue(nowMs, limit, excluded, (d) => {
        if (d.orderingKey !== null && !lines.mayClaim(d, nowMs)) {
          // Parked until its line moves on. A member behind the head whose lease ran out (after a
          // manual retry put an older one first) may have been what held the head back.
          const head = lines.front(d)[0]
          if (head !== undefined && head !== d && d.status === 'delivering') schedule(head)
          return false
        }
        d.status = 'delivering'
        d.lockedBy = workerId
        d.lockedUntil = nowMs + leaseMs
        d.updatedAt = nowMs
        schedule(d)
        if (d.orderingKey !== null) lines.leased(d)
        let message: Message | undefined
        if (!Array.isArray(d.message.deliveries)) message = d.message.toMessage(times)
        else {
          shared ??= new Map()
          message = shared.get(d.message)
          if (!message) shared.set(d.message, (message = d.message.toMessage(times)))
        }
        out.push({ delivery: d.toDelivery(times), message })
      })
      return out
    },
    async complete(outcomes) {
      for (const o of outcomes) {
        const d = deliveries.get(o.deliveryId)
        if (!d) continue
        if (o.attempt) d.addAttempt(AttemptRecord.from(o.attempt, times))
        if (d.status !== 'delivering' || d.lockedBy !== o.workerId) continue
        d.status = o.status
        d.attempts = o.attempts
        d.nextAttemptAt = times.ofNullable(o.nextAttemptAt)
        d.lastStatusCode = o.lastStatusCode
        d.lastError = o.lastError
        d.completedAt = times.ofNullable(o.completedAt)
        d.updatedAt = times.of(o.updatedAt)
        d.lockedBy = null
        d.lockedUntil = null
        if (d.orderingKey !== null) {
          lines.unleased(d)
          if (FINISHED.has(d.status)) lines.remove(d)
        }
        rescheduleLine(d)
      }
    },
    async release(ids, workerId, now) {
      const at = times.of(now)
      for (const id of ids) {
        const d = deliveries.get(id)
        if (!d || d.status !== 'delivering' || d.lockedBy !== workerId) continue
        d.status = 'pending'
        d.lockedBy = null
        d.lockedUntil = null
        d.nextAttemptAt = at
        d.updatedAt = at
        lines.unleased(d)
        rescheduleLine(d)
      }
    },
    async nextDueAt() {
      const top = due.peek()
      return top ? times.date(top.dueAt) : null
    },
    async getDelivery(id) {
      return deliveries.get(id)?.toDelivery(times) ?? null
    },
    async listDeliveries(query = {}) {
      const offset = query.offset ?? 0
      const limit = query.limit ?? 100
      const statuses = query.status === undefined ? undefined : Array.isArray(query.status) ? query.status : [query.status]
      const source = query.endpointId !== undefined ? endpointDeliveries(query.endpointId) : Array.from(deliveries.values())
      const out: Delivery[] = []
      let skipped = 0
      for (let i = source.length - 1; i >= 0 && out.length < limit; i--) {
        const d = source[i]!
        if (!matchesQuery(d, query, statuses)) continue
        if (skipped++ < offset) continue
        out.push(d.toDelivery(times))
      }
      return out
    },
    async requeueDelivery(id, at, now): Promise<RequeueResult> {
      const d = deliveries.get(id)
      if (!d) return { status: 'missing' }
      if (d.status === 'delivering' && d.lockedUntil !== null && d.lockedUntil > times.of(now)) return { status: 'busy', delivery: d.toDelivery(times) }
      rejoinLine(d)
      d.status = 'pending'
      d.nextAttemptAt = times.of(at)
      d.lockedBy = null
      d.lockedUntil = null
      d.completedAt = null
      d.updatedAt = times.of(now)
      rescheduleLine(d)
      return { status: 'requeued', delivery: d.toDelivery(times) }
    },
    async replayDeliveries({ endpointId, owner, statuses = ['dead', 'failed'], since, until, at }) {
      const source = endpointId !== undefined ? endpointDeliveries(endpointId).slice() : Array.from(deliveries.values())
      const atMs = times.of(at)
      let count = 0
      for (const d of source) {
        if (!matchesQuery(d, { since, until, owner }, statuses) || d.status === 'delivering') continue
        rejoinLine(d)
        d.status = 'pending'
        d.nextAttemptAt = atMs
        d.completedAt = null
        d.updatedAt = atMs
        rescheduleLine(d)
        count++
      }
      return count
    },
    async listAttempts(deliveryId) {
      const d = deliveries.get(deliveryId)
      return d ? d.attemptList().map((a) => a.toAttempt(deliveryId, times)) : []
    },
    async getStats(endpointId, since) {
      const counts = emptyCounts()
      const durations: number[] = []
      let lastAttemptAt: number | null = null
      const sinceMs = since ? times.of(since) : null
      for (const d of endpointDeliveries(endpointId)) {
        if (sinceMs !== null && d.createdAt < sinceMs) continue
        counts[d.status]++
        for (const a of d.attemptList()) {
          durations.push(a.durationMs)
          if (lastAttemptAt === null || a.startedAt > lastAttemptAt) lastAttemptAt = a.startedAt
        }
      }
      return summarizeStats(counts, durations, times.dateNullable(lastAttemptAt))
    },
    async cleanup({ before }) {
      const result: CleanupResult = { deliveries: 0, attempts: 0, messages: 0, incomingLogs: 0 }
      const beforeMs = times.of(before)
      for (const d of Array.from(deliveries.values())) {
        if (!FINISHED.has(d.status) || d.completedAt === null || d.completedAt >= beforeMs) continue
        result.attempts += d.attemptCount
        removeDelivery(d)
        result.deliveries++
      }
      for (const [id, m] of messages) {
        if (m.createdAt >= beforeMs) continue
        const kept = m.deliveryList().filter(live)
        if (kept.length > 0) {
          m.deliveries = kept.length === 1 ? kept[0]! : kept
          continue
        }
        messages.delete(id)
        if (m.idempotencyKey !== null) idempotency.delete(idempotencyScope(m))
        result.messages++
      }
      for (const [hookId, list] of logs) {
        const kept = list.filter((l) => l.receivedAt >= before)
        result.incomingLogs += list.length - kept.length
        logs.set(hookId, kept)
      }
      const cutoff = before.getTime()
      for (const [key, expiresAt] of seenKeys) if (expiresAt < cutoff) seenKeys.delete(key)
      return result
    },

    async createIncomingHook(hook) {
      const previous = hooks.get(hook.id)
      hooks.set(hook.id, { ...hook })
      if (previous !== undefined && previous.tokenHash !== hook.tokenHash) reindexToken(previous.tokenHash)
      if (!hookByToken.has(hook.tokenHash)) hookByToken.set(hook.tokenHash, hook.id)
    },
    async getIncomingHook(id) {
      const h = hooks.get(id)
      return h ? { ...h } : null
    },
    async findIncomingHookByTokenHash(tokenHash) {
      const id = hookByToken.get(tokenHash)
      const h = id === undefined ? undefined : hooks.get(id)
      return h !== undefined && h.tokenHash === tokenHash ? { ...h } : null
    },
    async listIncomingHooks(query = {}) {
      const out: IncomingHook[] = []
      for (const h of hooks.values()) if (query.owner === undefined || h.owner === query.owner) out.push(h)
      return oldestFirstPage(out, query)
    },
    async updateIncomingHook(hook, options) {
      const previous = hooks.get(hook.id)
      if (!isUnchanged(previous, options)) return false
      hooks.set(hook.id, { ...hook })
      if (previous!.tokenHash !== hook.tokenHash) {
        reindexToken(previous!.tokenHash)
        if (!hookByToken.has(hook.tokenHash)) hookByToken.set(hook.tokenHash, hook.id)
      }
      return true
    },
    async deleteIncomingHook(id) {
      logs.delete(id)
      const previous = hooks.get(id)
      if (previous === undefined) return false
      hooks.delete(id)
      if (hookByToken.get(previous.tokenHash) === id) reindexToken(previous.tokenHash)
      return true
    },
    async insertIncomingLog(log) {
      const key = log.hookId ?? ''
      let list = logs.get(key)
      if (!list) logs.set(key, (list = []))
      list.push({ ...log })
      // Oldest first: past the cap, drop the oldest (shift is O(1) on V8's arrays).
      if (list.length > maxLogs) list.shift()
    },
    async getIncomingStats(hookId, since) {
      const byStatus = new Map<number, number>()
      const durations: number[] = []
      let sumDurationMs = 0
      let lastReceivedAt: Date | null = null
      for (const log of logs.get(hookId) ?? []) {
        if (since && log.receivedAt < since) continue
        byStatus.set(log.status, (byStatus.get(log.status) ?? 0) + 1)
        durations.push(log.durationMs)
        sumDurationMs += log.durationMs
        if (!lastReceivedAt || log.receivedAt > lastReceivedAt) lastReceivedAt = log.receivedAt
      }
      const sorted = Float64Array.from(durations).sort()
      return summarizeIncomingStats({ byStatus, sumDurationMs, p95DurationMs: sorted.length > 0 ? sorted[p95Offset(sorted.length)]! : null, lastReceivedAt })
    },
    async listIncomingLogs(hookId, query = {}) {
      const offset = query.offset ?? 0
      const limit = query.limit ?? 100
      const list = logs.get(hookId) ?? []
      return list
        .slice()
        .reverse()
        .slice(offset, offset + limit)
        .map((l) => ({ ...l }))
    },
    async rememberIncomingKey(hookId, key, now, expiresAt) {
      const k = `${hookId}\u0000${key}`
      const existing = seenKeys.get(k)
      if (existing !== undefined && existing > now.getTime()) return false
      seenKeys.set(k, expiresAt.getTime())
      return true
    },
    ...inMemoryWorkerRegistry((workerId) => {
      let count = 0
      for (const d of deliveries.values()) if (d.status === 'delivering' && d.lockedBy === workerId) count++
      return count
    }),
  }
  return store
}

/** Idempotency keys are scoped per tenant: one tenant's key never matches another's message. */
function idempotencyScope(message: { owner: string | null; idempotencyKey: string | null }): string {
  return `${message.owner ?? ''}\u0000${message.idempotencyKey}`
}

/** True when `stored` exists and, for a compare-and-set update, still equals what the caller read. */
function isUnchanged<T>(stored: T | undefined, options: UpdateOptions<T> | undefined): boolean {
  return stored !== undefined && (options?.expected === undefined || isDeepStrictEqual(stored, options.expected))
}
