import { createHash } from 'node:crypto'
import { readPath } from '../events/match-filters.js'
import type { Endpoint, Message } from '../types.js'

/** Longest ordering key stored as is; longer ones are stored as a digest (an index entry stays small). */
const MAX_KEY_LENGTH = 200

/**
 * The line a new delivery of `message` to `endpoint` waits in: `null` for an unordered endpoint;
 * for a `fifo` one, the value at its `orderingKey` path (`''` without a path, or when the message
 * has no value there). Strings are kept as they are, other values as their JSON text.
 */
export function orderingKeyOf(endpoint: Pick<Endpoint, 'ordering' | 'orderingKey'>, message: Message): string | null {
  if (endpoint.ordering !== 'fifo') return null
  const path = endpoint.orderingKey
  if (path === null) return ''
  const [root, ...rest] = path.split('.')
  const base = root === 'data' ? message.data : root === 'metadata' ? message.metadata : root === 'owner' ? message.owner : message.event
  const value = rest.length === 0 ? base : readPath(base, rest.join('.'))
  if (value === undefined || value === null) return ''
  const key = typeof value === 'string' ? value : JSON.stringify(value)
  return key.length <= MAX_KEY_LENGTH ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`
}
