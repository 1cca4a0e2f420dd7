import { randomUUID } from 'node:crypto'

/** A new unique id with a readable type prefix, e.g. `msg_4f0c…`. */
export function createId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`
}
