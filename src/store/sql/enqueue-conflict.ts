import { ConflictError } from '../../errors.js'
import type { Message } from '../../types.js'

/**
 * What an `enqueue` whose message insert hit a unique conflict (its id or its idempotency key)
 * means, given the message already stored under that key or id:
 * - the same id and content: this very message was stored before (a repeated call, e.g. a retry
 *   after a lost reply) — not a duplicate of another message;
 * - another id: an earlier emit with the same idempotency key — a duplicate;
 * - the same id with other content: a genuine id clash, a {@link ConflictError}.
 */
export function classifyEnqueueConflict(adapter: string, message: Message, stored: Message): { duplicate: boolean } {
  if (stored.id === message.id && (stored.event !== message.event || stored.createdAt.getTime() !== message.createdAt.getTime())) {
    throw new ConflictError(`[${adapter}] message ${JSON.stringify(message.id)} already exists`)
  }
  return { duplicate: stored.id !== message.id }
}
