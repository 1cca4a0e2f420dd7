import { ConflictError } from '../errors.js'
import type { EnqueueItem } from './types.js'

/**
 * For each item of an `enqueueMany` batch, the index of the first item it repeats: itself, or an
 * earlier item with the same message id or the same idempotency key (per owner). A statement that
 * writes the whole batch at once sends only the first of each, and the rest resolve to it, as a
 * later `enqueue` of them would. A repeated id with other content is a {@link ConflictError},
 * thrown before anything is written.
 */
export function firstOccurrences(items: readonly EnqueueItem[]): number[] {
  const byId = new Map<string, number>()
  const byKey = new Map<string, number>()
  return items.map(({ message }, i) => {
    const sameId = byId.get(message.id)
    if (sameId !== undefined) {
      const first = items[sameId]!.message
      if (first.event !== message.event || first.createdAt.getTime() !== message.createdAt.getTime()) {
        throw new ConflictError(`message ${JSON.stringify(message.id)} appears twice in the batch with different content`)
      }
      return sameId
    }
    const key = message.idempotencyKey === null ? undefined : `${message.owner ?? ''}\u0000${message.idempotencyKey}`
    const sameKey = key === undefined ? undefined : byKey.get(key)
    if (sameKey !== undefined) return sameKey
    byId.set(message.id, i)
    if (key !== undefined) byKey.set(key, i)
    return i
  })
}
