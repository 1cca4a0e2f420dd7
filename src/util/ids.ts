import { randomFillSync } from 'node:crypto'

/** Random bytes fetched from the CSPRNG at once; each id takes 16 of them. */
const POOL_BYTES = 16 * 256
const pool = Buffer.allocUnsafe(POOL_BYTES)
let offset = POOL_BYTES

/**
 * A new unique id with a readable type prefix, e.g. `msg_4f0c…`: the prefix, `_`, and 128 random
 * bits as 32 lower-case hex digits (the same shape as a dash-less UUID v4, which has 122). The
 * bytes come from one `randomFillSync` call per 256 ids instead of one UUID formatting per id.
 */
export function createId(prefix: string): string {
  if (offset === POOL_BYTES) {
    randomFillSync(pool)
    offset = 0
  }
  const start = offset
  offset += 16
  return `${prefix}_${pool.toString('hex', start, offset)}`
}
