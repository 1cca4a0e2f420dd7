import type { WebhookManager } from '../manager/webhook-manager.js'
import type { Delivery } from '../types.js'

/** Result of running the worker for some deliveries. */
export interface WorkerRun {
  /** The deliveries as they stand afterwards (missing ones left out). */
  deliveries: Delivery[]
  /** Ids that had no new attempt when the time ran out. */
  unattempted: string[]
}

/**
 * Runs the delivery worker until each delivery has made an attempt more than `baseline` says (or
 * finished), then stops it. Bounded by `timeoutMs`; other due deliveries of the database that the
 * worker picks up meanwhile are finished or handed back, never lost.
 */
export async function runWorkerFor(
  manager: WebhookManager,
  ids: readonly string[],
  options: { timeoutMs: number; baseline?: ReadonlyMap<string, number>; onProgress?: (done: number, total: number) => void },
): Promise<WorkerRun> {
  const latest = new Map<string, Delivery>()
  const waiting = new Set(ids)
  const attemptedEnough = (d: Delivery) => d.attempts > (options.baseline?.get(d.id) ?? 0) && d.status !== 'delivering' && d.status !== 'pending'
  const refresh = async () => {
    for (const id of [...waiting]) {
      const d = await manager.store.getDelivery(id)
      if (!d) {
        waiting.delete(id)
        continue
      }
      latest.set(id, d)
      if (attemptedEnough(d)) waiting.delete(id)
    }
    options.onProgress?.(ids.length - waiting.size, ids.length)
  }
  await refresh()
  if (waiting.size > 0) {
    await manager.start()
    try {
      const deadline = Date.now() + options.timeoutMs
      const maxRounds = Math.ceil(options.timeoutMs / 50) + 1
      for (let round = 0; round < maxRounds && waiting.size > 0 && Date.now() < deadline; round++) {
        await new Promise((r) => setTimeout(r, 50))
        await refresh()
      }
    } finally {
      await manager.stop({ drain: false })
    }
    await refresh()
  }
  return { deliveries: ids.flatMap((id) => latest.get(id) ?? []), unattempted: [...waiting] }
}
