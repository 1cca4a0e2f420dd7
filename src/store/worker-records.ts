import type { WebhookStore, WorkerHeartbeat, WorkerRecord } from './types.js'

type WorkerRegistryMethods = Required<Pick<WebhookStore, 'recordWorker' | 'listWorkers' | 'reportLostWorkers' | 'pruneWorkers'>>

/**
 * The worker registry of an in-process store: records kept in a Map. `countLeases(id)` tells how
 * many deliveries are still leased to a worker (asked only when it is reported lost).
 */
export function inMemoryWorkerRegistry(countLeases: (workerId: string) => number): WorkerRegistryMethods {
  const workers = new Map<string, WorkerRecord>()
  const copy = (w: WorkerRecord): WorkerRecord => ({ ...w })
  return {
    async recordWorker(heartbeat: WorkerHeartbeat) {
      workers.set(heartbeat.id, { ...heartbeat, lostAt: null, leases: null })
    },
    async listWorkers() {
      return [...workers.values()].sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime()).map(copy)
    },
    async reportLostWorkers(staleBefore: Date, now: Date) {
      const lost: WorkerRecord[] = []
      for (const w of workers.values()) {
        if (w.stoppedAt !== null || w.lostAt !== null || w.lastSeenAt.getTime() >= staleBefore.getTime()) continue
        w.lostAt = now
        w.leases = countLeases(w.id)
        lost.push(copy(w))
      }
      return lost
    },
    async pruneWorkers(before: Date) {
      let count = 0
      for (const [id, w] of workers) {
        const ended = w.stoppedAt ?? w.lostAt
        if (ended !== null && ended.getTime() < before.getTime()) {
          workers.delete(id)
          count++
        }
      }
      return count
    },
  }
}
