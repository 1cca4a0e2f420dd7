import type {
  Attempt,
  Delivery,
  DeliveryStatus,
  Endpoint,
  IncomingHook,
  IncomingLog,
  Message,
} from '../../types.js'
import { emptyCounts, p95Offset, summarizeIncomingStats, summarizeStats } from '../stats.js'
import type {
  ClaimedDelivery,
  CleanupResult,
  EnqueueResult,
  DeliveryQuery,
  RequeueResult,
  WebhookStore,
} from '../types.js'
import { classifyEnqueueConflict } from '../sql/enqueue-conflict.js'
import { firstOccurrences } from '../first-occurrences.js'
import { DueHeap } from './due-heap.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Adapter name shown in logs. @default 'memory' */
  name?: string
}

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

/**
 * An in-process store: fast, zero set-up, and gone when the process exits. Use it for tests,
 * development and fire-and-forget notifications; use SQLite or Postgres when deliveries must
 * survive a restart.
 *
 * @example
 * const manager = createWebhookManager({ store: memoryStore() })
 */
export function memoryStore(options: MemoryStoreOptions = {}): WebhookStore {
  const endpoints = new Map<string, Endpoint>()
  const messages = new Map<string, Message>()
  const idempotency = new Map<string, string>()
  const deliveries = new Map<string, Delivery>()
  const deliveriesByEndpoint = new Map<string, Set<string>>()
  const deliveriesByMessage = new Map<string, string[]>()
  const attempts = new Map<string, Attempt[]>()
  const due = new DueHeap()
  const hooks = new Map<string, IncomingHook>()
  const logs = new Map<string, IncomingLog[]>()
  const seenKeys = new Map<string, number>()

  const schedule = (d: Delivery): void => {
    if (d.status === 'delivering' && d.lockedUntil) due.push(d.id, d.lockedUntil.getTime())
    else if ((d.status === 'pending' || d.status === 'failed') && d.nextAttemptAt) due.push(d.id, d.nextAttemptAt.getTime())
  }

  /** The time at which a heap entry for `d` is valid, or undefined if `d` is not claimable by time. */
  const dueTime = (d: Delivery): number | undefined => {
    if (d.status === 'delivering') return d.lockedUntil?.getTime()
    if (d.status === 'pending' || d.status === 'failed') return d.nextAttemptAt?.getTime()
    return undefined
  }

  const removeDelivery = (id: string): void => {
    const d = deliveries.get(id)
    if (!d) return
    deliveries.delete(id)
    deliveriesByEndpoint.get(d.endpointId)?.delete(id)
    attempts.delete(id)
  }

  const ownedBy = (d: Delivery, owner: string | null | undefined): boolean => {
    if (owner === undefined) return true
    const endpoint = endpoints.get(d.endpointId)
    return endpoint !== undefined && endpoint.owner === owner
  }

  const matchesQuery = (d: Delivery, q: DeliveryQuery, statuses: DeliveryStatus[] | undefined): boolean =>
    (q.messageId === undefined || d.messageId === q.messageId) &&
    ownedBy(d, q.owner) &&
    (statuses === undefined || statuses.includes(d.status)) &&
    (q.since === undefined || d.createdAt >= q.since) &&
    (q.until === undefined || d.createdAt < q.until)

  const enqueueOne = (message: Message, list: Delivery[]): EnqueueResult => {
    if (message.idempotencyKey !== null) {
      const existingId = idempotency.get(idempotencyScope(message))
      const existing = existingId === undefined ? undefined : messages.get(existingId)
      if (existing) {
        const ids = deliveriesByMessage.get(existing.id) ?? []
        const found = ids.map((id) => deliveries.get(id)).filter((d): d is Delivery => d !== undefined)
        return { message: existing, deliveries: found.map((d) => ({ ...d })), duplicate: true }
      }
      idempotency.set(idempotencyScope(message), message.id)
    }
    messages.set(message.id, message)
    const ids: string[] = []
    for (const d of list) {
      const copy = { ...d }
      deliveries.set(copy.id, copy)
      let set = deliveriesByEndpoint.get(copy.endpointId)
      if (!set) deliveriesByEndpoint.set(copy.endpointId, (set = new Set()))
      set.add(copy.id)
      ids.push(copy.id)
      schedule(copy)
    }
    deliveriesByMessage.set(message.id, ids)
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
    async updateEndpoint(endpoint) {
      if (!endpoints.has(endpoint.id)) return false
      endpoints.set(endpoint.id, { ...endpoint })
      return true
    },
    async deleteEndpoint(id) {
      if (!endpoints.delete(id)) return false
      for (const dId of deliveriesByEndpoint.get(id) ?? []) {
        const d = deliveries.get(dId)
        if (d && !FINISHED.has(d.status)) removeDelivery(dId)
      }
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
        if (stored !== undefined) classifyEnqueueConflict('memory', message, stored)
      }
      return items.map(({ message, deliveries: list }) => enqueueOne(message, list))
    },
    async getMessage(id) {
      return messages.get(id) ?? null
    },
    async claim({ now, limit, leaseMs, workerId, excludeEndpointIds }) {
      const nowMs = now.getTime()
      const excluded = excludeEndpointIds && excludeEndpointIds.length > 0 ? new Set(excludeEndpointIds) : undefined
      const skipped: { id: string; at: number }[] = []
      const out: ClaimedDelivery[] = []
      while (out.length < limit) {
        const top = due.peek()
        if (!top || top.at > nowMs) break
        due.pop()
        const d = deliveries.get(top.id)
        if (!d || dueTime(d) !== top.at) continue
        if (excluded?.has(d.endpointId)) {
          skipped.push(top)
          continue
        }
        const message = messages.get(d.messageId)
        if (!message) continue
        d.status = 'delivering'
        d.lockedBy = workerId
        d.lockedUntil = new Date(nowMs + leaseMs)
        d.updatedAt = now
        schedule(d)
        out.push({ delivery: { ...d }, message })
      }
      for (const s of skipped) due.push(s.id, s.at)
      return out
    },
    async complete(outcomes) {
      for (const o of outcomes) {
        if (o.attempt) {
          let list = attempts.get(o.deliveryId)
          if (!list) attempts.set(o.deliveryId, (list = []))
          list.push(o.attempt)
        }
        const d = deliveries.get(o.deliveryId)
        if (!d || d.status !== 'delivering' || d.lockedBy !== o.workerId) continue
        d.status = o.status
        d.attempts = o.attempts
        d.nextAttemptAt = o.nextAttemptAt
        d.lastStatusCode = o.lastStatusCode
        d.lastError = o.lastError
        d.completedAt = o.completedAt
        d.updatedAt = o.updatedAt
        d.lockedBy = null
        d.lockedUntil = null
        schedule(d)
      }
    },
    async release(ids, workerId, now) {
      for (const id of ids) {
        const d = deliveries.get(id)
        if (!d || d.status !== 'delivering' || d.lockedBy !== workerId) continue
        d.status = 'pending'
        d.lockedBy = null
        d.lockedUntil = null
        d.nextAttemptAt = now
        d.updatedAt = now
        schedule(d)
      }
    },
    async nextDueAt() {
      for (;;) {
        const top = due.peek()
        if (!top) return null
        const d = deliveries.get(top.id)
        if (d && dueTime(d) === top.at) return new Date(top.at)
        due.pop()
      }
    },
    async getDelivery(id) {
      const d = deliveries.get(id)
      return d ? { ...d } : null
    },
    async listDeliveries(query = {}) {
      const offset = query.offset ?? 0
      const limit = query.limit ?? 100
      const statuses = query.status === undefined ? undefined : Array.isArray(query.status) ? query.status : [query.status]
      const source =
        query.endpointId !== undefined
          ? Array.from(deliveriesByEndpoint.get(query.endpointId) ?? [], (id) => deliveries.get(id)!)
          : Array.from(deliveries.values())
      const out: Delivery[] = []
      let skipped = 0
      for (let i = source.length - 1; i >= 0 && out.length < limit; i--) {
        const d = source[i]!
        if (!matchesQuery(d, query, statuses)) continue
        if (skipped++ < offset) continue
        out.push({ ...d })
      }
      return out
    },
    async requeueDelivery(id, at, now): Promise<RequeueResult> {
      const d = deliveries.get(id)
      if (!d) return { status: 'missing' }
      if (d.status === 'delivering' && d.lockedUntil && d.lockedUntil > now) return { status: 'busy', delivery: { ...d } }
      d.status = 'pending'
      d.nextAttemptAt = at
      d.lockedBy = null
      d.lockedUntil = null
      d.completedAt = null
      d.updatedAt = now
      schedule(d)
      return { status: 'requeued', delivery: { ...d } }
    },
    async replayDeliveries({ endpointId, owner, statuses = ['dead', 'failed'], since, until, at }) {
      const source =
        endpointId !== undefined
          ? Array.from(deliveriesByEndpoint.get(endpointId) ?? [], (id) => deliveries.get(id)!)
          : Array.from(deliveries.values())
      let count = 0
      for (const d of source) {
        if (!matchesQuery(d, { since, until, owner }, statuses) || d.status === 'delivering') continue
        d.status = 'pending'
        d.nextAttemptAt = at
        d.completedAt = null
        d.updatedAt = at
        schedule(d)
        count++
      }
      return count
    },
    async listAttempts(deliveryId) {
      return [...(attempts.get(deliveryId) ?? [])]
    },
    async getStats(endpointId, since) {
      const counts = emptyCounts()
      const durations: number[] = []
      let lastAttemptAt: Date | null = null
      for (const id of deliveriesByEndpoint.get(endpointId) ?? []) {
        const d = deliveries.get(id)!
        if (since && d.createdAt < since) continue
        counts[d.status]++
        for (const a of attempts.get(id) ?? []) {
          durations.push(a.durationMs)
          if (!lastAttemptAt || a.startedAt > lastAttemptAt) lastAttemptAt = a.startedAt
        }
      }
      return summarizeStats(counts, durations, lastAttemptAt)
    },
    async cleanup({ before }) {
      const result: CleanupResult = { deliveries: 0, attempts: 0, messages: 0, incomingLogs: 0 }
      for (const d of Array.from(deliveries.values())) {
        if (!FINISHED.has(d.status) || !d.completedAt || d.completedAt >= before) continue
        result.attempts += attempts.get(d.id)?.length ?? 0
        removeDelivery(d.id)
        result.deliveries++
      }
      for (const [id, m] of messages) {
        if (m.createdAt >= before) continue
        const ids = (deliveriesByMessage.get(id) ?? []).filter((dId) => deliveries.has(dId))
        if (ids.length > 0) {
          deliveriesByMessage.set(id, ids)
          continue
        }
        messages.delete(id)
        deliveriesByMessage.delete(id)
        if (m.idempotencyKey !== null) idempotency.delete(idempotencyScope(m))
        result.messages++
      }
      for (const [hookId, list] of logs) {
        const kept = list.filter((l) => l.receivedAt >= before)
        result.incomingLogs += list.length - kept.length
        logs.set(hookId, kept)
      }
      const beforeMs = before.getTime()
      for (const [key, expiresAt] of seenKeys) if (expiresAt < beforeMs) seenKeys.delete(key)
      return result
    },

    async createIncomingHook(hook) {
      hooks.set(hook.id, { ...hook })
    },
    async getIncomingHook(id) {
      const h = hooks.get(id)
      return h ? { ...h } : null
    },
    async findIncomingHookByTokenHash(tokenHash) {
      for (const h of hooks.values()) if (h.tokenHash === tokenHash) return { ...h }
      return null
    },
    async listIncomingHooks(query = {}) {
      const out: IncomingHook[] = []
      for (const h of hooks.values()) if (query.owner === undefined || h.owner === query.owner) out.push(h)
      return oldestFirstPage(out, query)
    },
    async updateIncomingHook(hook) {
      if (!hooks.has(hook.id)) return false
      hooks.set(hook.id, { ...hook })
      return true
    },
    async deleteIncomingHook(id) {
      logs.delete(id)
      return hooks.delete(id)
    },
    async insertIncomingLog(log) {
      const key = log.hookId ?? ''
      let list = logs.get(key)
      if (!list) logs.set(key, (list = []))
      list.push({ ...log })
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
  }
  return store
}

/** Idempotency keys are scoped per tenant: one tenant's key never matches another's message. */
function idempotencyScope(message: Message): string {
  return `${message.owner ?? ''}\u0000${message.idempotencyKey}`
}
